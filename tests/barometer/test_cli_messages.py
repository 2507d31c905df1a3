"""What the barometer commands print about bad input: the column named, no traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from parcours.barometer.synth import SynthOptions, write_survey
from parcours.cli.main import app

runner = CliRunner()


def _survey(tmp_path: Path) -> Path:
    survey = tmp_path / "vague.csv"
    write_survey(survey, SynthOptions(waves=("2024-03",), respondents_per_wave=40, seed=3))
    return survey


def test_import_names_the_columns_and_survives_brackets(
    tmp_path: Path, parcours_home: Path
) -> None:
    """A column in brackets (`[region]`) was read as terminal markup and vanished; a cell
    `[/yellow]` crashed the command after the import was saved."""
    lines = _survey(tmp_path).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("region")] = "[/yellow]"
    bad = tmp_path / "crochets.csv"
    bad.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["barometer", "import", str(bad)])
    assert result.exit_code == 1, result.output  # a row rejected
    assert "[region]: valeur '[/yellow]' hors liste" in " ".join(result.output.split())
    political = tmp_path / "politique.csv"
    political.write_text(lines[0] + ",political_party\n", encoding="utf-8")
    result = runner.invoke(app, ["barometer", "import", str(political)])
    assert result.exit_code == 1 and "[political_party]: colonne inconnue" in result.output


def test_a_latin1_survey_is_named_with_its_line(tmp_path: Path, parcours_home: Path) -> None:
    lines = _survey(tmp_path).read_text(encoding="utf-8").splitlines()
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(("\n".join(lines[:3]) + "\n").encode() + "é\n".encode("latin-1"))
    result = runner.invoke(app, ["barometer", "import", str(latin)])
    assert result.exit_code == 1
    assert "latin1.csv:4: texte qui n'est pas en UTF-8" in " ".join(result.output.split())


def test_unknown_scopes_are_usage_errors(tmp_path: Path, parcours_home: Path) -> None:
    assert runner.invoke(app, ["barometer", "import", str(_survey(tmp_path))]).exit_code == 0
    for args in (
        ["barometer", "results", "--scope", "XX"],
        ["barometer", "report", "--region", "FR", "--out", str(tmp_path / "r")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "attendu" in result.output, args
    assert runner.invoke(app, ["barometer", "results", "--scope", "occ"]).exit_code == 0


def test_an_import_with_rejected_rows_exits_1(tmp_path: Path, parcours_home: Path) -> None:
    """Old code: exit code 0, as if the whole file had been loaded (`parcours import` exits 1)."""
    lines = _survey(tmp_path).read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "tronque.csv"
    bad.write_text("\n".join([*lines[:3], lines[3][:20]]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["barometer", "import", str(bad)])
    assert result.exit_code == 1, result.output
    assert "2 ajoutées" in result.output and "1 rejetées" in result.output
