"""Errors name the physical line a record starts on, as an editor shows it (the header is line 1):
blank lines, line breaks inside quoted fields, CRLF or CR line ends and a byte-order mark do not
shift it, in the summary nor in the rejects file."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from parcours.config import get_settings
from parcours.consultlog.store import ConsultLog
from parcours.registry.contract import BY_NAME
from parcours.registry.importer import FileReport, import_directory
from parcours.registry.models import Establishment

from . import files as f

# A file as pieces: a record (its fields, quoted when they need it), a blank line, or raw text.
BLANK = None
Piece = Sequence[str] | str | None

# Line ends of the records; inside quoted fields, the line break the spreadsheet wrote.
LAYOUTS = {
    "lf": ("\n", "\n", False),
    "crlf": ("\r\n", "\r\n", False),
    "bom-crlf": ("\r\n", "\r\n", True),
    "excel": ("\r\n", "\n", True),  # Excel: CRLF between rows, LF inside a cell
    "cr": ("\r", "\r", False),
}


def build(name: str, pieces: Sequence[Piece], layout: str) -> tuple[bytes, list[int]]:
    """The file's bytes and the physical line each piece starts on."""
    end, inside, bom = LAYOUTS[layout]
    text = "\ufeff" if bom else ""
    text += ",".join(BY_NAME[name].column_names) + end
    line, starts = 2, []
    for piece in pieces:
        starts.append(line)
        if piece is BLANK:
            chunk = end
        elif isinstance(piece, str):
            chunk = piece.replace("\n", inside) + end
        else:
            chunk = ",".join(_quoted(v).replace("\n", inside) for v in piece) + end
        text += chunk
        line += chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
    return text.encode(), starts


def _quoted(value: str) -> str:
    if any(c in value for c in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def rejects_lines(r: FileReport) -> list[str]:
    assert r.rejects_path is not None
    with r.rejects_path.open(encoding="utf-8", newline="") as fh:
        return [row["line"] for row in csv.DictReader(fh)]


ESTABLISHMENTS: list[Piece] = [
    ["DR76", "Direction régionale\nOccitanie", "DR", "76"],  # 0: two lines, valid
    BLANK,
    ["BAD1", "x", "ZZ", ""],  # 2: bad kind
    BLANK,
    BLANK,
    "BAD2,x",  # 5: missing fields
    ["DG", "Siège", "DG", ""],  # 6
    ["DR76", "Encore", "DR", "76"],  # 7: repeats the id of piece 0
    ["PES", "Plate-\nformes\n", "XX", ""],  # 8: three lines, bad kind
    ["DSI", "Informatique", "DSI", ""],  # 9
    BLANK,
    BLANK,
]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_reference_errors_name_the_physical_line(
    engine: Engine, tmp_path: Path, layout: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    content, at = build("establishments", ESTABLISHMENTS, layout)
    (folder / "establishments.csv").write_bytes(content)
    summary = import_directory(folder, settings=get_settings(), progress=False)
    (r,) = summary.files
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (7, 3, 4)
    expected = [at[2], at[5], at[7], at[8]]
    assert [i.line for i in r.issues] == expected
    assert rejects_lines(r) == [str(n) for n in expected]
    by_line = {i.line: i for i in r.issues}
    assert "champs manquants" in by_line[at[5]].reason
    assert f"première occurrence ligne {at[0]})" in by_line[at[7]].reason
    with engine.connect() as c:  # the valid rows are loaded, the two-line name whole
        assert c.execute(select(func.count()).select_from(Establishment)).scalar_one() == 3
        name = c.execute(
            select(Establishment.name).where(Establishment.establishment_id == "DR76")
        ).scalar_one()
    assert name.splitlines() == ["Direction régionale", "Occitanie"]


CONSULTATIONS: list[Piece] = [
    ["e1", "2024-04-02T09:15:00+02:00", "AG1", "D1", "AUDE", "view"],
    BLANK,
    ["e2", "2024-04-02 09:20", "AG1", "D2", "MAP\nvia\nportail", "edit"],  # three lines, valid
    ["e3", "02/04/2024 09:00", "AG1", "D1", "AUDE", "view"],  # bad timestamp
    BLANK,
    'e4,2024-04-02 09:30,AG1,D1,"MAP\nX",view,extra',  # two lines, one field too many
    ["e5", "2024-04-02T09:00:00Z", "AG1", "D1", "AUDE", "delete"],  # bad action
    BLANK,
]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_consultation_errors_name_the_physical_line(
    engine: Engine, tmp_path: Path, layout: str
) -> None:
    """The consultation files go through the same reader: the same lines, in a folder too."""
    folder = tmp_path / "in"
    (folder / "consultations").mkdir(parents=True)
    content, at = build("consultations", CONSULTATIONS, layout)
    (folder / "consultations" / "part1.csv").write_bytes(content)
    summary = import_directory(folder, settings=get_settings(), progress=False)
    (r,) = summary.files
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (5, 2, 3)
    expected = [at[3], at[5], at[6]]
    assert [i.line for i in r.issues] == expected
    assert rejects_lines(r) == [str(n) for n in expected]
    assert r.rejects_path is not None and r.rejects_path.name == "consultations__part1.rejects.csv"
    malformed = r.issues[1].reason
    assert "champs en trop" in malformed and f"lignes {at[5]} à {at[5] + 1}" in malformed
    assert ConsultLog(get_settings().log_dir).count() == 2


def test_a_quote_never_closed_after_blank_lines(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pieces: list[Piece] = [
        ["DR76", "Occitanie", "DR", "76"],
        BLANK,
        BLANK,
        'DG,"Siège,DG,',  # the quote is never closed: the rest of the file is this record
        ["PES", "Plateformes", "PES", ""],
        BLANK,
    ]
    content, at = build("establishments", pieces, "lf")
    (folder / "establishments.csv").write_bytes(content)
    (r,) = import_directory(folder, settings=get_settings(), progress=False).files
    (issue,) = r.issues
    assert issue.line == at[3] == 5
    assert "a fait lire 3 lignes du fichier (à partir de la ligne 5)" in issue.reason
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (2, 1, 1)


def test_mixed_line_ends_refuse_the_file_at_the_first_odd_line(
    engine: Engine, tmp_path: Path
) -> None:
    """DuckDB stops on them ("the CSV Parser state machine reached an invalid state"): the file
    is refused with the line and a reason the sender can act on, and the next files load."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "establishments.csv").write_bytes(
        b"establishment_id,name,kind,region_code\r\nDR76,Occ,DR,76\r\n"
        b"PES,Plateformes,PES,\r\n\r\nDG,Siege,DG,75\nDSI,Info,DSI,\r\n"
    )
    f.write(folder, "consultations", f.CONSULTATIONS)
    summary = import_directory(folder, settings=get_settings(), progress=False)
    est, cons = summary.files
    assert est.refused is not None and est.refused.line == 5
    assert est.refused.reason.startswith(
        "fins de ligne mélangées : l'en-tête finit par CRLF (Windows), la ligne 5 par LF (Unix)"
    )
    assert est.rejects_path is not None and "fins de ligne" in est.rejects_path.read_text("utf-8")
    assert cons.rows_loaded == len(f.CONSULTATIONS)


def test_a_nul_character_rejects_the_row_not_the_import(engine: Engine, tmp_path: Path) -> None:
    """PostgreSQL text cannot hold NUL: the load used to fail with a traceback."""
    folder = tmp_path / "in"
    path = f.write(folder, "establishments", f.ESTABLISHMENTS)
    with path.open("ab") as fh:
        fh.write(b"DG,Si\x00ge,DG,\n")
    summary = import_directory(folder, settings=get_settings(), progress=False)
    (r,) = summary.files
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (3, 2, 1)
    (issue,) = r.issues
    assert (issue.line, issue.column) == (4, "name") and "caractère nul" in issue.reason


def test_quotes_broken_beyond_the_walk_still_account_for_every_record(
    engine: Engine, tmp_path: Path
) -> None:
    """Where DuckDB splits a garbled record otherwise than the walk (its recovery from broken
    quotes is its own), the lines fall back on DuckDB's numbering: every record is still loaded
    or rejected, nothing is lost."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "establishments.csv").write_bytes(
        b"establishment_id,name,kind,region_code\nDR76,Occ,DR,76\n\n\n"
        b'""a",""a,b""a,b"x,y"\nDG,Siege,DG,\nPES,P,XX,\n'
    )
    (r,) = import_directory(folder, settings=get_settings(), progress=False).files
    assert r.refused is None and r.rows_read == r.rows_loaded + r.rows_rejected
    assert r.rows_loaded == 2 and len(rejects_lines(r)) == r.rows_rejected == len(r.issues)
    lines = [i.line or 0 for i in r.issues]
    assert lines == sorted(lines)
