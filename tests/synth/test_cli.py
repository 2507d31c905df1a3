"""`parcours synth` on the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from parcours.cli.main import app


def test_synth_command_writes_the_region_and_reports_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--scale", "tiny", "--seed", "4", "--out", str(tmp_path), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "vérité terrain" in result.output
    assert (tmp_path / "truth.csv").exists() and (tmp_path / "truth_meta.json").exists()


def test_synth_command_refuses_an_unknown_scale_and_a_bad_period(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_scale = runner.invoke(
        app, ["synth", "--scale", "planet", "--out", str(tmp_path), "--quiet"]
    )
    assert bad_scale.exit_code == 2
    assert "erreur : échelle inconnue 'planet' : au choix tiny," in bad_scale.output
    backwards = runner.invoke(
        app,
        ["synth", "--scale", "tiny", "--out", str(tmp_path), "--quiet",
         "--start", "2024-06-30", "--end", "2024-04-01"],
    )  # fmt: skip
    assert backwards.exit_code == 2
    assert "erreur : période vide : fin 2024-04-01 avant début 2024-06-30" in backwards.output
    assert not (tmp_path / "truth.csv").exists()
