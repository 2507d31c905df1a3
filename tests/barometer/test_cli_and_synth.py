"""The command line end to end (synth, import, validate, results, report) and the generator's shape."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from parcours.barometer.definitions import default_definitions
from parcours.barometer.importer import validate_rows
from parcours.barometer.synth import SynthOptions, generate_wave, write_survey
from parcours.cli.main import app

runner = CliRunner()


def test_generator_is_deterministic_and_valid(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    options = SynthOptions(
        waves=("2024-03", "2024-10", "2025-03"), respondents_per_wave=150, seed=9
    )
    assert write_survey(a, options) == 450
    write_survey(b, options)
    assert a.read_bytes() == b.read_bytes()
    with a.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [(i + 2, row) for i, row in enumerate(reader)]
    valid, rejected = validate_rows(rows, str(a), default_definitions())
    assert len(valid) == 450 and rejected == []
    assert {r.wave_id for r in valid} == {"2024-03", "2024-10", "2025-03"}
    assert any(r.attributes["job_family"] == "GDD" for r in valid)
    assert any(r.attributes["portfolio"] == "AIJ" for r in valid)


def test_generator_answers_use_the_whole_scale() -> None:
    rows = list(generate_wave("2024-03", 400, np.random.default_rng(1), default_definitions()))
    answers = {cell for row in rows for cell in row[10:]}
    assert {"1", "2", "3", "4", "5", ""} <= answers


def test_cli_end_to_end(tmp_path: Path, parcours_home: Path) -> None:
    survey = tmp_path / "vagues.csv"
    result = runner.invoke(
        app, ["barometer", "synth", "--out", str(survey), "--respondents", "200"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["barometer", "import", str(survey)])
    assert result.exit_code == 0, result.output
    assert "400 ajoutées" in result.output
    result = runner.invoke(app, ["barometer", "import", str(survey)])
    assert "400 inchangées" in result.output
    assert runner.invoke(app, ["barometer", "validate"]).exit_code == 0
    result = runner.invoke(app, ["barometer", "results", "--scope", "FR"])
    assert result.exit_code == 0 and "IQVT" in result.output
    out = tmp_path / "rapport"
    result = runner.invoke(app, ["barometer", "report", "--out", str(out), "--region", "OCC"])
    assert result.exit_code == 0, result.output
    assert (out / "barometre-occ.html").exists() and (out / "barometre-occ.pdf").exists()


def test_cli_rejects_bad_waves_and_bad_headers(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["barometer", "synth", "--out", str(tmp_path / "x.csv"), "--waves", "2024-3"]
    )
    assert result.exit_code != 0
    bad = tmp_path / "bad.csv"
    bad.write_text("wave,respondent_id\n2024-03,R1\n", encoding="utf-8")
    result = runner.invoke(app, ["barometer", "import", str(bad)])
    assert result.exit_code == 1 and "colonne manquante" in result.output


def test_demo_barometer_is_generated_and_imported_once(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from parcours.barometer.demo import load_demo_barometer
    from parcours.barometer.models import BarometerResponse
    from parcours.db import make_engine
    from parcours.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    (tmp_path / "demo-data").mkdir()
    write_survey(tmp_path / "demo-data" / "barometre.csv", SynthOptions(respondents_per_wave=50))
    assert "100 réponses importées" in load_demo_barometer(tmp_path, engine=engine)
    assert "déjà importées" in load_demo_barometer(tmp_path, engine=engine)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(BarometerResponse)) == 100
