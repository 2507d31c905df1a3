"""`parcours alerts export`, `evaluate`, `detect` and `scenarios validate` on bad input: a clear
message and exit 2, user text printed as it is, nothing half-written; and a stable export order."""

from __future__ import annotations

import csv
import os
import shutil
import stat
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

import parcours.audit.alerts_store as alerts_store
import parcours.audit.scenario_check as scenario_check
from parcours.audit.alerts_store import EXPORT_COLUMNS
from parcours.audit.models import Alert, DetectionRun
from parcours.audit.scenario import SCENARIOS_DIR
from parcours.cli.main import app
from parcours.db import session_scope

QUARTER = (date(2024, 4, 1), date(2024, 6, 30))
TRUTH = "agent_id,de_id,kind\nA1,D1,colleague\nA2,D2,curiosity\n"


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _flat(text: str) -> str:
    """The output without line breaks or runs of spaces (Rich wraps long lines in its boxes)."""
    return " ".join(text.split())


def store_run(
    engine: Engine,
    run_id: str,
    *,
    naive: bool = False,
    period: tuple[date, date] = QUARTER,
    alerts: Sequence[tuple[str, str, str, float, str]] = (),
) -> None:
    """A finished run and its alerts, each (alert_id, agent_id, de_id, score, level)."""
    at = datetime(2024, 7, 1, 8, tzinfo=UTC)
    with session_scope(engine) as s:
        s.add(
            DetectionRun(
                run_id=run_id,
                started_at=at,
                finished_at=at,
                period_start=period[0],
                period_end=period[1],
                naive=naive,
                engine="duckdb",
                source="test",
                identity_resolver="exact",
                status="done",
                situations=len(alerts),
            )
        )
        s.flush()
        for alert_id, agent, de, score, level in alerts:
            s.add(
                Alert(
                    alert_id=alert_id,
                    run_id=run_id,
                    scenario="w2_current_agents",
                    scenarios="w2_current_agents",
                    level=level,
                    score=score,
                    agent_id=agent,
                    de_id=de,
                    first_seen=at,
                    last_seen=at,
                    consultations=2,
                    days=1,
                    reasons="Dossier d'un collègue",
                    explanation="none",
                    explanation_summary="",
                    created_at=at,
                )
            )


@pytest.fixture
def truth_file(tmp_path: Path) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text(TRUTH)
    return path


# -- D4, D5, D6: unknown runs and a baseline that is not one ------------------------------------


def test_export_of_an_unknown_run_is_refused_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    folder = tmp_path / "exports"
    folder.mkdir()
    out = _invoke("alerts", "export", str(folder / "alerts.csv"), "--run", "run-nope")
    assert out.exit_code == 2, out.output
    assert "campagne inconnue : run-nope" in out.output
    assert list(folder.iterdir()) == []


def test_evaluate_an_unknown_run_is_refused(engine: Engine, truth_file: Path) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    out = _invoke("evaluate", "--truth", str(truth_file), "--run", "run-nope")
    assert out.exit_code == 2, out.output
    assert "campagne inconnue : run-nope" in out.output
    assert "précision" not in out.output


@pytest.mark.parametrize(
    ("baseline", "message"),
    [
        ("run-nope", "campagne inconnue : run-nope"),
        ("run-a", "la campagne run-a n'est pas une référence naïve"),
        ("run-naive-day", "la référence naïve run-naive-day couvre du 2024-04-07 au 2024-04-07"),
    ],
)
def test_naive_run_must_exist_be_naive_and_cover_the_same_period(
    engine: Engine, truth_file: Path, baseline: str, message: str
) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    day = date(2024, 4, 7)
    store_run(engine, "run-naive-day", naive=True, period=(day, day))
    out = _invoke("evaluate", "--truth", str(truth_file), "--run", "run-a", "--naive-run", baseline)
    assert out.exit_code == 2, out.output
    assert message in _flat(out.output)
    assert "charge divisée" not in out.output


def test_a_naive_run_of_the_same_period_is_accepted(engine: Engine, truth_file: Path) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    naive = [(f"al-n{i}", f"A{i}", f"D{i}", 10.0, "optional") for i in range(1, 5)]
    store_run(engine, "run-naive", naive=True, alerts=naive)
    out = _invoke(
        "evaluate", "--truth", str(truth_file), "--run", "run-a", "--naive-run", "run-naive"
    )
    assert out.exit_code == 0, out.output
    assert "référence naïve : 4 situations, 4 agents ; charge divisée par 4.0" in out.output


# -- D7: an evaluated run without situations says nothing about the baseline ---------------------


def test_evaluating_an_empty_run_still_reports_the_naive_baseline(
    engine: Engine, truth_file: Path
) -> None:
    store_run(engine, "run-empty")
    naive = [(f"al-n{i}", f"A{i % 2}", f"D{i}", 10.0, "optional") for i in range(3)]
    store_run(engine, "run-naive", naive=True, alerts=naive)
    out = _invoke("evaluate", "--truth", str(truth_file))
    assert out.exit_code == 0, out.output
    assert "Campagne run-empty" in out.output
    assert "référence naïve : 3 situations, 2 agents" in out.output
    assert "aucune situation dans la campagne évaluée" in out.output


# -- D8: user text is printed as it is, never read as Rich markup --------------------------------


def test_scenario_errors_keep_the_field_in_brackets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for ext in (".yaml", ".sql"):
        shutil.copy(SCENARIOS_DIR / f"w2_ex_agents{ext}", folder / f"w2_ex_agents{ext}")
    yaml = folder / "w2_ex_agents.yaml"
    yaml.write_text(yaml.read_text().replace("wave: 2", "wave: two"))
    validate = scenario_check.validate_scenarios
    monkeypatch.setattr(scenario_check, "validate_scenarios", lambda: validate(folder))
    out = _invoke("scenarios", "validate")
    assert out.exit_code == 1, out.output
    assert "w2_ex_agents.yaml:3 [wave]:" in out.output


def test_paths_with_markup_are_printed_and_never_crash(engine: Engine, tmp_path: Path) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    folder = tmp_path / "exp[/x]"  # a folder `exp[` holding `x]`
    folder.mkdir(parents=True)
    out = _invoke("alerts", "export", str(folder / "a.csv"))
    assert out.exit_code == 0, out.output
    assert f"1 alertes de la campagne run-a écrites dans {folder / 'a.csv'}" in out.output
    assert (folder / "a.csv").is_file()
    missing = tmp_path / "truth" / "[nope].csv"
    out = _invoke("evaluate", "--truth", str(missing))
    assert out.exit_code == 2, out.output
    assert f"{missing}: lecture impossible" in out.output
    period = ["--start", "2024-04-01", "--end", "2024-04-30", "--no-progress"]
    out = _invoke("detect", *period, "--input", str(tmp_path / "data[/2024]"))
    assert out.exit_code == 2, out.output
    assert f"{tmp_path / 'data[/2024]'}: le dossier d'entrée n'existe pas" in out.output


def test_truth_labels_with_markup_are_printed_as_they_are(engine: Engine, tmp_path: Path) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    truth = tmp_path / "truth.csv"
    truth.write_text("agent_id,de_id,kind\nA1,D1,[bold]x\n")
    out = _invoke("evaluate", "--truth", str(truth))
    assert out.exit_code == 0, out.output
    assert "[bold]x" in out.output


# -- D9: an export that cannot be written says why and leaves no copy of the alerts -------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("adir", "c'est un dossier"),
        ("afile/a.csv", "impossible à créer"),
    ],
)
def test_export_to_a_bad_target_is_refused_without_leftovers(
    engine: Engine, tmp_path: Path, target: str, message: str
) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    work = tmp_path / "work"
    (work / "adir").mkdir(parents=True)
    (work / "afile").write_text("")
    out = _invoke("alerts", "export", str(work / target))
    assert out.exit_code == 2, out.output
    assert message in out.output
    assert "Traceback" not in out.output
    assert sorted(p.name for p in work.rglob("*")) == ["adir", "afile"]


def test_export_creates_missing_folders(engine: Engine, tmp_path: Path) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    target = tmp_path / "exports" / "2024" / "alerts.csv"
    out = _invoke("alerts", "export", str(target))
    assert out.exit_code == 0, out.output
    assert target.read_text(encoding="utf-8").startswith("alert_id,scenario,level,score")


def test_a_failed_write_removes_its_temporary_file(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    write_rows = alerts_store._write_rows

    def disk_full(fh: TextIO, alerts: list[Alert]) -> None:
        write_rows(fh, alerts)  # the temporary file holds the alerts when the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(alerts_store, "_write_rows", disk_full)
    folder = tmp_path / "exports"
    folder.mkdir()
    out = _invoke("alerts", "export", str(folder / "a.csv"))
    assert out.exit_code == 2, out.output
    assert "écriture impossible : No space left on device" in out.output
    assert list(folder.iterdir()) == []


def test_export_writes_through_a_symlink_to_its_target(engine: Engine, tmp_path: Path) -> None:
    """Old code: the link was replaced by a regular file and its target kept the old export."""
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    work = tmp_path / "work"
    (work / "shared").mkdir(parents=True)
    target = work / "shared" / "alerts.csv"
    target.write_text("old export\n")
    link = work / "latest.csv"
    link.symlink_to(target)
    out = _invoke("alerts", "export", str(link))
    assert out.exit_code == 0, out.output
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8").startswith("alert_id,scenario,level,score")
    assert sorted(p.name for p in work.rglob("*")) == ["alerts.csv", "latest.csv", "shared"]


def test_export_refuses_an_existing_path_that_is_not_a_regular_file(
    engine: Engine, tmp_path: Path
) -> None:
    """Old code: a FIFO (or a device such as /dev/full) was replaced by a regular file."""
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    work = tmp_path / "work"
    work.mkdir()
    fifo = work / "pipe"
    os.mkfifo(fifo)
    out = _invoke("alerts", "export", str(fifo))
    assert out.exit_code == 2, out.output
    assert f"{fifo}: ce n'est pas un fichier ordinaire" in _flat(out.output)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and list(work.iterdir()) == [fifo]


def test_export_names_a_file_name_too_long_and_accepts_the_longest_legal_one(
    engine: Engine, tmp_path: Path
) -> None:
    """Old code: a 300-character name ended in an OSError traceback (from `is_dir`), and a legal
    254-character name was refused because the temporary `.{name}.tmp` was over 255 bytes."""
    store_run(engine, "run-a", alerts=[("al-1", "A1", "D1", 120.0, "mandatory")])
    work = tmp_path / "work"
    work.mkdir()
    too_long = work / ("a" * 296 + ".csv")
    out = _invoke("alerts", "export", str(too_long))
    assert out.exit_code == 2, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert "écriture impossible : File name too long" in _flat(out.output)
    longest = work / ("b" * 250 + ".csv")
    out = _invoke("alerts", "export", str(longest))
    assert out.exit_code == 0, out.output
    assert longest.read_text(encoding="utf-8").startswith("alert_id,scenario,level,score")
    assert list(work.iterdir()) == [longest]


# -- D15: dates Python can read but a period cannot use -----------------------------------------


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")]
)
def test_detect_refuses_years_outside_1900_2199(engine: Engine, start: str, end: str) -> None:
    out = _invoke("detect", "--start", start, "--end", end, "--no-progress")
    assert out.exit_code == 2, out.output
    assert "année attendue de 1900 à 2199" in _flat(out.output)
    assert out.exception is None or isinstance(out.exception, SystemExit)


# -- D16: equal scores are listed by agent, then file, whatever the alert ids --------------------


def _export_without_ids(run_id: str, path: Path) -> list[list[str]]:
    out = _invoke("alerts", "export", str(path), "--run", run_id)
    assert out.exit_code == 0, out.output
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    return [r[1:] for r in rows[1:]]


def test_export_breaks_score_ties_by_agent_then_file(engine: Engine, tmp_path: Path) -> None:
    same = [
        ("A2", "D1", 120.0, "mandatory"),
        ("A1", "D2", 120.0, "mandatory"),
        ("A1", "D1", 120.0, "mandatory"),
        ("A3", "D3", 150.0, "mandatory"),
        ("A0", "D0", 200.0, "optional"),
    ]
    # The same results under alert ids that sort one way in the first run, the other in the second.
    first = [(f"al-{i}", *a) for i, a in enumerate(same)]
    second = [(f"al-{9 - i}", *a) for i, a in enumerate(same)]
    store_run(engine, "run-1", alerts=first)
    store_run(engine, "run-2", alerts=second)
    rows = _export_without_ids("run-1", tmp_path / "1.csv")
    assert rows == _export_without_ids("run-2", tmp_path / "2.csv")
    assert [(r[1], r[3], r[4]) for r in rows] == [
        ("mandatory", "A3", "D3"),
        ("mandatory", "A1", "D1"),
        ("mandatory", "A1", "D2"),
        ("mandatory", "A2", "D1"),
        ("optional", "A0", "D0"),
    ]


def test_scenarios_validate_checks_a_draft_folder(tmp_path: Path) -> None:
    """An author validates a draft without touching the installed scenarios."""
    import shutil

    from parcours.audit.scenario import SCENARIOS_DIR

    draft = tmp_path / "draft"
    draft.mkdir()
    for ext in (".yaml", ".sql"):
        shutil.copy(SCENARIOS_DIR / f"w2_ex_agents{ext}", draft / f"w2_ex_agents{ext}")
    assert _invoke("scenarios", "validate", str(draft)).exit_code == 0
    (draft / "w2_ex_agents.sql").write_text("SELECT agent_id, de_id FROM nowhere\n")
    broken = _invoke("scenarios", "validate", str(draft))
    assert broken.exit_code == 1 and "w2_ex_agents.sql" in broken.output
    assert _invoke("scenarios", "validate", str(tmp_path / "missing")).exit_code == 2


def test_scenarios_validate_names_unreadable_bytes_and_orphan_queries(tmp_path: Path) -> None:
    """Old code: a traceback for a Latin-1 SQL, and « Tous les scénarios sont valides. » with a
    query whose YAML was missing."""
    draft = tmp_path / "draft"
    draft.mkdir()
    for ext in (".yaml", ".sql"):
        shutil.copy(SCENARIOS_DIR / f"w2_ex_agents{ext}", draft / f"w2_ex_agents{ext}")
    sql = draft / "w2_ex_agents.sql"
    sql.write_bytes(b"-- r\xe9sum\xe9\n" + sql.read_bytes())
    shutil.copy(SCENARIOS_DIR / "w2_off_hours.sql", draft / "w2_off_hours.sql")
    out = _invoke("scenarios", "validate", str(draft))
    assert out.exit_code == 1, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    flat = _flat(out.output)
    assert f"{sql}: lecture impossible" in flat
    assert f"{draft / 'w2_off_hours.sql'}: requête sans scénario" in flat


@pytest.mark.parametrize("scenario_id", ["a" * 300, "../scenarios/w2_ex_agents", "cases/_region"])
def test_scenarios_show_knows_only_the_folder_s_scenarios(scenario_id: str) -> None:
    """Old code: an id too long for the file system ended in an OSError traceback, and a path
    reached a file outside the scenarios or a story file, loaded as a scenario."""
    out = _invoke("scenarios", "show", scenario_id)
    assert out.exit_code == 2, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert _flat(out.output) == f"Scénario inconnu : {scenario_id}"
    assert _invoke("scenarios", "show", "w2_ex_agents").exit_code == 0
