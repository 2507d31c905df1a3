"""Copying a day's held rows to the legal hold is idempotent: a purge interrupted after the copy and before
the day's deletion leaves the day in the log, and the next purge copies only the rows not in the hold yet.

Old code: the next purge copied the day's held rows a second time, and nothing ever removed the duplicates."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from parcours.consultlog.retention import PurgeSummary, hold_root, purge_log
from parcours.consultlog.store import ConsultationEvent, ConsultLog

OLD, CUTOFF = date(2023, 1, 10), date(2024, 1, 1)
HELD = {("A", "D1"), ("B", "D2")}


def ev(event_id: str, agent: str, de: str) -> ConsultationEvent:
    return ConsultationEvent(
        event_id=event_id, ts=datetime(OLD.year, OLD.month, OLD.day, 10, tzinfo=UTC),
        agent_id=agent, de_id=de, application="AUDE", action="view",
    )  # fmt: skip


def crash_before_deleting_days(monkeypatch: pytest.MonkeyPatch, log_root: Path, times: int) -> None:
    """The next `times` removals of a day from the log fail, as a purge killed between the copy of the
    day's held rows and the removal of the day would (the day is moved out of the log, to be deleted
    once the purge is traced)."""
    real: Callable[..., None] = os.rename
    left = [times]

    def rename(src: Path, dst: Path, *args: object, **kwargs: object) -> None:
        if left[0] and Path(src).parent == log_root:
            left[0] -= 1
            raise OSError("purge interrompue")
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr("parcours.consultlog.retention.os.rename", rename)


def hold_ids(log_root: Path) -> list[str]:
    day = hold_root(log_root) / f"day={OLD.isoformat()}"
    return sorted(
        i for f in day.glob("held-*.parquet") for i in pq.read_table(f)["event_id"].to_pylist()
    )


@pytest.mark.parametrize("crashes", [1, 2, 3])
def test_interrupted_purges_copy_each_held_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crashes: int
) -> None:
    log = ConsultLog(tmp_path / "log" / "consultations")
    log.append_events([ev("a1", "A", "D1"), ev("b1", "B", "D2"), ev("c1", "C", "D3")])
    crash_before_deleting_days(monkeypatch, log.root, crashes)
    for _ in range(crashes):
        with pytest.raises(OSError, match="purge interrompue"):
            purge_log(log.root, cutoff=CUTOFF, held_pairs=HELD)
        assert log.days() == [OLD.isoformat()]  # copied, not deleted
    assert hold_ids(log.root) == ["a1", "b1"]
    # A late import adds a held row to the same day: it is the only one copied now.
    log.append_events([ev("a2", "A", "D1")])
    dry = purge_log(log.root, cutoff=CUTOFF, held_pairs=HELD, dry_run=True)
    res = purge_log(log.root, cutoff=CUTOFF, held_pairs=HELD)
    # The day's held rows are counted as held (the interrupted purges reported nothing).
    assert res == dry == PurgeSummary(days_purged=1, rows_purged=1, rows_held=3)
    assert hold_ids(log.root) == ["a1", "a2", "b1"]
    assert log.days() == []
    assert purge_log(log.root, cutoff=CUTOFF, held_pairs=HELD) == PurgeSummary(0, 0, 0)
    assert hold_ids(log.root) == ["a1", "a2", "b1"]


def test_a_day_whose_held_rows_are_all_in_the_hold_writes_no_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ConsultLog(tmp_path / "log" / "consultations")
    log.append_events([ev("a1", "A", "D1"), ev("c1", "C", "D3")])
    crash_before_deleting_days(monkeypatch, log.root, 1)
    with pytest.raises(OSError):
        purge_log(log.root, cutoff=CUTOFF, held_pairs=HELD)
    res = purge_log(log.root, cutoff=CUTOFF, held_pairs=HELD)
    assert res == PurgeSummary(days_purged=1, rows_purged=1, rows_held=1)
    day = hold_root(log.root) / f"day={OLD.isoformat()}"
    assert sorted(f.name for f in day.iterdir()) == ["held-0.parquet"]


def test_a_hold_folder_left_empty_by_a_killed_copy_is_cleared_without_being_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old code: the empty folder was counted as a legal-hold day purged, though no copy was deleted."""
    log = ConsultLog(tmp_path / "log" / "consultations")
    log.append_events([ev("a1", "A", "D1"), ev("c1", "C", "D3")])

    def killed(*args: object, **kwargs: object) -> None:
        raise OSError("copie interrompue")

    with monkeypatch.context() as m:
        m.setattr("parcours.consultlog.retention.pq.write_table", killed)
        with pytest.raises(OSError, match="copie interrompue"):
            purge_log(log.root, cutoff=CUTOFF, held_pairs=HELD)
    day = hold_root(log.root) / f"day={OLD.isoformat()}"
    assert day.is_dir() and not list(day.glob("held-*.parquet"))
    # The pair is released before the next purge: nothing is held, and no held copy existed.
    res = purge_log(log.root, cutoff=CUTOFF, held_pairs=set())
    assert res == PurgeSummary(days_purged=1, rows_purged=2, rows_held=0)
    assert not day.exists() and log.days() == []
