"""The alert application's commands on bad input: a message and exit code 2, never a traceback, and
nothing run or written; and what they do to personal data (launch, purge) is in the trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from parcours.audit.models import DetectionRun
from parcours.cli.main import app
from parcours.config import get_settings
from parcours.consultlog.store import ConsultationEvent, ConsultLog
from parcours.controls import trail
from parcours.controls.models import Campaign
from parcours.db import session_scope


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    # A ParcoursError escaping is a traceback for the user: the runner reports it as the exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-07-01", "--end", "2024-06-01"], "période vide"),
        (
            ["--start", "2024-06-01", "--end", "2024-06-30", "--scenario", "w2_off_hour"],
            "situation inconnue",
        ),
        (
            ["--start", "2024-06-01", "--end", "2024-06-30", "--level", "obligatoire"],
            "niveau inconnu",
        ),
    ],
)
def test_campaign_launch_refuses_bad_arguments_before_detection(
    engine: Engine, args: list[str], message: str
) -> None:
    """Old code: a traceback; and a misspelt situation ran detection over the whole period, then
    launched a campaign that sent nothing."""
    code, output = run("campaign", "launch", *args)
    assert code == 2 and "Erreur" in output and message in output
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Campaign)) == 0
        assert s.scalar(select(func.count()).select_from(DetectionRun)) == 0


def test_trail_verify_wants_a_whole_known_head(engine: Engine) -> None:
    """Old code: `--head` alone was checked against entry 0 and reported a truncated trail; `--head-seq`
    alone was silently ignored (the check the user asked for did not happen)."""
    with session_scope(engine) as s:
        trail.append(s, actor="t", action="view", object_type="control", object_id="1")
        head = trail.head(s)
    assert head is not None
    assert run("trail", "verify", "--head", head.hash)[0] == 2
    assert run("trail", "verify", "--head-seq", "1")[0] == 2
    code, output = run("trail", "verify", "--head", "pas-une-empreinte", "--head-seq", "1")
    assert code == 2 and "SHA-256" in output
    code, output = run("trail", "verify", "--head", head.hash.upper(), "--head-seq", "1")
    assert code == 0 and "Journal intègre : 1 entrée(s)" in output
    code, output = run("trail", "verify", "--head", "0" * 64, "--head-seq", "1")
    assert code == 1 and "diffère de l'empreinte connue" in output


def test_trail_export_to_an_unwritable_place_is_an_error_not_a_traceback(
    engine: Engine, tmp_path: Path
) -> None:
    code, output = run("trail", "export", str(tmp_path / "absent" / "journal.csv"))
    assert code == 2 and "écriture impossible" in output
    with session_scope(engine) as s:
        assert trail.head(s) is None  # the failed export is not recorded as done


def test_a_purge_is_traced_and_leaves_the_trail_intact(engine: Engine) -> None:
    """Old code: `parcours purge` deleted days of the consultation log without a trail entry."""
    settings = get_settings()
    old = date.today() - timedelta(days=settings.log_retention_days + 5)
    ts = datetime(old.year, old.month, old.day, 10, tzinfo=UTC)
    ConsultLog(settings.log_dir).append_events(
        [ConsultationEvent(event_id="e1", ts=ts, agent_id="A", de_id="D", application="AUDE", action="view")]
    )  # fmt: skip
    with session_scope(engine) as s:
        trail.append(s, actor="t", action="view", object_type="control", object_id="1")
    assert run("purge", "--dry-run")[0] == 0
    code, output = run("purge", "--by", "dpo")
    assert code == 0 and "1 consultation(s) supprimés" in output
    with session_scope(engine) as s:
        (last,) = trail.entries(s, limit=1)
        assert (last.seq, last.actor, last.action) == (2, "dpo", "purge")  # the dry run left none
        assert '"rows_purged":1' in last.details
        assert trail.verify(s) == []
