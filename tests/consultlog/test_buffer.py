"""The application's consultations: recorded in the database with the request, flushed to the Parquet
log in batches; a crash at any point loses nothing and duplicates nothing. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine, select

from parcours.consultlog.buffer import (
    LEASE,
    _claim,
    _columns,
    buffered_events,
    flush_buffer,
    flush_if_due,
    pending_count,
    record_events,
    release_batch,
    timeline,
    write_claimed_batch,
)
from parcours.consultlog.models import BufferedConsultation, LogFlush
from parcours.consultlog.store import ConsultationEvent, ConsultLog
from parcours.db import session_scope

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ev(i: int, *, day: int = 0, de: str = "DE1") -> ConsultationEvent:
    return ConsultationEvent(
        event_id=f"app-{i:04d}", ts=T0 + timedelta(days=day, minutes=i), agent_id="AG1", de_id=de,
        application="PARCOURS", action="view", purpose=None if i % 2 else "motif",
    )  # fmt: skip


def record(engine: Engine, events: list[ConsultationEvent]) -> None:
    with session_scope(engine) as s:
        record_events(s, events)


def stored(log: ConsultLog) -> list[str]:
    if log.is_empty():
        return []
    rows = duckdb.sql(f"SELECT event_id FROM {log.relation_sql()} ORDER BY event_id").fetchall()
    return [r[0] for r in rows]


def test_views_wait_in_the_database_then_go_to_a_few_files(engine: Engine, tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    for i in range(30):  # thirty page views, as thirty requests
        record(engine, [ev(i, day=i % 2)])
    assert log.is_empty(), "a page view must not write a Parquet file of its own"
    with session_scope(engine) as s:
        assert pending_count(s) == 30
        assert len(buffered_events(s, de_id="DE1")) == 30
    summary = flush_buffer(engine, log, batch_rows=20)
    assert (summary.batches, summary.rows, summary.busy) == (2, 30, False)
    assert stored(log) == [f"app-{i:04d}" for i in range(30)]
    assert len(list(log.root.glob("day=*/*.parquet"))) == 4  # 2 batches x 2 days, not 30 files
    with session_scope(engine) as s:
        assert pending_count(s) == 0
        assert s.scalar(select(LogFlush)) is None
    (row,) = duckdb.sql(
        f"SELECT purpose, application, source FROM {log.relation_sql()} WHERE event_id = 'app-0004'"
    ).fetchall()
    assert row == ("motif", "PARCOURS", "app")
    assert flush_buffer(engine, log).rows == 0


def test_a_crash_after_writing_is_redone_without_duplicates(engine: Engine, tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    record(engine, [ev(i) for i in range(5)])
    claim = _claim(engine, batch_rows=100, now=T0)
    assert isinstance(claim, LogFlush)
    write_claimed_batch(engine, log, claim)  # ... and the process dies before deleting the rows
    record(engine, [ev(i) for i in range(5, 8)])
    # Within the lease another flusher keeps off; after it, the dead flusher's batch is redone.
    assert flush_buffer(engine, log, now=T0 + LEASE / 2).busy
    summary = flush_buffer(engine, log, now=T0 + LEASE * 2)
    assert summary.rows == 8 and not summary.busy
    assert stored(log) == [f"app-{i:04d}" for i in range(8)]


def test_rows_committed_late_inside_a_claimed_range_are_kept(
    engine: Engine, tmp_path: Path
) -> None:
    log = ConsultLog(tmp_path / "log")
    record(engine, [ev(i) for i in range(3)])
    with session_scope(engine) as s:  # the middle id: allocated by a transaction not yet committed
        late = s.scalars(select(BufferedConsultation).order_by(BufferedConsultation.id)).all()[1]
        late_id, late_event = late.id, late.event_id
        s.delete(late)
    claim = _claim(engine, batch_rows=100, now=T0)
    assert isinstance(claim, LogFlush) and claim.first_id < late_id < claim.last_id
    ids = write_claimed_batch(engine, log, claim)
    late_row = ev(1)
    with session_scope(engine) as s:  # ... which commits now, inside the claimed range
        s.add(BufferedConsultation(id=late_id, **_columns(late_row)))
    release_batch(engine, ids)  # deletes the rows written, not the late one
    with session_scope(engine) as s:
        assert pending_count(s) == 1
    assert flush_buffer(engine, log).rows == 1
    assert stored(log) == ["app-0000", late_event, "app-0002"]


def test_timeline_merges_log_and_buffer_once(engine: Engine, tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    record(engine, [ev(0), ev(1)])
    claim = _claim(engine, batch_rows=100, now=T0)
    assert isinstance(claim, LogFlush)
    write_claimed_batch(engine, log, claim)  # written, not yet deleted: in both places
    record(engine, [ev(2)])
    with session_scope(engine) as s:
        events = timeline(s, log, de_id="DE1")
    assert [e["event_id"] for e in events] == ["app-0002", "app-0001", "app-0000"]


def test_the_watcher_flushes_when_enough_waits_or_waited_long(
    engine: Engine, tmp_path: Path
) -> None:
    log = ConsultLog(tmp_path / "log")
    record(engine, [ev(0)])
    assert flush_if_due(engine, log, now=T0 + timedelta(minutes=1)).rows == 0
    assert flush_if_due(engine, log, now=T0 + timedelta(hours=1)).rows == 1


def test_bad_events_are_refused(engine: Engine) -> None:
    bad = ConsultationEvent(
        event_id="x", ts=T0, agent_id="A", de_id="D", application="P", action="delete"
    )
    with session_scope(engine) as s, pytest.raises(ValueError, match="unknown action"):
        record_events(s, [bad])


def test_log_commands(engine: Engine) -> None:
    from typer.testing import CliRunner

    from parcours.cli.main import app
    from parcours.config import get_settings

    record(engine, [ev(0), ev(1, day=1)])
    runner = CliRunner()
    out = runner.invoke(app, ["log", "status"])
    assert out.exit_code == 0 and "2 consultation(s) en attente" in out.output, out.output
    out = runner.invoke(app, ["log", "flush"])
    assert out.exit_code == 0 and "2 consultation(s) écrite(s)" in out.output, out.output
    assert stored(ConsultLog(get_settings().log_dir)) == ["app-0000", "app-0001"]
    assert (
        "0 consultation(s) en attente dans la base ; journal : 2 jour(s)"
        in runner.invoke(app, ["log", "status"]).output
    )
