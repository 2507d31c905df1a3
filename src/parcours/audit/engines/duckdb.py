"""DuckDB, the default engine: in-process, out of core, reads Parquet and CSV directly."""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from parcours.audit.engines.base import AnalyticsEngine, EngineError
from parcours.audit.engines.functions import function_map
from parcours.errors import InvalidInput, Issue, ParcoursError
from parcours.registry.csv_lines import record_lines


class DuckDBEngine(AnalyticsEngine):
    name = "duckdb"

    def __init__(self, *, memory_limit: str = "3GB", threads: int = 2) -> None:
        self.functions = function_map("duckdb")
        self.threads = int(threads)
        self._con = duckdb.connect()
        self._spill = tempfile.TemporaryDirectory(prefix="parcours-duckdb-")
        # UTC session: every timestamp the pipeline handles is an instant; local time is explicit.
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute(f"SET threads = {int(threads)}")
        self._con.execute(f"SET temp_directory = '{self._spill.name}'")
        self._con.execute("SET preserve_insertion_order = false")

    def stage(self, view: str) -> None:
        # Parquet in the spill directory (removed with the engine): streamed, so memory stays flat
        # whatever the log's size; uncompressed, as it is read back once or twice and then dropped.
        path = Path(self._spill.name) / f"staged-{view}.parquet"
        self.execute(
            f"COPY (SELECT * FROM {view}) TO '{path}' (FORMAT parquet, COMPRESSION uncompressed)"
        )
        self.create_view(view, f"SELECT * FROM read_parquet('{path}')")

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self._con.register(f"__arrow_{name}", table)
        self.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM __arrow_{name}")

    def read_files(self, path_or_glob: str, *, file_format: str) -> str:
        quoted = path_or_glob.replace("'", "''")
        if file_format == "csv":
            return self._read_csv(path_or_glob) or (
                f"read_csv('{quoted}', header = true, all_varchar = true, delim = ',', "
                "quote = '\"', escape = '\"')"
            )
        if file_format == "parquet":
            return f"read_parquet('{quoted}', union_by_name = true)"
        raise ValueError(f"unknown file format {file_format!r}")

    def _read_csv(self, path_or_glob: str) -> str | None:
        """The files read with the columns of their own header line, as `parcours import` reads
        them; None when a header cannot be read here (a remote or empty file: DuckDB's sniffer).

        Not sniffed: the sniffer guesses the header from a sample, and one record with a field too
        many or too few made it fail, or read the header as data (every column then "absent").
        With the columns given, the strict reader stops on such a record with its line
        (`_error`). Files are grouped by header and the groups joined by name, as the sniffer
        matched the columns of each file by name.
        """
        groups: dict[tuple[str, ...], list[str]] = {}
        try:  # the files DuckDB will read (`list_files` also lists below a folder)
            found = self._con.execute("SELECT file FROM glob(?)", [path_or_glob]).fetchall()
        except duckdb.Error:
            return None
        for (name,) in sorted(found):
            header = _csv_header(Path(name))
            if not header:
                return None
            groups.setdefault(tuple(header), []).append(name)
        if not groups:
            return None
        reads = []
        for names, files in groups.items():
            where = (
                _literal(path_or_glob)
                if len(groups) == 1
                else f"[{', '.join(map(_literal, files))}]"
            )
            columns = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in names)
            reads.append(
                f"read_csv({where}, header = true, auto_detect = false, columns = {{{columns}}}, "
                "delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false)"
            )
        if len(reads) == 1:
            return reads[0]
        return "(" + " UNION ALL BY NAME ".join(f"SELECT * FROM {r}" for r in reads) + ")"

    def list_files(self, uri: str) -> list[str]:
        base = uri.rstrip("/")
        try:
            rows = self._con.execute(
                "SELECT file FROM glob(?) UNION SELECT file FROM glob(?)", [base, f"{base}/**"]
            ).fetchall()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB: {exc}", sql=f"glob('{base}')") from exc
        return sorted(str(r[0]) for r in rows)

    def column_types(self, relation: str) -> dict[str, str]:
        rows = self._run(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        return {str(r[0]): str(r[1]).upper() for r in rows}

    def execute(self, sql: str) -> None:
        self._run(sql)

    def fetch_arrow(self, sql: str) -> pa.Table:
        try:
            rel = self._con.sql(sql)
            if rel is None:
                raise EngineError("DuckDB: the statement returns no rows", sql=sql)
            return rel.to_arrow_table()
        except duckdb.Error as exc:
            raise _error(exc, sql) from exc

    def iter_dicts(self, sql: str, *, batch_rows: int = 50_000) -> Iterator[dict[str, Any]]:
        try:
            reader = self._con.sql(sql).to_arrow_reader(batch_rows)
        except duckdb.Error as exc:
            raise _error(exc, sql) from exc
        for batch in reader:
            yield from batch.to_pylist()

    def native_connection(self) -> Any:
        return self._con

    def close(self) -> None:
        self._con.close()
        self._spill.cleanup()

    def _run(self, sql: str) -> duckdb.DuckDBPyConnection:
        try:
            return self._con.execute(sql)
        except duckdb.Error as exc:
            raise _error(exc, sql) from exc


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_header(path: Path) -> list[str] | None:
    """The column names on the first line of a local CSV file; None when there are none to give
    (not a local file, not UTF-8, an empty line, an empty or repeated name)."""
    try:
        with path.open("rb") as f:
            first = f.readline(1 << 20)
        # A lone carriage return also ends a line, for DuckDB as for `parcours import`.
        text = re.split(rb"\r\n?|\n", first, maxsplit=1)[0].decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    header = next(csv.reader([text]), [])
    if not header or "" in header or len(set(header)) < len(header):
        return None
    return header


# DuckDB's strict CSV reader stops on the first record it cannot split into the header's fields:
# `CSV Error on Line: N`, then the record, the problem, and the reader's options with `file = ...`.
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)
_CSV_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _error(exc: duckdb.Error, sql: str) -> ParcoursError:
    """The engine's error; an input file's malformed record as the file and line to fix."""
    message = str(exc)
    line, file = _CSV_LINE.search(message), _CSV_FILE.search(message)
    if line is None or file is None:
        return EngineError(f"DuckDB: {exc}", sql=sql)
    path = Path(file.group(1).strip())
    columns = _CSV_COLUMNS.search(message)
    if columns is not None:
        expected, found = int(columns.group(1)), int(columns.group(2))
        what = "champs en trop" if found > expected else "champs manquants"
        problem = f"{what} ({found} au lieu de {expected})"
    elif "Invalid unicode" in message:
        problem = "texte qui n'est pas en UTF-8"
    elif "quote" in message.lower():
        problem = "guillemets incorrects"
    else:
        problem = message.split("\n")[2].strip() if message.count("\n") >= 2 else message
    reason = (
        f"enregistrement mal formé : {problem} ; fichier refusé : corrigez-le, ou importez le "
        "dossier avec `parcours import`, qui met de côté les enregistrements mal formés"
    )
    return InvalidInput([Issue(str(path), _physical_line(path, int(line.group(1))), None, reason)])


def _physical_line(path: Path, duckdb_line: int) -> int:
    """The line an editor shows for DuckDB's line number, which counts a record holding a quoted
    line break as one line (the importer's walk of the file, `registry.csv_lines`)."""
    try:
        located = record_lines(path)
    except OSError:
        return duckdb_line
    for line, number in zip(located.line, located.duckdb_line, strict=True):
        if number == duckdb_line:
            return line
    return duckdb_line
