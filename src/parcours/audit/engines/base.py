"""The abstract analytics engine every detection step talks to.

Detection is written as a pipeline of named tables built by SQL in a portable subset (joins,
aggregates, window functions). What differs between engines (time zones, date arithmetic,
quantiles) goes through `functions.FunctionMap`, so the same SQL files can run on Spark.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

import pyarrow as pa

from parcours.audit.engines.functions import FunctionMap
from parcours.errors import ParcoursError


class EngineError(ParcoursError):
    """An engine failed on a statement; the failing SQL is attached so it can be reproduced."""

    def __init__(self, message: str, *, sql: str) -> None:
        self.sql = sql
        super().__init__(f"{message}\n--- failing SQL ---\n{sql}" if sql else message)


class AnalyticsEngine(ABC):
    name: str
    functions: FunctionMap
    # The cores this process was told to use, for work done beside the engine in Python (the
    # names' standardisation); None: not set by the engine (a cluster's driver), all usable cores.
    threads: int | None = None

    # -- inputs -------------------------------------------------------------------------------

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Expose an in-memory Arrow table under `name`."""

    @abstractmethod
    def read_files(self, path_or_glob: str, *, file_format: str) -> str:
        """A table expression reading CSV (all columns as text) or Parquet files."""

    @abstractmethod
    def list_files(self, uri: str) -> list[str]:
        """The file at `uri`, or every file anywhere below it (a folder); [] when nothing is there.

        Asked of the engine because the engine is what reads the inputs: a local path, or on a
        cluster the storage's own scheme (hdfs://, s3a://...) that only the engine can list.
        """

    @abstractmethod
    def column_types(self, relation: str) -> dict[str, str]:
        """Column name -> engine type name (upper case) of a relation."""

    # -- statements ---------------------------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run a statement; failures raise EngineError with the SQL attached."""

    def create_table(self, name: str, select_sql: str) -> None:
        self.execute(f"CREATE OR REPLACE TABLE {name} AS {select_sql}")

    def create_view(self, name: str, select_sql: str) -> None:
        self.execute(f"CREATE OR REPLACE VIEW {name} AS {select_sql}")

    @abstractmethod
    def stage(self, view: str) -> None:
        """Make a view over text files cheap to scan again: parsed once, its rows kept typed.

        The campaign reads the consultations several times (input report, located); parsing a
        CSV log each time costs more than writing it once in a columnar form.
        """

    @abstractmethod
    def fetch_arrow(self, sql: str) -> pa.Table:
        """Run a query and return its result as an Arrow table."""

    def fetch_dicts(self, sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.fetch_arrow(sql).to_pylist()
        return rows

    def iter_dicts(self, sql: str, *, batch_rows: int = 50_000) -> Iterator[dict[str, Any]]:
        """The rows of a query, converted to dicts one batch at a time.

        For results too large to hold as Python objects at once (the situations of a national
        campaign). This default fetches one Arrow table; an engine that can stream overrides it.
        """
        for batch in self.fetch_arrow(sql).to_batches(max_chunksize=batch_rows):
            yield from batch.to_pylist()

    def scalar(self, sql: str) -> Any:
        rows = self.fetch_arrow(sql).to_pylist()
        if not rows:
            return None
        return next(iter(rows[0].values()))

    def render(self, template: str, params: Mapping[str, Any] | None = None) -> str:
        """Render a SQL template with this engine's function map and the given parameters."""
        return self.functions.render(template, params or {})

    @abstractmethod
    def native_connection(self) -> Any:
        """The engine's own connection (DuckDB connection, SparkSession) for library calls."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> AnalyticsEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
