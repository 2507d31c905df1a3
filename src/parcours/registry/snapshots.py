"""Rewrites the warehouse Parquet snapshots (`Warehouse`) from the database.

Column names are the contract's; DATE stays a date, timestamps become UTC TIMESTAMPTZ, booleans
BOOLEAN. Each snapshot is written to a temporary file and renamed into place, so readers never see
half a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Date, DateTime, Engine, Integer, Table, TypeDecorator, func, select

from parcours.db import Base
from parcours.registry.contract import BY_NAME
from parcours.registry.models import ImportBatch
from parcours.registry.warehouse import REFERENCE_TABLES, Warehouse

CHUNK = 50_000
VERSION_KEY = b"parcours.last_batch"


def arrow_schema(table: Table, columns: Iterable[str]) -> pa.Schema:
    fields = []
    for name in columns:
        sql_type = table.columns[name].type
        if isinstance(sql_type, TypeDecorator):  # e.g. parcours.db.UtcDateTime
            sql_type = sql_type.impl_instance
        if isinstance(sql_type, DateTime):
            arrow: pa.DataType = pa.timestamp("us", tz="UTC")
        elif isinstance(sql_type, Date):
            arrow = pa.date32()
        elif isinstance(sql_type, Boolean):
            arrow = pa.bool_()
        elif isinstance(sql_type, Integer):
            arrow = pa.int64()
        else:
            arrow = pa.string()
        fields.append(pa.field(name, arrow))
    return pa.schema(fields)


def last_batches(engine: Engine) -> dict[str, str]:
    """Per table, when its last import batch finished: the version a snapshot is built from."""
    query = (
        select(ImportBatch.table_name, func.max(ImportBatch.finished_at))
        .where(ImportBatch.finished_at.is_not(None))
        .group_by(ImportBatch.table_name)
    )
    with engine.connect() as conn:
        return {name: str(at) for name, at in conn.execute(query).all()}


def snapshot_version(warehouse: Warehouse, table_name: str) -> str | None:
    path = warehouse.table_path(table_name)
    if not path.exists():
        return None
    metadata = pq.read_schema(path).metadata or {}
    value = metadata.get(VERSION_KEY)
    return value.decode() if value is not None else None


def stale_snapshots(engine: Engine, warehouse: Warehouse) -> list[str]:
    """Tables whose snapshot is missing or older than the table's last import.

    Comparing versions (not just "was this table imported now") also repairs a snapshot left
    stale by an import killed between its database commit and its snapshot.
    """
    versions = last_batches(engine)
    return [
        t
        for t in REFERENCE_TABLES
        if not warehouse.table_path(t).exists()
        or snapshot_version(warehouse, t) != versions.get(t, "")
    ]


def write_snapshot(engine: Engine, warehouse: Warehouse, table_name: str) -> int:
    """Write one reference table's snapshot; returns its row count."""
    table = Base.metadata.tables[table_name]
    columns = BY_NAME[table_name].column_names
    # Read the version before the rows: a batch finishing meanwhile makes the snapshot stale, not wrong.
    version = last_batches(engine).get(table_name, "")
    schema = arrow_schema(table, columns).with_metadata({VERSION_KEY: version.encode()})
    target = warehouse.table_path(table_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    rows = 0
    pk = next(iter(table.primary_key.columns))
    column_list = ", ".join(f'"{c}"' for c in columns)
    # Raw driver values, converted by Arrow a column at a time: several times faster than
    # SQLAlchemy's per-value type processing on large tables.
    query = f'SELECT {column_list} FROM "{table_name}" ORDER BY "{pk.name}"'
    with engine.connect() as conn, pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        result = conn.execution_options(stream_results=True).exec_driver_sql(query)
        for part in result.partitions(CHUNK):  # the size must be explicit for driver SQL
            arrays = [
                _to_arrow([row[i] for row in part], field.type) for i, field in enumerate(schema)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += len(part)
    os.replace(tmp, target)
    return rows


def _to_arrow(values: list[object], target: pa.DataType) -> pa.Array:
    """SQLite gives text for dates and datetimes (UTC wall time, as the importer stores them) and
    integers for booleans; PostgreSQL gives Python objects. Both end as `target`."""
    if any(isinstance(v, str) for v in values) and not pa.types.is_string(target):
        if pa.types.is_timestamp(target):
            return pa.array(values, pa.string()).cast(pa.timestamp("us")).cast(target)
        return pa.array(values, pa.string()).cast(target)
    if pa.types.is_boolean(target):
        return pa.array(values).cast(target) if values else pa.array([], target)
    return pa.array(values, target)


def write_snapshots(
    engine: Engine, warehouse: Warehouse, tables: Iterable[str] = REFERENCE_TABLES
) -> dict[str, int]:
    return {t: write_snapshot(engine, warehouse, t) for t in tables}
