"""A purge killed at any moment: every deleted row is counted in exactly one committed trail entry, and none
twice. The purge moves what it deletes aside, has the trail entry committed, then deletes; the next purge
deletes what a committed run left, and takes over (counts and deletes) what a run that never committed left.

Old code: a purge killed while deleting (a day folder removed file by file, the legal hold rewritten file by
file), or whose trail entry failed, had deleted rows that no trail entry ever counted."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.config import Settings, get_settings
from parcours.consultlog.retention import hold_root
from parcours.consultlog.store import ConsultLog
from parcours.controls import trail
from parcours.db import session_scope

from .test_legal_hold import (
    FIRST_PURGE,
    OLD,
    close,
    consultations,
    ev,
    held,
    purge_entries,
    run_purge,
    two_controls,
)

HELD = ["de1-a", "de1-b", "de2-a", "de2-b"]


def counted(engine: Engine, *keys: str) -> int:
    """The sum of `keys` over every committed purge entry."""
    return sum(int(str(e[k])) for e in purge_entries(engine) for k in keys)


def set_aside(settings: Settings) -> list[Path]:
    """Consultation files beside the log that are neither in it nor in the legal hold."""
    log, hold = settings.log_dir, hold_root(settings.log_dir)
    return [
        p
        for p in log.parent.rglob("*.parquet")
        if not p.is_relative_to(log) and not p.is_relative_to(hold)
    ]


def snapshot(settings: Settings) -> dict[str, str]:
    base = settings.log_dir.parent
    return {
        str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def verified(engine: Engine) -> bool:
    with session_scope(engine) as s:
        return trail.verify(s) == []


def kill_while_deleting(monkeypatch: pytest.MonkeyPatch, under: Path) -> None:
    """The first deletion of a folder under `under` removes one file, then the purge is killed."""
    real: Callable[..., None] = shutil.rmtree
    armed = [True]

    def rmtree(path: Path, *args: object, **kwargs: object) -> None:
        if armed[0] and Path(path).is_relative_to(under):
            armed[0] = False
            sorted(Path(path).rglob("*.parquet"))[0].unlink()
            raise OSError("purge interrompue")
        real(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", rmtree)


def kill_after_the_trail_commit(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    """The purge is killed at its first deletion once its trail entry is committed."""
    real: Callable[..., None] = shutil.rmtree
    before = len(purge_entries(engine))
    armed = [True]

    def rmtree(path: Path, *args: object, **kwargs: object) -> None:
        if armed[0] and len(purge_entries(engine)) > before:
            armed[0] = False
            raise OSError("purge interrompue")
        real(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", rmtree)


def kill_at_the_second_removal_of_a_day(monkeypatch: pytest.MonkeyPatch, log_root: Path) -> None:
    """The purge is killed when it removes (moves or deletes) the second day folder of the log."""
    real_rename: Callable[..., None] = os.rename
    real_rmtree: Callable[..., None] = shutil.rmtree
    seen = [0]

    def kill_at_the_second(path: Path) -> None:
        if Path(path).parent == log_root:
            seen[0] += 1
            if seen[0] == 2:
                raise OSError("purge interrompue")

    def rename(src: Path, dst: Path, *args: object, **kwargs: object) -> None:
        kill_at_the_second(src)
        real_rename(src, dst, *args, **kwargs)

    def rmtree(path: Path, *args: object, **kwargs: object) -> None:
        kill_at_the_second(path)
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    monkeypatch.setattr(shutil, "rmtree", rmtree)


def kill_at_the_second_write_into(monkeypatch: pytest.MonkeyPatch, hold: Path) -> None:
    """The purge is killed when it writes a Parquet file into the legal hold for the second time."""
    real: Callable[..., None] = pq.write_table
    seen = [0]

    def write_table(table: Any, where: Any, *args: object, **kwargs: object) -> None:
        if isinstance(where, str | Path) and Path(where).is_relative_to(hold):
            seen[0] += 1
            if seen[0] == 2:
                raise OSError("purge interrompue")
        real(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", write_table)


def fail_the_purge_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The purge's trail entry cannot be written (the database went away)."""
    real = trail.append

    def append(*args: Any, **kwargs: Any) -> trail.TrailEntry:
        if kwargs.get("action") == "purge":
            raise RuntimeError("base de données indisponible")
        return real(*args, **kwargs)

    monkeypatch.setattr(trail, "append", append)


def test_a_purge_killed_half_way_through_deleting_a_day_counts_every_row_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    consultations(settings)
    ConsultLog(settings.log_dir).append_events([ev("de4-a", OLD, "AG2", "DE4")])  # a second file
    two_controls(engine)
    kill_while_deleting(monkeypatch, settings.log_dir.parent)
    with pytest.raises(OSError, match="purge interrompue"):
        run_purge(engine, FIRST_PURGE)
    run_purge(engine, FIRST_PURGE)
    assert counted(engine, "rows_purged", "rows_held") == 6  # the old days' rows, once each
    assert counted(engine, "rows_held") == 4
    assert ConsultLog(settings.log_dir).days() == []
    assert held(settings) == HELD
    assert set_aside(settings) == []
    assert verified(engine)


def test_a_purge_killed_after_its_trail_entry_is_committed_counts_nothing_twice(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    consultations(settings)
    two_controls(engine)
    kill_after_the_trail_commit(monkeypatch, engine)
    with pytest.raises(OSError, match="purge interrompue"):
        run_purge(engine, FIRST_PURGE)
    assert counted(engine, "rows_purged", "rows_held") == 5
    assert ConsultLog(settings.log_dir).days() == []
    # What it left is counted already: neither a dry run nor the next purge counts it again.
    dry = run_purge(engine, FIRST_PURGE, dry_run=True)
    res = run_purge(engine, FIRST_PURGE)
    assert (dry.days_purged, dry.rows_purged, dry.rows_held) == (0, 0, 0)
    assert (res.days_purged, res.rows_purged, res.rows_held, res.rows_adopted) == (0, 0, 0, 0)
    assert counted(engine, "rows_purged", "rows_held") == 5
    assert set_aside(settings) == []
    assert held(settings) == HELD
    assert verified(engine)


def test_a_purge_killed_between_two_days_leaves_the_first_one_to_the_next_purge(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    consultations(settings)
    two_controls(engine)
    kill_at_the_second_removal_of_a_day(monkeypatch, settings.log_dir)
    with pytest.raises(OSError, match="purge interrompue"):
        run_purge(engine, FIRST_PURGE)
    assert purge_entries(engine) == []
    res = run_purge(engine, FIRST_PURGE)
    (traced,) = purge_entries(engine)
    assert (traced["days_purged"], traced["rows_purged"], traced["rows_held"]) == (2, 1, 4)
    assert traced["rows_adopted"] == res.rows_adopted == 3  # the first day's rows
    assert ConsultLog(settings.log_dir).days() == []
    assert held(settings) == HELD
    assert set_aside(settings) == []
    assert verified(engine)


def test_a_purge_killed_while_releasing_the_legal_hold_keeps_each_kept_copy_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    consultations(settings)
    _, second = two_controls(engine)
    run_purge(engine, FIRST_PURGE)
    with session_scope(engine) as s:
        close(s, second, "false_positive")
    # Each old day's hold file has a row to release (DE2) and one to keep (DE1): killed while
    # writing the second day's kept row back.
    kill_at_the_second_write_into(monkeypatch, hold_root(settings.log_dir))
    with pytest.raises(OSError, match="purge interrompue"):
        run_purge(engine, date(2025, 2, 1))
    assert len(purge_entries(engine)) == 1
    res = run_purge(engine, date(2025, 2, 1))
    assert held(settings) == ["de1-a", "de1-b"]
    assert counted(engine, "hold_rows_purged") == res.hold_rows_purged == 2
    assert res.hold_days_purged == 0
    assert set_aside(settings) == []
    assert verified(engine)


def test_a_dry_run_counts_what_an_untraced_purge_left_and_changes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    consultations(settings)
    two_controls(engine)
    with monkeypatch.context() as m:
        fail_the_purge_entry(m)
        with pytest.raises(RuntimeError, match="indisponible"):
            run_purge(engine, FIRST_PURGE)
    assert purge_entries(engine) == []
    before = snapshot(settings)
    dry = run_purge(engine, FIRST_PURGE, dry_run=True)
    result = CliRunner().invoke(app, ["purge", "--dry-run"])
    assert snapshot(settings) == before and purge_entries(engine) == []
    assert (dry.days_purged, dry.rows_purged, dry.rows_held) == (2, 1, 4)
    assert dry.rows_adopted == 5
    assert result.exit_code == 0, result.output
    assert "Dont 5 ligne(s) qu'une purge interrompue" in " ".join(result.output.split())
    # The next purge takes them over, as the dry run said.
    res = run_purge(engine, FIRST_PURGE)
    assert res == dry
    assert counted(engine, "rows_purged", "rows_held") == 5
    assert held(settings) == HELD
    assert set_aside(settings) == []
    assert verified(engine)
