"""Bulk upsert of validated rows into a reference table, inside the caller's transaction.

Ids are the contract's external ids, so loading a row whose id exists updates it: importing the
same file twice changes nothing. A row identical to the stored one is not written at all, and the
counts say how many rows were new, changed and unchanged. SQLite gets executemany in chunks;
PostgreSQL gets COPY into a temporary table followed by one INSERT ... ON CONFLICT.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, column, func, select, tuple_
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import insert as pg_insert

SQLITE_CHUNK = 5_000
SQLITE_CACHE_KIB = 256 * 1024

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Upserted:
    inserted: int  # ids new to the table
    updated: int  # existing ids whose values changed
    unchanged: int  # existing ids sent again with the values already stored

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged


def upsert_batches(
    conn: Connection,
    table: Table,
    batches: Iterable[pa.RecordBatch],
    *,
    on_rows: Progress | None = None,
) -> Upserted:
    # New rows are told from updated ones by the row count before and after: both engines report
    # only how many rows a statement wrote, and the WHERE of the update skips identical rows.
    before = _row_count(conn, table)
    if conn.dialect.name == "postgresql":
        rows, written = _upsert_postgresql(conn, table, batches, on_rows)
    else:
        rows, written = _upsert_sqlite(conn, table, batches, on_rows)
    inserted = _row_count(conn, table) - before
    return Upserted(inserted, written - inserted, rows - written)


def _row_count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _primary_key(table: Table) -> str:
    (pk,) = table.primary_key.columns
    return pk.name


def _upsert_sqlite(
    conn: Connection, table: Table, batches: Iterable[pa.RecordBatch], on_rows: Progress | None
) -> tuple[int, int]:
    """(rows sent, rows written)."""
    pk = _primary_key(table)
    raw = cast("sqlite3.Connection", conn.connection.dbapi_connection)
    cursor = raw.cursor()
    # The default 2 MB page cache thrashes on tables with several indexes; this connection is
    # short-lived (one import), so give it room.
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    total = written = 0
    try:
        for batch in batches:
            names = batch.schema.names
            others = [n for n in names if n != pk]
            column_list = ", ".join(f'"{n}"' for n in names)
            stored = ", ".join(f'"{n}"' for n in others)
            sent = ", ".join(f'excluded."{n}"' for n in others)
            sql = (
                f'INSERT INTO "{table.name}" ({column_list}) '
                f"VALUES ({', '.join('?' for _ in names)}) "
                f'ON CONFLICT ("{pk}") DO UPDATE SET '
                + ", ".join(f'"{n}" = excluded."{n}"' for n in others)
                + f" WHERE ({stored}) IS NOT ({sent})"  # rows are NULL-safe compared
            )
            columns = [_sqlite_storage(c).to_pylist() for c in batch.columns]
            rows = list(zip(*columns, strict=True))
            for start in range(0, len(rows), SQLITE_CHUNK):
                chunk = rows[start : start + SQLITE_CHUNK]
                cursor.executemany(sql, chunk)
                written += cursor.rowcount  # summed over the chunk; skipped updates count 0
                total += len(chunk)
                if on_rows:
                    on_rows(len(chunk))
    finally:
        cursor.close()
    return total, written


def _sqlite_storage(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Values in the text forms SQLAlchemy's SQLite types store and read back.

    Going through the raw driver with tuples is several times faster than SQLAlchemy's per-row
    type processing; these conversions are exactly what those processors would have written.
    """
    t = values.type
    if pa.types.is_timestamp(t):
        # UTC wall time with microseconds: SQLAlchemy's DATETIME storage format.
        return pc.strftime(values, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_date(t):
        return pc.cast(values, pa.string())
    if pa.types.is_boolean(t):
        return pc.cast(values, pa.int8())
    return values


def _upsert_postgresql(
    conn: Connection, table: Table, batches: Iterable[pa.RecordBatch], on_rows: Progress | None
) -> tuple[int, int]:
    """(rows sent, rows written)."""
    pk = _primary_key(table)
    staging = f"_import_{table.name}"
    raw = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
    names: list[str] | None = None
    total = 0
    with raw.cursor() as cur:
        cur.execute(
            f'CREATE TEMP TABLE "{staging}" (LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
        )
        for batch in batches:
            names = batch.schema.names
            column_list = ", ".join(f'"{n}"' for n in names)
            columns = [c.to_pylist() for c in batch.columns]
            with cur.copy(f'COPY "{staging}" ({column_list}) FROM STDIN') as copy:
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
            total += batch.num_rows
            if on_rows:
                on_rows(batch.num_rows)
    if names is None:
        return 0, 0
    others = [n for n in names if n != pk]
    source: Any = select(*[column(n) for n in names]).select_from(sql_table(staging))
    stmt = pg_insert(table).from_select(names, source)
    stmt = stmt.on_conflict_do_update(
        index_elements=[pk],
        set_={n: stmt.excluded[n] for n in others},
        where=tuple_(*[table.c[n] for n in others]).is_distinct_from(
            tuple_(*[stmt.excluded[n] for n in others])
        ),
    )
    # SQLAlchemy keeps the driver's row count of an INSERT only when asked to.
    written = conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount
    return total, written
