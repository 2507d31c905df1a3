from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine

from parcours.config import get_settings
from parcours.consultlog.buffer import pending_count, record_events
from parcours.consultlog.retention import hold_root, purge_log
from parcours.consultlog.store import ConsultationEvent, ConsultLog
from parcours.controls.retention import purge
from parcours.db import session_scope


def ev(i: int, day: date, agent: str, de: str) -> ConsultationEvent:
    ts = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return ConsultationEvent(
        event_id=f"e{i}", ts=ts, agent_id=agent, de_id=de, application="AUDE", action="view"
    )


def test_purge_removes_old_days_but_keeps_rows_held_by_open_controls(tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log" / "consultations")
    old, recent = date(2023, 1, 10), date(2024, 6, 1)
    log.append_events(
        [ev(1, old, "AG1", "DE1"), ev(2, old, "AG1", "DE2"), ev(3, old, "AG2", "DE1")]
    )
    log.append_events([ev(4, recent, "AG1", "DE1")])
    dry = purge_log(log.root, cutoff=date(2024, 1, 1), held_pairs={("AG1", "DE1")}, dry_run=True)
    assert (dry.days_purged, dry.rows_purged, dry.rows_held) == (1, 2, 1)
    assert log.count() == 4  # a dry run deletes nothing
    res = purge_log(log.root, cutoff=date(2024, 1, 1), held_pairs={("AG1", "DE1")})
    assert res == dry
    assert log.days() == ["2024-06-01"]
    held = pq.read_table(sorted(hold_root(log.root).rglob("*.parquet")))
    assert held["event_id"].to_pylist() == ["e1"]


def test_purge_keeps_everything_within_retention(tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "c")
    today = date(2024, 6, 30)
    log.append_events([ev(i, today - timedelta(days=i), "A", "D") for i in range(5)])
    res = purge_log(log.root, cutoff=today - timedelta(days=180), held_pairs=set())
    assert res.days_purged == 0 and log.count() == 5


def test_purge_applies_to_the_applications_buffered_views_too(engine: Engine) -> None:
    settings = get_settings()
    today = date(2026, 6, 30)
    old = today - timedelta(days=settings.log_retention_days + 10)
    with session_scope(engine) as s:
        record_events(s, [ev(1, old, "AG1", "DE1"), ev(2, today, "AG1", "DE1")])
    with session_scope(engine) as s:
        res = purge(s, settings=settings, today=today)
        assert pending_count(s) == 0
    assert (res.days_purged, res.rows_purged) == (1, 1)
    assert ConsultLog(settings.log_dir).days() == [today.isoformat()]
