"""Finding contract files in an import folder and staging each one, as text, in a DuckDB table.

Staging gives every record its line number: in CSV the physical line it starts on, as an editor
numbers them (the header is line 1; blank lines and line breaks inside quoted fields count, see
`csv_lines`); in Parquet the row number, from 1. It sets aside the records that are not well-formed
CSV (wrong number of fields, invalid UTF-8, broken quotes).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from parcours.errors import Issue
from parcours.registry.contract import FILES, FileSpec, separator_issue
from parcours.registry.csv_lines import line_count, record_lines
from parcours.registry.validation import literal, quote_ident

FORMATS = (".csv", ".parquet")
RAW = "raw"  # staged text columns + line
MALFORMED = "malformed"  # line, reason of records DuckDB could not split into fields


@dataclass(frozen=True)
class SourceFile:
    spec: FileSpec
    path: Path
    label: str  # how errors name the file: its path relative to the import folder

    @property
    def format(self) -> str:
        return self.path.suffix.lower().lstrip(".")


class FileRefused(Exception):
    """The whole file is unusable (empty, unreadable, wrong header): nothing of it is loaded."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        super().__init__(str(issue))


@dataclass(frozen=True)
class Discovery:
    sources: list[SourceFile]  # the contract files, in dependency order
    ignored: list[str]  # the other visible files, each with what the contract expects


def discover(directory: Path) -> Discovery:
    """Every contract file present in `directory`, in dependency order, and what is left out (so
    that a misnamed export is not skipped without a word), from one walk of the folder.

    Names are exact (`agents.csv`, `agents.parquet`, the extension in any case); a contract folder
    (`consultations/`) is read whole, except what is hidden (a name, or a folder on its path,
    starting with `.`).
    """
    found: list[SourceFile] = []
    in_folders: list[str] = []
    top = _visible_files(directory, recursive=False)
    for spec in FILES:
        for path in top:
            if path.stem == spec.name and path.suffix.lower() in FORMATS:
                found.append(SourceFile(spec, path, path.name))
        folder = directory / spec.name
        if spec.folder_allowed and folder.is_dir():
            for path in _visible_files(folder, recursive=True):
                label = path.relative_to(directory).as_posix()
                if path.suffix.lower() in FORMATS:
                    found.append(SourceFile(spec, path, label))
                else:
                    in_folders.append(f"{label} (extension attendue .csv ou .parquet)")
    taken = {s.path for s in found}
    names = {spec.name for spec in FILES}
    at_top = [
        f"{p.name} ("
        + (
            f"nom attendu {p.stem.lower()}.csv ou {p.stem.lower()}.parquet, en minuscules"
            if p.stem.lower() in names
            else "nom hors contrat"
        )
        + ")"
        for p in top
        if p not in taken
    ]
    return Discovery(found, at_top + in_folders)


def _visible_files(folder: Path, *, recursive: bool) -> list[Path]:
    paths = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p
        for p in paths
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def stage(con: duckdb.DuckDBPyConnection, source: SourceFile) -> None:
    """Create RAW (line + one VARCHAR per contract column) and MALFORMED for `source`.

    RAW is a table for CSV (numbering the records needs one pass) and a view for Parquet, whose
    rows are numbered by the reader: the checks then read the file itself, without a copy.
    """
    drop_staged(con)
    con.execute(f"DROP TABLE IF EXISTS {MALFORMED}")
    if source.format == "csv":
        _stage_csv(con, source)
    else:
        _stage_parquet(con, source)


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop RAW, whichever of a table or a view the file's format made it."""
    kinds = con.execute(
        "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = $n AND temporary "
        "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE view_name = $n AND temporary",
        {"n": RAW},
    ).fetchall()
    for (kind,) in kinds:
        con.execute(f"DROP {kind} {RAW}")


def read_csv_sql(path: Path, header: Sequence[str]) -> str:
    """DuckDB's strict RFC 4180 reader of a contract CSV file, every column as text; the records
    it cannot split into fields go to the tables `csv_errors` and `csv_scans`."""
    columns = "{" + ", ".join(f"{literal(h)}: 'VARCHAR'" for h in header) + "}"
    return (
        f"read_csv({literal(str(path))}, header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        f"columns = {columns}, store_rejects = true, "
        f"rejects_table = 'csv_errors', rejects_scan = 'csv_scans')"
    )


def _stage_csv(con: duckdb.DuckDBPyConnection, source: SourceFile) -> None:
    header = read_csv_header(source)
    spec = source.spec
    select = ", ".join(quote_ident(c) for c in spec.column_names)
    # row_number() OVER () streams in file order (insertion order is preserved): `line` is the
    # rank of a well-formed record among the well-formed ones, plus one: its line when the file
    # holds one record on each line. DuckDB sets the other records aside.
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE numbered AS SELECT row_number() OVER () + 1 AS line, "
            f"{select} FROM {read_csv_sql(source.path, header)}"
        )
    except duckdb.Error as e:
        # DuckDB stops on some line ends unlike the header's (its parser "reached an invalid state").
        mixed = record_lines(source.path).mixed
        if mixed is not None:
            raise FileRefused(Issue(source.label, mixed.line, None, mixed.reason)) from e
        first = engine_message(e).partition("\n")[0]  # not DuckDB's advice on its options
        raise FileRefused(Issue(source.label, None, None, f"fichier illisible : {first}")) from e
    # One row per rejected record, by the line DuckDB gives it.
    text = "trim(any_value(csv_line), chr(10) || chr(13))"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rejected AS SELECT line AS duckdb_line, "
        "'enregistrement mal formé : ' || string_agg(DISTINCT "
        "CASE error_type WHEN 'INVALID ENCODING' THEN 'texte qui n''est pas en UTF-8' "
        "WHEN 'MISSING COLUMNS' THEN 'champs manquants' WHEN 'TOO MANY COLUMNS' THEN 'champs en trop' "
        "WHEN 'UNQUOTED VALUE' THEN 'guillemets incorrects' ELSE lower(error_type) END, ', ') "
        f"|| ' (' || left(rtrim(split_part({text}, chr(10), 1), chr(13)), 120) || ')' AS reason, "
        f"length({text}) - length(replace({text}, chr(10), '')) + 1 AS text_lines "
        "FROM csv_errors GROUP BY line"
    )
    con.execute("DROP TABLE csv_errors")
    con.execute("DROP TABLE csv_scans")
    ((valid,),) = con.execute("SELECT count(*) FROM numbered").fetchall()
    ((malformed,),) = con.execute("SELECT count(*) FROM rejected").fetchall()
    if malformed == 0 and line_count(source.path) == 1 + valid:
        # One record on each line after the header (the common case): the lines are right.
        con.execute(f"ALTER TABLE numbered RENAME TO {RAW}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {MALFORMED} (line BIGINT, reason VARCHAR)")
    else:
        if not _place_records(con, source, spec, valid + malformed):
            _place_records_as_duckdb_does(con, spec)
        con.execute("DROP TABLE numbered")
    con.execute("DROP TABLE rejected")


def _malformed_reason(line: str, lines: str, unclosed: str) -> str:
    """The reason of a rejected record, from SQL expressions of where it lies."""
    return (
        f"reason || CASE WHEN {unclosed} THEN ' ; un guillemet ouvert et jamais refermé a fait "
        f"lire ' || {lines} || ' lignes du fichier (à partir de la ligne ' || {line} || ') comme "
        f"ce seul enregistrement, refusé avec elles' WHEN {lines} > 1 THEN ' ; enregistrement des "
        f"lignes ' || {line} || ' à ' || ({line} + {lines} - 1) ELSE '' END"
    )


def _place_records(
    con: duckdb.DuckDBPyConnection, source: SourceFile, spec: FileSpec, records: int
) -> bool:
    """Give every record the physical line it starts on (blank lines, line breaks inside quoted
    fields); False, with nothing created, when the walk of the file does not find DuckDB's records."""
    located = record_lines(source.path)
    con.register("located_arrow", located.table())
    con.execute(
        "CREATE OR REPLACE TEMP TABLE located AS SELECT *, "
        f"{'line = max(line) OVER ()' if located.unclosed else 'FALSE'} AS unclosed FROM located_arrow"
    )
    con.unregister("located_arrow")
    ((agree,),) = con.execute(
        f"SELECT (SELECT count(*) FROM located) = {records} AND NOT EXISTS "
        "(SELECT 1 FROM rejected ANTI JOIN located USING (duckdb_line))"
    ).fetchall()
    if agree:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {MALFORMED} AS SELECT l.line, "
            f"{_malformed_reason('l.line', 'l.lines', 'l.unclosed')} AS reason "
            "FROM rejected JOIN located l USING (duckdb_line)"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT w.line, "
            f"{', '.join('n.' + quote_ident(c) for c in spec.column_names)} FROM numbered n JOIN ("
            "SELECT line, row_number() OVER (ORDER BY line) + 1 AS rank FROM located "
            "ANTI JOIN rejected USING (duckdb_line)) w ON n.line = w.rank"
        )
    con.execute("DROP TABLE located")
    return bool(agree)


def _place_records_as_duckdb_does(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> None:
    """The fallback for a file whose quoting is broken in ways the walk does not split as DuckDB:
    rejected records keep DuckDB's line, well-formed ones are numbered in the gaps between them."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {MALFORMED} AS SELECT duckdb_line AS line, "
        f"{_malformed_reason('duckdb_line', 'text_lines', 'text_lines > 1')} AS reason FROM rejected"
    )
    # Well-formed record k sits after the rejected records whose "well-formed before" count is < k.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE shifts AS SELECT v, max(n) AS n FROM ("
        f"SELECT line - 1 - row_number() OVER (ORDER BY line) AS v, "
        f"row_number() OVER (ORDER BY line) AS n FROM {MALFORMED}) GROUP BY v"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT numbered.line + COALESCE(shifts.n, 0) "
        f"AS line, {', '.join('numbered.' + quote_ident(c) for c in spec.column_names)} "
        "FROM numbered ASOF LEFT JOIN shifts ON numbered.line - 1 > shifts.v"
    )
    con.execute("DROP TABLE shifts")


def read_csv_header(source: SourceFile) -> list[str]:
    """The header row, checked against the contract (any order, every column, nothing else)."""
    with source.path.open("rb") as f:
        first = f.readline(1 << 20)
    # A lone carriage return also ends a line (Excel's "CSV (Macintosh)"), as it does for DuckDB.
    first = re.split(rb"\r\n?|\n", first, maxsplit=1)[0]
    if not first.removeprefix(codecs.BOM_UTF8).strip():
        empty = source.path.stat().st_size <= len(codecs.BOM_UTF8) + 2
        reason = (
            "fichier vide : la ligne d'en-tête manque"
            if empty
            else "première ligne vide : l'en-tête doit être sur la ligne 1"
        )
        raise FileRefused(Issue(source.label, 1, None, reason))
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FileRefused(
            Issue(
                source.label,
                1,
                None,
                f"en-tête qui n'est pas en UTF-8 (octet {e.start + 1}) : réenregistrez le fichier en UTF-8",
            )
        ) from e
    separator = separator_issue(text)
    if separator is not None:
        raise FileRefused(Issue(source.label, 1, None, separator))
    header = next(csv.reader(io.StringIO(text)))
    check_header(source, header)
    return header


def check_header(source: SourceFile, header: list[str]) -> None:
    expected = source.spec.column_names
    duplicated = sorted({h for h in header if header.count(h) > 1})
    missing = [c for c in expected if c not in header]
    unknown = [h for h in header if h not in expected]
    problems = []
    if missing:
        problems.append("colonnes manquantes : " + ", ".join(missing))
    if unknown:
        problems.append("colonnes inconnues : " + ", ".join(h or "(sans nom)" for h in unknown))
    if duplicated:
        problems.append("colonnes en double : " + ", ".join(duplicated))
    if problems:
        problems.append("en-tête attendu : " + ",".join(expected))
        column = (missing or unknown or duplicated)[0]
        raise FileRefused(Issue(source.label, 1, column, " ; ".join(problems)))


# DuckDB type names of nested values: `VARCHAR[]`, `INTEGER[3]`, STRUCT(...), MAP(...), UNION(...).
_NESTED = re.compile(r"\[\d*\]$|^(STRUCT|MAP|UNION)\(")


def engine_message(error: duckdb.Error) -> str:
    """DuckDB's message without the SQL it quotes after it (`LINE 1: ...` and a caret)."""
    return str(error).split("\nLINE ", 1)[0].strip()


def _stage_parquet(con: duckdb.DuckDBPyConnection, source: SourceFile) -> None:
    path = literal(str(source.path))
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
    except duckdb.Error as e:
        raise FileRefused(
            Issue(source.label, None, None, f"Parquet illisible : {engine_message(e)}")
        ) from e
    check_header(source, [row[0] for row in described])
    types = {row[0]: str(row[1]) for row in described}
    nested = [n for n in source.spec.column_names if _NESTED.search(types[n])]
    if nested:
        shown = ", ".join(f"{n} ({types[n]})" for n in nested)
        reason = (
            f"colonnes composées (liste, structure) : {shown} ; attendu du texte ou un type simple"
        )
        raise FileRefused(Issue(source.label, None, nested[0], reason))
    casts, not_utf8 = [], []
    for name in source.spec.column_names:
        q = quote_ident(name)
        if types[name] == "BLOB":
            # Bytes are text only in UTF-8: a cast would store b"\xff" as the four characters
            # `\xFF` (and hide a NUL from the NUL check); such a row is malformed, as in a CSV.
            casts.append(f"decode({q}) AS {q}")
            not_utf8.append((name, f"{q} IS NOT NULL AND TRY(decode({q})) IS NULL"))
        else:
            # Typed Parquet columns are rendered as text (a TIMESTAMPTZ with its +00 offset, a DATE
            # as YYYY-MM-DD) so that one set of checks serves both formats.
            casts.append(f"CAST({q} AS VARCHAR) AS {q}" if types[name] != "VARCHAR" else q)
    rows = f"read_parquet({path}, file_row_number = true)"
    bad = " OR ".join(condition for _, condition in not_utf8) or "false"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {RAW} AS SELECT file_row_number + 1 AS line, {', '.join(casts)} "
        f"FROM {rows} WHERE NOT ({bad})"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {MALFORMED} (line BIGINT, reason VARCHAR)")
    for name, condition in not_utf8:
        reason = literal(f"{name} : texte qui n'est pas en UTF-8")
        con.execute(
            f"INSERT INTO {MALFORMED} SELECT file_row_number + 1, {reason} FROM {rows} "
            f"WHERE ({condition}) AND file_row_number + 1 NOT IN (SELECT line FROM {MALFORMED})"
        )
