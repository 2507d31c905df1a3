"""`csv_lines`: where each record of a CSV file starts, against the files' own construction and
against DuckDB's reader (the one the import uses)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.registry import csv_lines
from parcours.registry.csv_lines import line_count, record_lines
from parcours.registry.sources import read_csv_sql

FAST = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


_con = duckdb.connect()  # one for the whole module: opening one costs more than a read


def duckdb_reads(path: Path) -> tuple[int, list[int]]:
    """How many records DuckDB reads well, and the `line` of those it rejects."""
    _con.execute("DROP TABLE IF EXISTS csv_errors")
    _con.execute("DROP TABLE IF EXISTS csv_scans")
    ((good,),) = _con.execute(f"SELECT count(*) FROM {read_csv_sql(path, ['x', 'y'])}").fetchall()
    rows = _con.execute("SELECT DISTINCT line FROM csv_errors ORDER BY 1").fetchall()
    return int(good), [int(r[0]) for r in rows]


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if re.search(r'[,"\r\n]', value) else value


@FAST
@given(
    end=LINE_ENDS,
    inside=LINE_ENDS,
    pieces=st.lists(
        st.none() | st.tuples(st.text('ab ,"\n', max_size=5), st.text('ab ,"\n', max_size=5)),
        max_size=10,
    ),
    last_end=st.booleans(),
)
def test_well_formed_files_are_numbered_as_an_editor_does(
    tmp_path: Path,
    end: str,
    inside: str,
    pieces: list[tuple[str, str] | None],
    last_end: bool,
) -> None:
    """Blank lines (None) and line breaks inside quoted fields count; every record is found."""
    text, line, expected = "x,y" + end, 2, []
    for piece in pieces:
        if piece is None:
            chunk = end
        else:
            chunk = ",".join(_quoted(v).replace("\n", inside) for v in piece) + end
            expected.append(line)
        text += chunk
        line += len(re.findall(r"\r\n|\r|\n", chunk))
    if not last_end and text.endswith(end) and pieces and pieces[-1] is not None:
        text = text.removesuffix(end)  # the last record without a line end
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    located = record_lines(path)
    assert list(located.line) == expected
    assert not located.unclosed and located.mixed is None
    assert duckdb_reads(path) == (len(expected), [])
    assert line_count(path) == len(re.findall(r"\r\n|\r|\n", text)) + (
        0 if text.endswith(("\r", "\n")) else 1
    )


@FAST
@given(
    end=LINE_ENDS,
    tokens=st.lists(
        st.sampled_from(["a", "b", ",", '"', " ", "NL", "NL NL", '""', '"a"', '"a,b"', '"a NL b"']),
        max_size=30,
    ),
)
def test_where_the_walk_finds_duckdb_records_each_is_one_record(
    tmp_path: Path, end: str, tokens: list[str]
) -> None:
    """On any file, quotes broken in every way: the import trusts the walk only when it finds as
    many records as DuckDB and the rejected ones where DuckDB rejects them; then each record,
    cut out of the file alone, is exactly one record for DuckDB too."""
    body = "".join(t.replace(" NL ", end).replace("NL", end) for t in tokens)
    path = tmp_path / "f.csv"
    path.write_bytes(("x,y" + end + body).encode())
    try:
        good, rejected = duckdb_reads(path)
    except duckdb.Error:
        return  # a line end DuckDB does not take: the import refuses the file
    located = record_lines(path)
    if len(located.line) != good + len(rejected) or not set(rejected) <= set(located.duckdb_line):
        return  # the import falls back on DuckDB's numbering
    with path.open(encoding="latin-1", newline="") as fh:
        lines = list(fh)
    for start, span in zip(located.line, located.lines, strict=True):
        alone = tmp_path / "alone.csv"
        alone.write_bytes(("x,y" + end + "".join(lines[start - 1 : start - 1 + span])).encode())
        one, errors = duckdb_reads(alone)
        assert one + len(errors) == 1, lines[start - 1 : start - 1 + span]


@FAST
@given(st.binary(max_size=40).map(lambda b: b.replace(b"x", b"\r").replace(b"y", b"\n")))
def test_line_count_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    """A \\r\\n cut in two by the chunks is one line end."""
    monkeypatch.setattr(csv_lines, "CHUNK", 3)
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    ends = len(re.findall(rb"\r\n|\r|\n", content))
    assert line_count(path) == ends + (0 if content.endswith((b"\r", b"\n")) or not content else 1)


def test_an_unclosed_quote_and_mixed_line_ends_are_located(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b'x,y\r\na,b\r\n\r\nc,"d\r\ne,f\r\n')
    located = record_lines(path)
    assert (list(located.line), list(located.lines), located.unclosed) == ([2, 4], [1, 2], True)
    assert list(located.duckdb_line) == [2, 4]
    path.write_bytes(b'x,y\r\na,"b\nc"\r\n\r\nd,e\nf,g\r\n')
    mixed = record_lines(path).mixed
    assert mixed is not None and mixed.line == 5 and "la ligne 5 par LF (Unix)" in mixed.reason
