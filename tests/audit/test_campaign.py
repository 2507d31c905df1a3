"""End to end on SQLite and PostgreSQL: detect, persist, export the CSV contract, evaluate."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from parcours.audit.alerts_store import EXPORT_COLUMNS
from parcours.audit.campaign import run_campaign
from parcours.audit.models import Alert, DetectionRun
from parcours.cli.main import app
from parcours.db import session_scope


def test_campaign_persists_run_and_alerts(engine: Engine, interchange_dir: Path) -> None:
    result = run_campaign(
        start=date(2024, 4, 1), end=date(2024, 6, 30), input_dir=interchange_dir, progress=False
    )
    assert [(a.agent_id, a.de_id, a.level) for a in result.alerts] == [("A1", "D_A2", "mandatory")]
    with session_scope(engine) as s:
        run = s.get(DetectionRun, result.run_id)
        assert run is not None and run.status == "done" and run.mandatory == 1
        assert run.consultations == 5
        (alert,) = s.scalars(select(Alert).where(Alert.run_id == result.run_id)).all()
        assert alert.scenario == "w2_current_agents"
        assert set(alert.scenarios.split(",")) >= {"w2_current_agents", "w2_off_hours"}
        assert alert.establishment_id == "DR-OCC"
        assert alert.match_probability is not None and alert.match_probability > 0.9
        assert "collègue" in alert.reasons and "horaires habituels" in alert.reasons


def test_cli_detect_export_evaluate(engine: Engine, interchange_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    period = [
        "--start",
        "2024-04-01",
        "--end",
        "2024-06-30",
        "--input",
        str(interchange_dir),
        "--no-progress",
    ]
    out = runner.invoke(app, ["detect", *period])
    assert out.exit_code == 0, out.output
    assert "temps de travail" in out.output  # the interface says what the hours are (not) for
    assert runner.invoke(app, ["detect", *period, "--naive"]).exit_code == 0
    export = tmp_path / "alerts.csv"
    out = runner.invoke(app, ["alerts", "export", str(export)])
    assert out.exit_code == 0, out.output
    with export.open() as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [(r[2], r[4], r[5]) for r in rows[1:]] == [("mandatory", "A1", "D_A2")]
    assert rows[1][6].endswith("Z")
    truth = tmp_path / "truth.csv"
    truth.write_text("agent_id,de_id,kind\nA1,D_A2,colleague\n")
    out = runner.invoke(app, ["evaluate", "--truth", str(truth)])
    assert out.exit_code == 0, out.output
    assert "obligatoire       1.000   1.000" in out.output
    assert "référence naïve" in out.output


def test_cli_reports_a_clear_error_on_an_empty_period(engine: Engine) -> None:
    out = CliRunner().invoke(app, ["detect", "--start", "2024-06-30", "--end", "2024-04-01"])
    assert out.exit_code == 2
    assert "période vide" in out.output
