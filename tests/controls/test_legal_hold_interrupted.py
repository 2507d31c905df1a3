"""A purge killed after copying a day's held rows to the legal hold, before deleting the day: the next purge
copies nothing twice, and its trail entry counts each row once.

Old code: the next purge copied the day's held rows again; the legal hold kept both copies for years."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from parcours.config import get_settings
from parcours.consultlog.store import ConsultationEvent, ConsultLog
from parcours.controls import trail
from parcours.db import session_scope

from .test_legal_hold import (
    FIRST_PURGE,
    OLD,
    consultations,
    ev,
    held,
    purge_entries,
    run_purge,
    two_controls,
)


def crash_before_deleting_the_first_day(monkeypatch: pytest.MonkeyPatch, log_root: Path) -> None:
    """The next removal of a day from the log fails, as a purge killed between the copy of the day's
    held rows and the removal of the day would (the purge moves the day out of the log, to delete it
    once its trail entry is committed)."""
    real: Callable[..., None] = os.rename
    armed = [True]

    def rename(src: Path, dst: Path, *args: object, **kwargs: object) -> None:
        if armed[0] and Path(src).parent == log_root:
            armed[0] = False
            raise OSError("purge interrompue")
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr("parcours.consultlog.retention.os.rename", rename)


def test_a_purge_interrupted_after_the_copy_copies_nothing_twice(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    consultations(settings)
    two_controls(engine)
    crash_before_deleting_the_first_day(monkeypatch, settings.log_dir)
    with pytest.raises(OSError, match="purge interrompue"):
        run_purge(engine, FIRST_PURGE)
    # The first old day was copied and is still in the log; the interrupted purge traced nothing.
    assert held(settings) == ["de1-a", "de2-a"]
    assert OLD.isoformat() in ConsultLog(settings.log_dir).days()
    assert purge_entries(engine) == []
    late: ConsultationEvent = ev("de1-late", OLD, "AG1", "DE1")  # a late import into that day
    ConsultLog(settings.log_dir).append_events([late])
    res = run_purge(engine, FIRST_PURGE)
    assert held(settings) == ["de1-a", "de1-b", "de1-late", "de2-a", "de2-b"]
    assert (res.days_purged, res.rows_purged, res.rows_held) == (2, 1, 5)
    (traced,) = purge_entries(engine)
    assert (traced["days_purged"], traced["rows_purged"], traced["rows_held"]) == (2, 1, 5)
    assert ConsultLog(settings.log_dir).days() == []
    with session_scope(engine) as s:
        assert trail.verify(s) == []
