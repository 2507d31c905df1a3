"""The application's consultation events: recorded with the request's unit of work, flushed in
batches to the Parquet log.

- `record_events(session, events)`: one row per event, inserted when the request's transaction
  commits, before the response leaves (the file is shown only if its consultation is logged).
- `flush_buffer(engine, log)`: moves the buffered rows to `day=D/app-<first>-<last>.parquet` files,
  a batch at a time. A flush claims an id range first and deletes exactly the rows it wrote, so a
  crash anywhere loses nothing and duplicates nothing (the next flush rewrites the same batch name);
  rows committed late inside a claimed range are carried by the rewrite or by the next batch.
- `buffered_events(session, ...)`: what is not flushed yet, for the screens that show a timeline.

Detection and `parcours purge` flush before they read the log; the flow watcher flushes when 10,000
rows or 5 minutes wait; `parcours log flush` does it by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import pyarrow as pa
from sqlalchemy import Engine, delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parcours.consultlog.models import BufferedConsultation, LogFlush
from parcours.consultlog.schema import ARROW_SCHEMA
from parcours.consultlog.store import ConsultationEvent, ConsultLog, check_events
from parcours.db import session_scope

FLUSH = "buffer"
BATCH_ROWS = 200_000
# A claim older than this belongs to a flusher that died; a live one finishes a batch in seconds.
LEASE = timedelta(minutes=10)


# The events of a unit of work, inserted when it commits (`_insert_at_commit`).
PENDING = "parcours.consultations"


def record_events(session: Session, events: Sequence[ConsultationEvent]) -> None:
    """Log events with the session's unit of work: inserted when it commits, gone if it rolls back.

    Inserted at commit rather than now: on SQLite a write holds the database's write lock until the
    commit, and a page view's insert made before its reads and rendering made the other requests
    queue behind it."""
    check_events(events)
    session.info.setdefault(PENDING, []).extend(BufferedConsultation(**_columns(e)) for e in events)


@event.listens_for(Session, "before_commit")
def _insert_at_commit(session: Session) -> None:
    rows = session.info.pop(PENDING, None)
    if rows:
        session.add_all(rows)  # flushed by the commit itself


@event.listens_for(Session, "after_rollback")
def _drop_at_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def _pending(session: Session) -> list[BufferedConsultation]:
    rows: list[BufferedConsultation] = session.info.get(PENDING, [])
    return rows


def _columns(row: ConsultationEvent | BufferedConsultation) -> dict[str, object]:
    """The stored columns of an event (ARROW_SCHEMA's names), its instant in UTC."""
    out = {name: getattr(row, name) for name in ARROW_SCHEMA.names}
    out["ts"] = row.ts.astimezone(UTC)
    return out


@dataclass(frozen=True)
class FlushSummary:
    batches: int
    rows: int
    busy: bool  # another flusher holds a live claim


def _claim(
    engine: Engine, *, batch_rows: int, now: datetime
) -> LogFlush | Literal["empty", "busy"]:
    """The batch to write (a stale claim is taken over as is), or why there is none."""
    try:
        with session_scope(engine) as s:
            claim = s.get(LogFlush, FLUSH, with_for_update=True)
            if claim is not None:
                if now - claim.claimed_at < LEASE:
                    return "busy"
                claim.claimed_at = now
                s.flush()
                s.expunge(claim)
                return claim
            ids = s.scalars(
                select(BufferedConsultation.id).order_by(BufferedConsultation.id).limit(batch_rows)
            ).all()
            if not ids:
                return "empty"
            first, last = ids[0], ids[-1]
            claim = LogFlush(
                name=FLUSH,
                batch_id=f"app-{first}-{last}",
                first_id=first,
                last_id=last,
                claimed_at=now,
            )
            s.add(claim)
            s.flush()
            s.expunge(claim)
            return claim
    except IntegrityError:
        return "busy"  # another flusher inserted its claim first


def _rows(session: Session, claim: LogFlush) -> tuple[list[int], pa.Table]:
    found = session.scalars(
        select(BufferedConsultation)
        .where(BufferedConsultation.id.between(claim.first_id, claim.last_id))
        .order_by(BufferedConsultation.id)
    ).all()
    table = pa.Table.from_pylist([_columns(r) for r in found], schema=ARROW_SCHEMA)
    return [r.id for r in found], table


def write_claimed_batch(engine: Engine, log: ConsultLog, claim: LogFlush) -> list[int]:
    """Write the claimed range to Parquet under the batch's name; returns the ids written."""
    with session_scope(engine) as s:
        ids, table = _rows(s, claim)
    log.append_table(table, batch_id=claim.batch_id)
    return ids


def release_batch(engine: Engine, ids: list[int]) -> None:
    """Delete exactly the rows written, and the claim, in one transaction."""
    with session_scope(engine) as s:
        for start in range(0, len(ids), 10_000):
            s.execute(
                delete(BufferedConsultation).where(
                    BufferedConsultation.id.in_(ids[start : start + 10_000])
                )
            )
        s.execute(delete(LogFlush).where(LogFlush.name == FLUSH))


def flush_buffer(
    engine: Engine, log: ConsultLog, *, batch_rows: int = BATCH_ROWS, now: datetime | None = None
) -> FlushSummary:
    """Flush every buffered consultation, a batch at a time."""
    batches = rows = 0
    while True:
        claim = _claim(engine, batch_rows=batch_rows, now=now or datetime.now(UTC))
        if isinstance(claim, str):
            return FlushSummary(batches, rows, busy=claim == "busy")
        ids = write_claimed_batch(engine, log, claim)
        release_batch(engine, ids)
        batches += 1
        rows += len(ids)


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(BufferedConsultation)) or 0)


def buffered_events(
    session: Session, *, de_id: str | None = None, agent_id: str | None = None, limit: int = 1000
) -> list[dict[str, object]]:
    """Buffered events of one file or one agent, newest first (same keys as ConsultLog.events_for),
    this unit of work's own events included."""
    q = select(BufferedConsultation)
    if de_id is not None:
        q = q.where(BufferedConsultation.de_id == de_id)
    if agent_id is not None:
        q = q.where(BufferedConsultation.agent_id == agent_id)
    stored = session.scalars(q.order_by(BufferedConsultation.ts.desc()).limit(limit)).all()
    own = [
        r
        for r in _pending(session)
        if (de_id is None or r.de_id == de_id) and (agent_id is None or r.agent_id == agent_id)
    ]
    rows = sorted([*own, *stored], key=lambda r: r.ts, reverse=True)[:limit]
    return [_columns(r) for r in rows]


def timeline(
    session: Session,
    log: ConsultLog,
    *,
    de_id: str | None = None,
    agent_id: str | None = None,
    limit: int = 1000,
) -> list[dict[str, object]]:
    """The log and the buffer together, newest first; an event caught mid-flush appears once."""
    merged: dict[str, dict[str, object]] = {}
    for e in log.events_for(de_id=de_id, agent_id=agent_id, limit=limit) + buffered_events(
        session, de_id=de_id, agent_id=agent_id, limit=limit
    ):
        merged.setdefault(str(e["event_id"]), e)
    return sorted(merged.values(), key=lambda e: _utc(e["ts"]), reverse=True)[:limit]


def _utc(ts: object) -> datetime:
    assert isinstance(ts, datetime)
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


# A watcher flushes when this many rows wait or the oldest has waited this long: a few hundred
# Parquet files a day at most, and detection in flow never waits more than a few minutes.
DUE_ROWS = 10_000
DUE_AGE = timedelta(minutes=5)


def flush_if_due(engine: Engine, log: ConsultLog, *, now: datetime | None = None) -> FlushSummary:
    now = now or datetime.now(UTC)
    with session_scope(engine) as s:
        pending, oldest = s.execute(select(func.count(), func.min(BufferedConsultation.ts))).one()
    if pending >= DUE_ROWS or (oldest is not None and now - oldest >= DUE_AGE):
        return flush_buffer(engine, log, now=now)
    return FlushSummary(0, 0, busy=False)
