"""The retention applies to the copies of consultations kept beside the log: the files the flow processed
or refused, and the import rejects (rejected rows as they were read). Their files last written before the
cutoff are deleted by the purge and counted in its trail entry, a killed purge included.

Old code: `parcours purge` deleted the log's old days but kept these copies for ever."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.config import Settings, get_settings
from parcours.consultlog.retention import PurgeSummary
from parcours.controls.flow import archive_dirs

from .test_legal_hold import purge_entries, run_purge
from .test_purge_crash import fail_the_purge_entry

TODAY = date(2026, 12, 7)


def write(path: Path, *, days_ago: int, today: date) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "event_id,ts,agent_id,de_id,application,action\ne1,2024-01-02T10:00:00Z,A,D,AUDE,view\n"
    )
    at = datetime.combine(today, datetime.min.time(), tzinfo=UTC) - timedelta(days=days_ago)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def archives(settings: Settings, today: date = TODAY) -> tuple[list[Path], list[Path]]:
    """(old files, recent files) in each archive folder as of `today`; a subfolder of one is left
    alone."""
    done, refused, rejects = archive_dirs(settings)
    keep = settings.log_retention_days
    stamp = "20250101T000000.000000Z-20250101T000000.000000Z-"
    old = [(done / f"{stamp}export.csv", keep + 30), (refused / f"{stamp}bad.csv", keep + 1),
           (rejects / "consultations__export.rejects.csv", keep + 400)]  # fmt: skip
    recent = [(done / f"{stamp}late.csv", 6), (rejects / "consultations.rejects.csv", keep - 2),
              (rejects / "sub" / "old.csv", keep + 400)]  # fmt: skip
    return (
        [write(p, days_ago=n, today=today) for p, n in old],
        [write(p, days_ago=n, today=today) for p, n in recent],
    )


def test_old_archived_files_are_deleted_counted_and_traced(engine: Engine) -> None:
    settings = get_settings()
    old, recent = archives(settings)

    dry = run_purge(engine, TODAY, dry_run=True)
    assert dry.archive_files_purged == 3 and all(p.exists() for p in old)
    assert purge_entries(engine) == []

    done = run_purge(engine, TODAY)
    assert done == PurgeSummary(days_purged=0, rows_purged=0, rows_held=0, archive_files_purged=3)
    assert not any(p.exists() for p in old) and all(p.exists() for p in recent)
    [entry] = purge_entries(engine)
    assert entry["archive_files_purged"] == 3
    assert run_purge(engine, TODAY).archive_files_purged == 0


def test_the_command_says_how_many_archived_files_it_deletes(engine: Engine) -> None:
    settings = get_settings()
    archives(settings, date.today())  # the command purges as of the real today
    out = CliRunner().invoke(app, ["purge", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "Fichiers reçus et rejets d'import antérieurs : 3 seraient supprimés." in " ".join(
        out.output.split()
    )


def test_a_purge_whose_entry_failed_leaves_its_archived_files_to_the_next_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    old, _ = archives(settings)
    with monkeypatch.context() as m:
        fail_the_purge_entry(m)
        with pytest.raises(RuntimeError):
            run_purge(engine, TODAY)
    assert not any(p.exists() for p in old)  # moved aside, not counted yet
    assert run_purge(engine, TODAY).archive_files_purged == 3
    assert sum(int(str(e["archive_files_purged"])) for e in purge_entries(engine)) == 3
