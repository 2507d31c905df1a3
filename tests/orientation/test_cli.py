"""The `parcours rules` and `parcours orientation` commands, end to end on the default SQLite."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.orientation.library import RULES_DIR

runner = CliRunner()
DRAFT = str(RULES_DIR / "drafts" / "2026-01-projet.yaml")
ANSWERS = {
    "work_situation": "current",
    "trade": "Comptable",
    "age": 24,
    "boeth": False,
    "rsa": False,
    "qualification": "bac3plus",
    "aspiration": "ready_now",
    "benefit_claim_requested": False,
    **{
        f"difficulty_{d}": "none"
        for d in (
            [
                "health",
                "housing",
                "mobility",
                "childcare",
                "caregiving",
                "language",
                "digital",
                "financial",
                "other",
            ]
        )
    },
}


def test_rules_validate_and_test() -> None:
    result = runner.invoke(app, ["rules", "validate"])
    assert result.exit_code == 0, result.output
    assert "2 adopted charts" in result.output
    result = runner.invoke(app, ["rules", "test", "--at", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_rules_explain_in_french(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps(ANSWERS), encoding="utf-8")
    args = ["rules", "explain", "--at", "2025-05-12", "--department", "31"]
    result = runner.invoke(
        app, [*args, "--answers", str(answers), "--set", "asks_mission_locale=false"]
    )
    assert result.exit_code == 0, result.output
    assert "APEC — jeunes diplômés" in result.output
    assert "Jeune diplômé (24 ans, bac + 3 ou plus)" in result.output
    result = runner.invoke(app, [*args, "--answers", str(answers), "--set", "age=abc"])
    assert result.exit_code == 1
    assert "age" in result.output


def test_rules_diff_names_the_changes() -> None:
    result = runner.invoke(app, ["rules", "diff", "--at", "2025-09-01"])
    assert result.exit_code == 0, result.output
    assert "social_path_min_strong_difficulties [46]" in result.output
    result = runner.invoke(app, ["rules", "diff", "--at", "2026-01-01", "--draft", DRAFT])
    assert "inactivity_long_months" in result.output and "socio_path_min_medium" in result.output


def test_orientation_commands_on_a_synthetic_week(tmp_path: Path) -> None:
    week = ["--start", "2025-05-05", "--end", "2025-05-09"]
    result = runner.invoke(app, ["orientation", "synth", *week, "--per-day", "8"])
    assert result.exit_code == 0, result.output
    assert "40 entretiens" in result.output
    result = runner.invoke(app, ["orientation", "report", *week, "--by", "department,week"])
    assert result.exit_code == 0 and "2025-W19" in result.output
    result = runner.invoke(app, ["orientation", "activity", *week])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["orientation", "capacities", "--at", "2025-05-09"])
    assert result.exit_code == 0 and "apec_jeunes_diplomes_31" in result.output
    out = tmp_path / "export"
    result = runner.invoke(app, ["orientation", "deviation", *week, "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "deviation.json").read_text(encoding="utf-8"))
    decisions = sum(row["decisions"] for row in report["matrix"])
    assert decisions == report["totals"]["decisions"] > 0
    assert (out / "deviation_matrix.csv").read_text(encoding="utf-8").startswith("period_start,")
    result = runner.invoke(app, ["orientation", "whatif", "--draft", DRAFT, *week, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["interviews"] == report["totals"]["decisions"]
