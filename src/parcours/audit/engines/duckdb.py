"""DuckDB, the default engine: in-process, out of core, reads Parquet and CSV directly."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from parcours.audit.engines.base import AnalyticsEngine, EngineError
from parcours.audit.engines.functions import function_map


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
            return (
                f"read_csv('{quoted}', header = true, all_varchar = true, delim = ',', "
                "quote = '\"', escape = '\"')"
            )
        if file_format == "parquet":
            return f"read_parquet('{quoted}', union_by_name = true)"
        raise ValueError(f"unknown file format {file_format!r}")

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
            raise EngineError(f"DuckDB: {exc}", sql=sql) from exc

    def iter_dicts(self, sql: str, *, batch_rows: int = 50_000) -> Iterator[dict[str, Any]]:
        try:
            reader = self._con.sql(sql).to_arrow_reader(batch_rows)
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB: {exc}", sql=sql) from exc
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
            raise EngineError(f"DuckDB: {exc}", sql=sql) from exc
