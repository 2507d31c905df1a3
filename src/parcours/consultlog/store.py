"""Writes and reads of the consultation log. The only code that touches its files."""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from parcours.consultlog.schema import ACTIONS, ARROW_SCHEMA


@dataclass(frozen=True)
class ConsultationEvent:
    """One consultation, as written by the application itself (source='app')."""

    event_id: str
    ts: datetime
    agent_id: str
    de_id: str
    application: str
    action: str
    purpose: str | None = None
    source: str = "app"


def check_events(events: Iterable[ConsultationEvent]) -> None:
    """What every writer of application events refuses: an unknown action, a naive timestamp."""
    for e in events:
        if e.action not in ACTIONS:
            raise ValueError(f"unknown action {e.action!r}")
        if e.ts.tzinfo is None:
            raise ValueError("event timestamps must be timezone-aware")


def new_event_id() -> str:
    return f"app-{uuid.uuid4().hex}"


@contextmanager
def placement_lock(root: Path, *, exclusive: bool = False) -> Iterator[None]:
    """Writers place files under a shared lock; compaction swaps a day's folder under an exclusive one,
    so that no file lands in a folder being replaced."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def batch_of(path: Path) -> str:
    """The batch a log file belongs to, from the names the writers give: `<batch>.parquet`
    (`append_table`) or `<batch>_<n>.parquet` (`append_query`)."""
    head, sep, tail = path.stem.rpartition("_")
    return head if sep and tail.isdigit() else path.stem


class ConsultLog:
    """Day-partitioned Parquet files; each write is a new file renamed into place atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- writes -----------------------------------------------------------------------------

    def append_events(self, events: Sequence[ConsultationEvent]) -> int:
        if not events:
            return 0
        check_events(events)
        table = pa.Table.from_pylist(
            [
                {
                    "event_id": e.event_id,
                    "ts": e.ts.astimezone(UTC),
                    "agent_id": e.agent_id,
                    "de_id": e.de_id,
                    "application": e.application,
                    "action": e.action,
                    "purpose": e.purpose,
                    "source": e.source,
                }
                for e in events
            ],
            schema=ARROW_SCHEMA,
        )
        return self.append_table(table)

    def append_table(self, table: pa.Table, *, batch_id: str | None = None) -> int:
        """Append rows (already deduplicated by the caller) split into day partitions.

        `batch_id` names the files, so that a crashed batch re-run overwrites its own partial files
        instead of adding a second copy; a fresh uuid is used when omitted.
        """
        if table.num_rows == 0:
            return 0
        table = table.cast(ARROW_SCHEMA)
        batch = batch_id or uuid.uuid4().hex
        days = pc.strftime(table["ts"], format="%Y-%m-%d")
        with placement_lock(self.root):
            for day in pc.unique(days).to_pylist():
                part = table.filter(pc.equal(days, day))
                folder = self.root / f"day={day}"
                folder.mkdir(parents=True, exist_ok=True)
                final = folder / f"{batch}.parquet"
                tmp = folder / f".{batch}.parquet.tmp"
                pq.write_table(part, tmp, compression="zstd")
                os.replace(tmp, final)
        return int(table.num_rows)

    def append_query(self, con: duckdb.DuckDBPyConnection, query: str, *, batch_id: str) -> int:
        """Append the rows of a DuckDB query (the stored columns plus `day`), streaming.

        DuckDB writes day partitions into a private staging folder, then each file is renamed into
        place as `day=D/<batch_id>_<n>.parquet`. A batch killed half-way leaves some of its files;
        `discard_batch` removes them before the batch is written again (the importer does so for
        every batch that did not record its end).
        """
        staging = self.root / ".staging" / batch_id
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        columns = ", ".join(f.name for f in ARROW_SCHEMA) + ", day"
        con.execute(
            f"COPY (SELECT {columns} FROM ({query})) TO '{staging}' (FORMAT parquet, "
            f"PARTITION_BY (day), FILENAME_PATTERN '{batch_id}_{{i}}', COMPRESSION zstd, "
            "OVERWRITE_OR_IGNORE true)"
        )
        rows = 0
        with placement_lock(self.root):
            for path in sorted(staging.glob("day=*/*.parquet")):
                rows += pq.ParquetFile(path).metadata.num_rows
                folder = self.root / path.parent.name
                folder.mkdir(parents=True, exist_ok=True)
                os.replace(path, folder / path.name)
        shutil.rmtree(staging, ignore_errors=True)
        return rows

    def discard_batch(self, batch_id: str) -> int:
        """Remove the files of a batch that never finished (never called on a finished batch)."""
        removed = 0
        with placement_lock(self.root):
            for path in self.files_of_batch(batch_id):
                path.unlink()
                removed += 1
        shutil.rmtree(self.root / ".staging" / batch_id, ignore_errors=True)
        return removed

    # -- reads ------------------------------------------------------------------------------

    def glob(self) -> str:
        return str(self.root / "day=*" / "*.parquet")

    def is_empty(self) -> bool:
        return not any(self.root.glob("day=*/*.parquet"))

    def days(self) -> list[str]:
        return sorted(
            p.name.removeprefix("day=") for p in self.root.glob("day=*") if any(p.glob("*.parquet"))
        )

    def relation_sql(self) -> str:
        """A DuckDB table expression over the whole log (hive partition column `day` included)."""
        if self.is_empty():
            cols = ", ".join(
                f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}" for f in ARROW_SCHEMA
            )
            return f"(SELECT {cols}, CAST(NULL AS DATE) AS day WHERE false)"
        return f"read_parquet('{self.glob()}', hive_partitioning = true, union_by_name = true)"

    def files_of_batch(self, batch_id: str) -> list[Path]:
        """The files a batch wrote, every day (none once compaction merged its day)."""
        # The candidates by prefix, then exactly the batch's own files (`batch_of`, the same reading
        # of names as compaction's): another batch named `<batch_id>_x` is not one of them.
        return sorted(
            path
            for path in self.root.glob(f"day=*/{batch_id}*.parquet")
            if batch_of(path) == batch_id
        )

    def files_for_days(self, days: Iterable[str]) -> list[Path]:
        return [f for d in days for f in sorted((self.root / f"day={d}").glob("*.parquet"))]

    def existing_event_ids(self, con: duckdb.DuckDBPyConnection, days: Iterable[str]) -> set[str]:
        files = [str(f) for d in days for f in (self.root / f"day={d}").glob("*.parquet")]
        if not files:
            return set()
        rows = con.execute("SELECT event_id FROM read_parquet(?)", [files]).fetchall()
        return {r[0] for r in rows}

    def count(self) -> int:
        if self.is_empty():
            return 0
        con = duckdb.connect()
        try:
            (n,) = con.execute(f"SELECT count(*) FROM {self.relation_sql()}").fetchone()  # type: ignore[misc]
            return int(n)
        finally:
            con.close()

    def events_for(
        self, *, de_id: str | None = None, agent_id: str | None = None, limit: int = 1000
    ) -> list[dict[str, object]]:
        """Recent events of one file or one agent, newest first (for the control context screens)."""
        if self.is_empty():
            return []
        where, params = [], []
        if de_id is not None:
            where.append("de_id = ?")
            params.append(de_id)
        if agent_id is not None:
            where.append("agent_id = ?")
            params.append(agent_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        con = duckdb.connect()
        try:
            cur = con.execute(
                f"SELECT event_id, ts, agent_id, de_id, application, action, purpose, source "
                f"FROM {self.relation_sql()} {clause} ORDER BY ts DESC LIMIT {int(limit)}",
                params,
            )
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ"
    return "VARCHAR"
