"""Compaction of settled days: the same rows in one file, swapped in atomically; unsettled batches,
recent days and small days left alone; writers wait while a day is swapped."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine

from parcours.consultlog import compaction
from parcours.consultlog.compaction import MIN_FILES, compact_log
from parcours.consultlog.store import ConsultationEvent, ConsultLog, placement_lock

TODAY = date(2026, 3, 20)


def ev(i: int, day: date) -> ConsultationEvent:
    return ConsultationEvent(
        event_id=f"e{i:05d}", ts=datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(seconds=i),
        agent_id=f"AG{i % 3}", de_id=f"DE{i % 7}", application="AUDE", action="view",
        purpose="motif" if i % 5 == 0 else None, source="stream",
    )  # fmt: skip


def rows(log: ConsultLog) -> list[tuple[object, ...]]:
    return duckdb.sql(
        f"SELECT event_id, ts, agent_id, de_id, application, action, purpose, source, day "
        f"FROM {log.relation_sql()} ORDER BY event_id"
    ).fetchall()


def files(log: ConsultLog, day: date) -> list[str]:
    return sorted(p.name for p in (log.root / f"day={day.isoformat()}").glob("*.parquet"))


def fill(log: ConsultLog) -> tuple[date, date, date]:
    old, small, recent = TODAY - timedelta(days=10), TODAY - timedelta(days=9), TODAY
    i = 0
    for _ in range(12):  # twelve flow batches on the old day, one file each
        log.append_events([ev(i, old), ev(i + 1, old)])
        i += 2
    log.append_events([ev(i, small)])  # one file: not worth compacting
    for _ in range(6):
        i += 1
        log.append_events([ev(i, recent)])  # still being written to
    return old, small, recent


def test_settled_days_become_one_file_with_the_same_rows(tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    old, small, recent = fill(log)
    before = rows(log)
    summary = compact_log(log.root, today=TODAY, unsettled=list)
    assert (summary.days_compacted, summary.files_before, summary.files_after) == (1, 12, 1)
    assert summary.rows == 24 and summary.refused is None
    assert rows(log) == before
    assert len(files(log, old)) == 1 and files(log, old)[0].startswith("compact-")
    assert len(files(log, small)) == 1 and len(files(log, recent)) == 6
    assert not list(log.root.glob(".compact-*")), "no staging folder left behind"
    again = compact_log(log.root, today=TODAY, unsettled=list)
    assert again.days_compacted == 0 and rows(log) == before


def test_days_holding_an_unfinished_batch_keep_their_files(tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    old, _, _ = fill(log)
    log.append_events([ev(500, old)])  # one more file, renamed as an import batch's
    importing = log.root / f"day={old.isoformat()}" / "imp-B1_0.parquet"
    next(iter((log.root / f"day={old.isoformat()}").glob("*.parquet"))).rename(importing)
    summary = compact_log(log.root, today=TODAY, unsettled=lambda: ["imp-B1"])
    assert summary.days_compacted == 0 and summary.days_unsettled == [old.isoformat()]
    assert len(files(log, old)) == 13


def test_without_an_atomic_swap_nothing_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ConsultLog(tmp_path / "log")
    old, _, _ = fill(log)
    before, names = rows(log), files(log, old)

    def refuse(a: Path, b: Path) -> None:
        raise OSError(95, "Operation not supported", str(a))

    monkeypatch.setattr(compaction, "exchange", refuse)
    summary = compact_log(log.root, today=TODAY, unsettled=list)
    assert summary.refused and summary.days_compacted == 0
    assert rows(log) == before and files(log, old) == names
    assert not list(log.root.glob(".compact-*"))


def test_writers_wait_while_a_day_is_swapped(tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    day = TODAY - timedelta(days=10)
    with placement_lock(log.root, exclusive=True):
        writer = threading.Thread(target=log.append_events, args=([ev(1, day)],))
        writer.start()
        time.sleep(0.3)
        assert writer.is_alive() and log.is_empty()
    writer.join(timeout=10)
    assert not writer.is_alive() and log.count() == 1


def test_compact_command_knows_unfinished_imports(engine: Engine) -> None:
    from typer.testing import CliRunner

    from parcours.cli.main import app
    from parcours.config import get_settings
    from parcours.db import session_scope
    from parcours.registry.models import ImportBatch

    log = ConsultLog(get_settings().log_dir)
    old = date.today() - timedelta(days=10)
    for i in range(MIN_FILES + 1):
        log.append_events([ev(i, old)])
    runner = CliRunner()
    with session_scope(engine) as s:
        s.add(
            ImportBatch(
                batch_id="imp-B9",
                file_name="late.csv",
                file_sha256="0" * 64,
                table_name="consultations",
                started_at=datetime.now(UTC),
            )
        )
    next(iter(log.root.glob("day=*/*.parquet"))).rename(
        log.root / f"day={old.isoformat()}" / "imp-B9_0.parquet"
    )
    out = runner.invoke(app, ["log", "compact"])
    assert out.exit_code == 0 and "0 jour(s) compacté(s)" in out.output, out.output
    assert "lot en cours" in out.output
    with session_scope(engine) as s:
        s.get_one(ImportBatch, "imp-B9").finished_at = datetime.now(UTC)
    out = runner.invoke(app, ["log", "compact"])
    assert "1 jour(s) compacté(s) : 5 fichier(s) → 1, 5 consultation(s)" in out.output, out.output


def test_files_of_other_writers_are_merged_column_by_column(tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    day = TODAY - timedelta(days=10)
    for i in range(MIN_FILES):
        log.append_events([ev(i, day)])
    folder = log.root / f"day={day.isoformat()}"
    # An older writer's file: no `purpose` column, a NULL application.
    duckdb.sql(
        f"COPY (SELECT 'x1' AS event_id, TIMESTAMPTZ '{day.isoformat()} 12:00:00+00' AS ts, "
        "'AG9' AS agent_id, 'DE9' AS de_id, NULL::VARCHAR AS application, 'print' AS action, "
        f"'import' AS source) TO '{folder / 'old-writer_0.parquet'}' (FORMAT parquet)"
    )
    before = rows(log)
    assert compact_log(log.root, today=TODAY, unsettled=list).days_compacted == 1
    assert rows(log) == before and len(files(log, day)) == 1
    # A file with a column the log does not know is never merged (its data would be dropped).
    for i in range(MIN_FILES):
        log.append_events([ev(10 + i, day)])
    duckdb.sql(
        f"COPY (SELECT 'x2' AS event_id, TIMESTAMPTZ '{day.isoformat()} 13:00:00+00' AS ts, "
        "'AG9' AS agent_id, 'DE9' AS de_id, 'view' AS action, 42 AS extra) "
        f"TO '{folder / 'odd_0.parquet'}' (FORMAT parquet)"
    )
    summary = compact_log(log.root, today=TODAY, unsettled=list)
    assert summary.days_compacted == 0 and summary.days_unsettled == [
        f"{day.isoformat()} (colonnes inconnues)"
    ]


def test_discarding_a_batch_removes_its_files_only(tmp_path: Path) -> None:
    """The files of a batch are told apart by `batch_of`, as compaction does: `b1` and `b1_0` are
    the batch b1's, `b1_x` another batch's."""
    log = ConsultLog(tmp_path / "log")
    day = TODAY - timedelta(days=5)
    folder = log.root / f"day={day.isoformat()}"
    log.append_events([ev(1, day)])
    (only,) = folder.glob("*.parquet")
    for name in ("b1", "b1_0", "b1_x", "b10"):
        (folder / f"{name}.parquet").write_bytes(only.read_bytes())
    assert log.discard_batch("b1") == 2
    # The appended file's random name may start with "b" too (1 in 16): it is not the story's.
    left = sorted(p.stem for p in folder.glob("b*.parquet") if p != only)
    assert left == ["b10", "b1_x"] and only.exists()
