"""Where each record of a CSV file starts, numbered as a text editor numbers lines.

Errors name the physical line a record starts on (the header is line 1). DuckDB's reader numbers
neither its records nor, consistently, its rejects: a rejected record's `line` counts the blank
lines it skips but counts a record holding a quoted line break as one line. The importer therefore
checks whether a file has exactly one record per line after its header (`line_count`, a byte count)
and, when it has not, walks it with `record_lines` to place every record.

The walk splits records as DuckDB's strict RFC 4180 reader does (observed on DuckDB 2.0): `\r\n`,
`\r` and `\n` end a line; a line end inside a quoted field belongs to the record; an empty line is
skipped; one space may precede a quoted field, spaces may follow it; any other quote is literal
(inside an unquoted field, after two spaces, after text that follows a closed quoted field). The
importer trusts the walk only when it finds the records DuckDB found (as many, and the rejected
ones where DuckDB rejected them), else it falls back on DuckDB's numbering;
`tests/registry/test_csv_lines.py` compares the two on random files.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

CHUNK = 1 << 24

# A line that holds a whole record of well-formed fields, the common case: no need to walk it.
_FIELD = r'(?:"(?:[^"]|"")*"|[^",]*)'
_WHOLE_RECORD = re.compile(f"{_FIELD}(?:,{_FIELD})*")

# States of the walk through a line that has quotes.
_FIELD_START, _LEADING_SPACE, _UNQUOTED, _QUOTED, _QUOTE, _TRAILING_SPACE = range(6)

LINE_END_NAMES = {"\r\n": "CRLF (Windows)", "\n": "LF (Unix)", "\r": "CR (ancien Mac)"}


def line_count(path: Path) -> int:
    """Physical lines: line ends (`\\r\\n`, `\\r` or `\\n`), plus a last line that has none."""
    ends = 0
    last = b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            ends += chunk.count(b"\n")
            if b"\r" in chunk:  # a quick scan, where counting is not (most files end lines in LF)
                ends += chunk.count(b"\r") - chunk.count(b"\r\n")
            if last == b"\r" and chunk[:1] == b"\n":
                ends -= 1  # a \r\n cut in two by the chunks
            last = chunk[-1:]
    return ends + (1 if last not in (b"", b"\n", b"\r") else 0)


@dataclass(frozen=True)
class MixedLineEnds:
    """A line that does not end the way the header does, outside quoted fields."""

    line: int
    header_end: str
    line_end: str

    @property
    def reason(self) -> str:
        return (
            f"fins de ligne mélangées : l'en-tête finit par {LINE_END_NAMES[self.header_end]}, "
            f"la ligne {self.line} par {LINE_END_NAMES[self.line_end]} ; réenregistrez le "
            "fichier avec une seule sorte de fin de ligne"
        )


@dataclass(frozen=True)
class RecordLines:
    """The data records of a file (after its header), in file order."""

    line: array[int]  # the physical line each record starts on
    lines: array[int]  # how many physical lines it takes
    duckdb_line: array[int]  # the `line` DuckDB's rejects table gives it (blank lines counted)
    unclosed: bool  # the last record holds a quote never closed: it runs to the end of the file
    mixed: MixedLineEnds | None

    def table(self) -> pa.Table:
        """Columns line, lines and duckdb_line, int64, without copying the arrays."""
        return pa.table(
            {
                "line": _int64(self.line),
                "lines": _int64(self.lines),
                "duckdb_line": _int64(self.duckdb_line),
            }
        )


def _int64(values: array[int]) -> pa.Array:
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def record_lines(path: Path) -> RecordLines:
    """Walk `path` once and place every record after the header (see the module docstring)."""
    starts, spans, duckdb_lines = array("q"), array("q"), array("q")
    number = 0  # physical line
    segments = 0  # records and empty lines, as DuckDB numbers its rejects
    start = 0
    state: int | None = None  # None between records
    header_end = ""
    mixed: MixedLineEnds | None = None

    def ended(end: str) -> None:
        """A line end outside quoted fields (empty: the last line has none)."""
        nonlocal header_end, mixed
        if segments == 1:
            header_end = end
        elif mixed is None and end and header_end and end != header_end:
            mixed = MixedLineEnds(number, header_end, end)

    def close(end: str) -> None:
        if segments > 1:
            starts.append(start)
            spans.append(number - start + 1)
            duckdb_lines.append(segments)
        ended(end)

    # Latin-1 maps every byte to one character: line ends and quotes stay where they are, whatever
    # the encoding of the rest; newline="" splits at \r\n, \r and \n without translating them.
    with path.open(encoding="latin-1", newline="") as f:
        for text in f:
            number += 1
            body = text.rstrip("\r\n")
            if state is None:
                segments += 1
                start = number
                if not body:  # an empty line: no record, DuckDB skips it
                    ended(text)
                    continue
                if '"' not in body or _WHOLE_RECORD.fullmatch(body):
                    close(text[len(body) :])
                    continue
                state = _walk(_FIELD_START, body)
            else:
                state = _walk(state, body)
            if state != _QUOTED:  # this line end closes the record
                close(text[len(body) :])
                state = None
    unclosed = state is not None
    if unclosed and segments > 1:  # a quote never closed: the record runs to the end
        starts.append(start)
        spans.append(number - start + 1)
        duckdb_lines.append(segments)
    return RecordLines(starts, spans, duckdb_lines, unclosed and segments > 1, mixed)


def _walk(state: int, text: str) -> int:
    """The state after `text`, a line without its line end, from `state`."""
    i, n = 0, len(text)
    while i < n:
        if state == _QUOTED:
            quote = text.find('"', i)
            if quote < 0:
                return _QUOTED
            state, i = _QUOTE, quote + 1
            continue
        if state == _UNQUOTED:
            comma = text.find(",", i)
            if comma < 0:
                return _UNQUOTED
            state, i = _FIELD_START, comma + 1
            continue
        c = text[i]
        if c == ",":
            state = _FIELD_START
        elif state == _QUOTE:  # after a quote inside a quoted field: a doubled one, or the end
            state = _QUOTED if c == '"' else _TRAILING_SPACE if c == " " else _UNQUOTED
        elif state == _FIELD_START:
            state = _QUOTED if c == '"' else _LEADING_SPACE if c == " " else _UNQUOTED
        elif state == _LEADING_SPACE:  # one space may precede a quoted field, not two
            state = _QUOTED if c == '"' else _UNQUOTED
        elif c == '"':  # _TRAILING_SPACE: DuckDB goes back into the quoted field
            state = _QUOTED
        elif c != " ":  # anything else makes the rest of the field literal
            state = _UNQUOTED
        i += 1
    return state
