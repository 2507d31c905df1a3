"""The legal hold of the consultation log (`log/legal_hold/`): the consultations of an agent × file are kept
while a control on them is open, and for the investigation period after a closing on a proven misuse; any
other closing releases them to the normal retention. The purge that deletes legal-hold copies is traced like
any purge; a dry run counts without deleting; a second purge deletes nothing more.

Old code: legal-hold copies were never deleted, and the consultations of a proven misuse were deleted at the
normal retention as soon as its control was closed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.config import Settings, get_settings, reset_settings_cache
from parcours.consultlog.retention import PurgeSummary, hold_root, purge_log
from parcours.consultlog.store import ConsultationEvent, ConsultLog
from parcours.controls import service, trail
from parcours.controls.retention import purge
from parcours.db import session_scope

from .test_assignment_and_reminders import world
from .test_protocol import NOW, alert
from .test_reopen import close_false_positive, conclude_proven, to_finding

# Old consultations: past the normal retention (365 days) at every purge below.
OLD, LATER_DAY = date(2023, 1, 10), date(2023, 2, 20)
# The closing of the controls is NOW (2024-07-15, a Paris day): 1095 days later is 2027-07-15.
FIRST_PURGE = date(2025, 1, 1)
LAST_DAY_OF_INVESTIGATION, INVESTIGATION_OVER = date(2027, 7, 14), date(2027, 7, 15)


def ev(event_id: str, day: date, agent: str, de: str) -> ConsultationEvent:
    ts = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return ConsultationEvent(
        event_id=event_id, ts=ts, agent_id=agent, de_id=de, application="AUDE", action="view"
    )


def consultations(settings: Settings) -> None:
    """AG1 consulted DE1 (the first control's file) and DE2 (the second one's) on two old days, and
    DE3 (no control) once."""
    ConsultLog(settings.log_dir).append_events(
        [ev("de1-a", OLD, "AG1", "DE1"), ev("de2-a", OLD, "AG1", "DE2"), ev("de3-a", OLD, "AG1", "DE3"),
         ev("de1-b", LATER_DAY, "AG1", "DE1"), ev("de2-b", LATER_DAY, "AG1", "DE2")]
    )  # fmt: skip


def two_controls(engine: Engine) -> tuple[int, int]:
    """Two open controls about AG1: on DE1 and on DE2."""
    with session_scope(engine) as s:
        first = world(s)
        _, summary = service.launch_campaign(
            s, name="c2", period_start=date(2024, 4, 1), period_end=date(2024, 6, 30),
            scenarios=["x"], levels=["mandatory"], launched_by="dpo", now=NOW,
            alerts=[alert("a2", "AG1", "DE2", "x")],
        )  # fmt: skip
        (second,) = summary.by_establishment["DR76"]
        return first, second


def close(s: Session, cid: int, outcome: str) -> None:
    if outcome == "proven":
        conclude_proven(s, cid)
    elif outcome == "false_positive":
        close_false_positive(s, cid)
    else:
        to_finding(s, cid)
        service.transition(
            s, control_id=cid, name="conclude", actor="manager-31", now=NOW,
            fields={"outcome": outcome, "justification": "Consultation expliquée"},
        )  # fmt: skip


def held(settings: Settings) -> list[str]:
    """The event ids in the legal hold."""
    return sorted(
        i
        for f in hold_root(settings.log_dir).rglob("held-*.parquet")
        for i in pq.read_table(f)["event_id"].to_pylist()
    )


def run_purge(engine: Engine, today: date, *, dry_run: bool = False) -> PurgeSummary:
    with session_scope(engine) as s:
        return purge(s, settings=get_settings(), today=today, dry_run=dry_run, actor="dpo")


def purge_entries(engine: Engine) -> list[dict[str, object]]:
    with session_scope(engine) as s:
        found = [e for e in trail.entries(s, limit=1000) if e.action == "purge"]
        return [json.loads(e.details) for e in reversed(found)]


def test_an_open_control_keeps_its_copies_while_a_released_pair_is_deleted(engine: Engine) -> None:
    settings = get_settings()
    consultations(settings)
    _, second = two_controls(engine)
    first_purge = run_purge(engine, FIRST_PURGE)
    assert (first_purge.days_purged, first_purge.rows_purged, first_purge.rows_held) == (2, 1, 4)
    assert held(settings) == ["de1-a", "de1-b", "de2-a", "de2-b"]
    with session_scope(engine) as s:
        close(s, second, "false_positive")
    # Years later, the first control is still open: its copies stay; the second one's are gone.
    res = run_purge(engine, date(2031, 1, 1))
    assert held(settings) == ["de1-a", "de1-b"]
    assert (res.hold_rows_purged, res.hold_days_purged) == (2, 0)


@pytest.mark.parametrize("outcome", ["false_positive", "not_proven", "indeterminate"])
def test_a_closing_without_misuse_releases_the_pair_to_the_normal_retention(
    engine: Engine, outcome: str
) -> None:
    settings = get_settings()
    consultations(settings)
    # A recent consultation of DE1: within the normal retention at the purges below.
    recent = ev("de1-recent", date(2024, 7, 1), "AG1", "DE1")
    ConsultLog(settings.log_dir).append_events([recent])
    first, _ = two_controls(engine)
    run_purge(engine, FIRST_PURGE)
    assert held(settings) == ["de1-a", "de1-b", "de2-a", "de2-b"]
    with session_scope(engine) as s:
        close(s, first, outcome)
    res = run_purge(engine, date(2025, 2, 1))
    assert held(settings) == ["de2-a", "de2-b"]  # the copies of DE1 are released at the next purge
    assert res.hold_rows_purged == 2
    assert ConsultLog(settings.log_dir).days() == ["2024-07-01"]  # normal retention: still there
    res = run_purge(engine, date(2025, 7, 2))
    assert (res.days_purged, res.rows_purged, res.rows_held) == (1, 1, 0)
    assert ConsultLog(settings.log_dir).days() == []


def test_a_proven_misuse_keeps_its_consultations_during_the_investigation_period(
    engine: Engine,
) -> None:
    settings = get_settings()
    consultations(settings)
    first, second = two_controls(engine)
    with session_scope(engine) as s:
        close(s, first, "proven")
        close(s, second, "not_proven")
    # The consultations of the proven misuse go to the legal hold instead of being deleted at the
    # normal retention; those of the control that found none are deleted.
    res = run_purge(engine, FIRST_PURGE)
    assert (res.days_purged, res.rows_purged, res.rows_held) == (2, 3, 2)
    assert held(settings) == ["de1-a", "de1-b"]
    # A consultation of the same pair that reaches the end of its normal retention later joins them.
    ConsultLog(settings.log_dir).append_events([ev("de1-c", date(2024, 7, 10), "AG1", "DE1")])
    res = run_purge(engine, LAST_DAY_OF_INVESTIGATION)
    assert (res.rows_held, res.hold_rows_purged) == (1, 0)
    assert held(settings) == ["de1-a", "de1-b", "de1-c"]


def test_the_copies_of_a_proven_misuse_are_deleted_once_the_investigation_period_has_passed(
    engine: Engine,
) -> None:
    settings = get_settings()
    consultations(settings)
    first, _ = two_controls(engine)
    with session_scope(engine) as s:
        close(s, first, "proven")
    run_purge(engine, FIRST_PURGE)
    last_day = run_purge(engine, LAST_DAY_OF_INVESTIGATION)
    assert held(settings) == ["de1-a", "de1-b", "de2-a", "de2-b"]
    res = run_purge(engine, INVESTIGATION_OVER)
    # DE1's copies are released; DE2's control is still open.
    assert held(settings) == ["de2-a", "de2-b"]
    assert last_day.hold_rows_purged == 0
    assert (res.hold_rows_purged, res.hold_days_purged) == (2, 0)
    assert settings.investigation_retention_days == 1095  # the default: the CNIL's 3 years


def test_the_investigation_period_is_a_bounded_setting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for refused in ("179", "1096"):
        monkeypatch.setenv("PARCOURS_INVESTIGATION_RETENTION_DAYS", refused)
        reset_settings_cache()
        with pytest.raises(ValueError, match="investigation_retention_days"):
            get_settings()
    monkeypatch.setenv("PARCOURS_INVESTIGATION_RETENTION_DAYS", "180")
    reset_settings_cache()
    settings = get_settings()
    consultations(settings)
    first, second = two_controls(engine)
    with session_scope(engine) as s:
        close(s, first, "proven")
        close(s, second, "proven")
    run_purge(engine, date(2025, 1, 10))  # closed on 2024-07-15: the 180th day after is 2025-01-11
    assert held(settings) == ["de1-a", "de1-b", "de2-a", "de2-b"]
    res = run_purge(engine, date(2025, 1, 11))
    assert held(settings) == [] and not any(hold_root(settings.log_dir).iterdir())
    assert (res.hold_rows_purged, res.hold_days_purged) == (4, 2)


def test_a_dry_run_counts_the_released_copies_without_deleting_them(engine: Engine) -> None:
    settings = get_settings()
    consultations(settings)
    first, second = two_controls(engine)
    run_purge(engine, FIRST_PURGE)
    with session_scope(engine) as s:
        close(s, first, "not_proven")
        close(s, second, "false_positive")
    traced = len(purge_entries(engine))
    dry = run_purge(engine, date(2025, 2, 1), dry_run=True)
    assert held(settings) == ["de1-a", "de1-b", "de2-a", "de2-b"]
    assert len(purge_entries(engine)) == traced  # a dry run writes nothing to the trail
    res = run_purge(engine, date(2025, 2, 1))
    assert held(settings) == []
    assert res == dry and (dry.hold_rows_purged, dry.hold_days_purged) == (4, 2)


def test_a_purge_that_deletes_legal_hold_copies_is_traced_and_a_second_one_deletes_nothing(
    engine: Engine,
) -> None:
    settings = get_settings()
    consultations(settings)
    first, second = two_controls(engine)
    run_purge(engine, FIRST_PURGE)
    with session_scope(engine) as s:
        close(s, first, "proven")
        close(s, second, "indeterminate")
    res = run_purge(engine, date(2025, 2, 1))
    again = run_purge(engine, date(2025, 2, 1))
    assert held(settings) == ["de1-a", "de1-b"]
    assert (res.hold_rows_purged, res.hold_days_purged) == (2, 0)
    assert again == PurgeSummary(days_purged=0, rows_purged=0, rows_held=0)
    *_, traced, traced_again = purge_entries(engine)
    assert traced == {
        "cutoff": "2024-02-02", "retention_days": 365, "investigation_days": 1095, "held_pairs": 1,
        "days_purged": 0, "rows_purged": 0, "rows_held": 0, "hold_rows_purged": 2, "hold_days_purged": 0,
        "rows_adopted": 0,
        "archive_files_purged": 0,
    }  # fmt: skip
    assert traced_again["hold_rows_purged"] == 0
    with session_scope(engine) as s:
        assert trail.verify(s) == []


def test_the_command_reports_the_legal_hold_copies_it_deletes(engine: Engine) -> None:
    settings = get_settings()
    consultations(settings)
    _, second = two_controls(engine)
    run_purge(engine, FIRST_PURGE)
    with session_scope(engine) as s:
        close(s, second, "false_positive")
    result = CliRunner().invoke(app, ["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 copie(s) seraient supprimées" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["purge", "--by", "dpo"])
    assert "2 copie(s) supprimées" in " ".join(result.output.split())
    assert held(settings) == ["de1-a", "de1-b"]


def test_a_partly_released_day_keeps_its_files_and_later_copies_never_replace_them(
    tmp_path: Path,
) -> None:
    log = ConsultLog(tmp_path / "log" / "consultations")
    cutoff = date(2024, 1, 1)
    log.append_events([ev("b1", OLD, "B", "D2")])
    purge_log(log.root, cutoff=cutoff, held_pairs={("B", "D2")})
    log.append_events([ev("a1", OLD, "A", "D1"), ev("b2", OLD, "B", "D2")])  # a late import
    purge_log(log.root, cutoff=cutoff, held_pairs={("A", "D1"), ("B", "D2")})
    day = hold_root(log.root) / f"day={OLD.isoformat()}"
    assert sorted(f.name for f in day.glob("*.parquet")) == ["held-0.parquet", "held-1.parquet"]
    # B × D2 released: its own file goes, the shared one is rewritten with A × D1's row only.
    res = purge_log(log.root, cutoff=cutoff, held_pairs={("A", "D1")})
    assert [f.name for f in day.glob("*.parquet")] == ["held-1.parquet"]
    assert (res.hold_rows_purged, res.hold_days_purged) == (2, 0)
    log.append_events([ev("a2", OLD, "A", "D1")])
    purge_log(log.root, cutoff=cutoff, held_pairs={("A", "D1")})
    ids = sorted(i for f in day.glob("*.parquet") for i in pq.read_table(f)["event_id"].to_pylist())
    assert ids == ["a1", "a2"]
    # Copies within the retention (a longer one set since) are left to it, held or not.
    assert purge_log(log.root, cutoff=OLD, held_pairs=set()).hold_rows_purged == 0
    assert purge_log(log.root, cutoff=cutoff, held_pairs=set()).hold_days_purged == 1
    assert not day.exists()
