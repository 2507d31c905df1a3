from __future__ import annotations

from pathlib import Path

from scheduling_factories import make_agency
from sqlalchemy import Engine
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.db import session_scope

runner = CliRunner()


def test_slots_capacity_outbox_and_validate(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        make_agency(s, agency_id="AG972", department="972", counsellors=1)
    out = runner.invoke(
        app, ["scheduling", "slots", "--agency", "AG972", "--from", "2026-03-02", "--days", "1"]
    )
    assert out.exit_code == 0, out.output
    assert "2026-03-02 08:30\tAG972-C00\t45 min" in out.output
    assert "6 créneau(x) (America/Martinique)" in out.output

    flow = tmp_path / "flow.csv"
    flow.write_text("week,interviews\n" + "".join(f"2026-02-{d:02d},40\n" for d in (2, 9, 16, 23)))
    out = runner.invoke(
        app,
        [
            "scheduling",
            "capacity",
            "--agency",
            "AG972",
            "--from",
            "2026-03-02",
            "--weeks",
            "2",
            "--interviews",
            str(flow),
            "--notify",
            "eld@agence.test",
        ],
    )
    assert out.exit_code == 0, out.output
    # 40 interviews x 80 % = 32 DPA a week against 30 slots (1 counsellor x 6 x 5 days).
    assert "2026-03-02\t40*\t32\t0\t30\t2" in out.output and "ALERTE" in out.output

    assert "1 courriel(s) mis en file" in out.output
    out = runner.invoke(app, ["outbox", "status"])
    assert out.exit_code == 0 and "pending\t1" in out.output
    for command in (["scheduling", "validate"], ["contract", "validate"]):
        out = runner.invoke(app, command)
        assert out.exit_code == 0 and out.output.count("ok\t") == 2


def test_bad_options_and_a_fresh_database_end_with_a_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    """Old code: a bad date, an unknown agency or a database not migrated yet raised a traceback."""
    for args, said in (
        (["slots", "--agency", "AG1", "--from", "2026-13-01"], "date attendue"),
        (["slots", "--agency", "AG1", "--from", "0001-01-01"], "année attendue"),
        (["slots", "--agency", "AG1", "--from", "2026-03-02", "--days", "0"], "--days"),
        (["capacity", "--agency", "AG1", "--from", "demain"], "date attendue"),
        (["slots", "--agency", "AG1", "--from", "2026-03-02"], "agence inconnue : AG1"),
        (["capacity", "--agency", "AG1", "--from", "2026-03-02"], "agence inconnue : AG1"),
    ):
        out = runner.invoke(app, ["scheduling", *args])
        assert out.exit_code == 2, out.output  # an uncaught error exits with 1
        assert said in out.output, out.output


def test_a_bad_interview_forecast_is_refused_with_each_line_and_reason(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as s:
        make_agency(s, agency_id="AG972", department="972", counsellors=1)
    flow = tmp_path / "flow.csv"
    flow.write_text(
        "week,interviews\n2026-02-02,40\n2026-02-04,12\nsemaine 7,30\n2026-02-16,beaucoup\n"
        "2026-02-23,-3\n2026-03-02,inf\n"
    )
    out = runner.invoke(
        app,
        ["scheduling", "capacity", "--agency", "AG972", "--from", "2026-03-02",
         "--interviews", str(flow), "--notify", "eld@agence.test"],
    )  # fmt: skip
    assert out.exit_code == 2, out.output
    for line, reason in (
        (3, "[week]: semaine du 2026-02-02 déjà donnée ligne 2"),
        (4, "[week]: date AAAA-MM-JJ attendue, reçu 'semaine 7'"),
        (5, "[interviews]: nombre positif attendu, reçu 'beaucoup'"),
        (6, "[interviews]: nombre positif attendu, reçu '-3'"),
        (7, "[interviews]: nombre positif attendu, reçu 'inf'"),
    ):
        assert f"Erreur : {flow}:{line} {reason}\n" in out.output, out.output
    # Refused whole: nothing was computed, no manager was warned.
    assert "semaine\tentretiens" not in out.output
    assert "pending\t0" in runner.invoke(app, ["outbox", "status"]).output

    flow.write_text("semaine,entretiens\n2026-02-02,40\n")
    out = runner.invoke(
        app, ["scheduling", "capacity", "--agency", "AG972", "--from", "2026-03-02",
              "--interviews", str(flow)],
    )  # fmt: skip
    assert out.exit_code == 2 and "colonne manquante" in out.output, out.output
