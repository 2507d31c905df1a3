from __future__ import annotations

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.config import reset_settings_cache
from parcours.db import session_scope
from parcours.notify import enqueue_email
from parcours.notify.testing import SmtpServer


def test_dispatch_command_sends_through_the_configured_server(
    engine: Engine, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARCOURS_SMTP_PORT", str(smtp_server.port))
    reset_settings_cache()
    with session_scope(engine) as s:
        enqueue_email(
            s, to="eld@agence.test", subject="Capacité", body="b", kind="capacity_gap", ref="c1"
        )
    runner = CliRunner()
    out = runner.invoke(app, ["outbox", "dispatch"])
    assert out.exit_code == 0, out.output
    assert "envoyés 1, à réessayer 0, abandonnés 0" in out.output
    assert [m["Subject"] for m in smtp_server.handler.received] == ["Capacité"]
    assert "sent\t1" in runner.invoke(app, ["outbox", "status"]).output


def test_the_outbox_commands_work_on_a_database_not_migrated_yet() -> None:
    """Old code: on a fresh deployment (no tables yet) both commands failed with a traceback."""
    runner = CliRunner()
    out = runner.invoke(app, ["outbox", "status"])
    assert out.exit_code == 0 and "pending\t0" in out.output, out.output
    out = runner.invoke(app, ["outbox", "dispatch"])
    assert out.exit_code == 0 and "envoyés 0" in out.output, out.output
