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
