"""Bad input: a clear message, and every row the campaign does not use counted under its reason."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.input_report import InputReport
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import DetectionConfig, PipelineResult, run_pipeline
from parcours.errors import InvalidInput


def _run(folder: Path, start: date, end: date):  # type: ignore[no-untyped-def]
    with DuckDBEngine(threads=1) as engine:
        return run_pipeline(engine, InterchangeDirSource(folder), start=start, end=end)


def test_every_unused_or_unresolved_row_is_counted(interchange_dir: Path) -> None:
    r = _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    i = r.inputs
    assert i.rows_read == 8
    assert i.invalid_timestamp == 1
    assert i.before_period == 1
    assert i.timestamp_out_of_range == 1
    assert i.in_period == 5
    assert i.rows_read == _accounted(i)
    assert (i.unknown_agent_rows, i.unknown_agents) == (1, 1)
    assert (i.unknown_file_rows, i.unknown_files) == (1, 1)
    warnings = "\n".join(i.warnings())
    assert "horodatages illisibles" in warnings and "absents du référentiel" in warnings
    # Kept rows still count: the unknown agent's and the unknown file's consultations are facts.
    assert r.explanation.consultations == 5


def _accounted(i: InputReport) -> int:
    return (
        i.in_period
        + i.invalid_timestamp
        + i.before_period
        + i.after_period
        + i.timestamp_out_of_range
        + i.missing_timestamp
        + i.missing_agent_or_file
    )


def test_implausible_times_inside_the_period_are_counted_once_and_never_used(
    story_dir: Callable[[Callable[[list[dict[str, str]]], None]], Path],
) -> None:
    """A period reaching into the future (or before 2000) holds rows the report calls implausible:
    they are ignored, not also counted in the period and scored."""
    future = date.today() + timedelta(days=20)

    def to_the_future(rows: list[dict[str, str]]) -> None:
        rows[0]["ts"] = f"{future.isoformat()} 21:30:00"  # e1: the colleague's file at night
        rows[1]["ts"] = f"{future.isoformat()} 10:45:00"  # e2: its print

    folder = story_dir(to_the_future)
    r = _run(folder, date.today() - timedelta(days=1), future + timedelta(days=1))
    i = r.inputs
    assert i.timestamp_out_of_range == 3  # the two future rows and the epoch-zero one
    assert i.in_period == 0 and r.situations == []
    assert i.rows_read == _accounted(i)

    old = _run(folder, date(1969, 12, 31), date(1970, 1, 2))
    assert (old.inputs.timestamp_out_of_range, old.inputs.in_period) == (3, 0)
    assert old.situations == [] and old.inputs.rows_read == _accounted(old.inputs)


def test_unknown_or_missing_actions_are_kept_and_counted(
    story_dir: Callable[[Callable[[list[dict[str, str]]], None]], Path],
) -> None:
    def actions(rows: list[dict[str, str]]) -> None:
        rows[0]["action"] = "delete"  # e1: not in the contract
        rows[2]["action"] = ""  # e3: missing

    r = _run(story_dir(actions), date(2024, 4, 1), date(2024, 6, 30))
    assert r.inputs.unknown_action_rows == 2
    assert "2 consultations d'action inconnue (gardées)" in r.inputs.warnings()
    assert r.explanation.consultations == 5  # still consultations, explained and scored
    # e2's print still weighs on its situation: facts keep whether a row is a print or an export.
    (colleague,) = [s for s in r.situations if (s.agent_id, s.de_id) == ("A1", "D_A2")]
    assert colleague.components["actions"] > 0
    assert "1 impression ou export du dossier" in colleague.reasons


def test_empty_period_is_refused() -> None:
    with pytest.raises(InvalidInput, match="période vide"):
        _run(Path("/nonexistent"), date(2024, 6, 30), date(2024, 4, 1))


def test_period_without_consultations_gives_no_alert(interchange_dir: Path) -> None:
    r = _run(interchange_dir, date(2023, 1, 1), date(2023, 1, 31))
    assert r.explanation.consultations == 0
    assert r.situations == []
    assert (r.inputs.before_period, r.inputs.after_period) == (1, 5)


def test_missing_required_file_is_named(tmp_path: Path, interchange_dir: Path) -> None:
    (interchange_dir / "agents.csv").unlink()
    with pytest.raises(InvalidInput) as exc:
        _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    assert exc.value.issues[0].file.endswith("agents.csv")


@pytest.mark.parametrize(
    "engine_name",
    ["duckdb", pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")])],
)
def test_repeated_event_ids_are_kept_and_counted(
    repeated_interchange_dir: Path, engine_name: str, open_engine: Callable[[str], AnalyticsEngine]
) -> None:
    """A log delivered twice in part: the rows stay (nothing dropped) and the repeats are counted."""
    folder = repeated_interchange_dir
    with open_engine(engine_name) as engine:
        r = run_pipeline(
            engine, InterchangeDirSource(folder), start=date(2024, 4, 1), end=date(2024, 6, 30)
        )
    assert r.inputs.in_period == 5 + 3
    assert r.inputs.duplicate_event_ids == 3
    assert r.explanation.consultations == 8


def _repeat_lines(path: Path, *starts: str) -> None:
    """Append a second copy of the CSV lines that begin with one of `starts`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([*lines, *(x for x in lines[1:] if x.startswith(starts))]) + "\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    "engine_name",
    ["duckdb", pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")])],
)
def test_repeated_reference_ids_are_counted_and_do_not_multiply_consultations(
    interchange_dir: Path,
    tmp_path: Path,
    engine_name: str,
    open_engine: Callable[[str], AnalyticsEngine],
) -> None:
    """A job seeker, an agent and an agency listed twice in their files: each consultation still
    counts once (joined to one row per id), and the repeated rows are reported."""
    clean = interchange_dir
    folder = Path(shutil.copytree(clean, tmp_path / "repeated"))
    _repeat_lines(
        folder / "job_seekers.csv",
        '"D_A2"',
    )
    _repeat_lines(
        folder / "agents.csv",
        '"A1"',
    )
    _repeat_lines(
        folder / "agencies.csv",
        '"AG1"',
    )

    def run(where: Path) -> PipelineResult:
        with open_engine(engine_name) as engine:
            return run_pipeline(
                engine, InterchangeDirSource(where), start=date(2024, 4, 1), end=date(2024, 6, 30)
            )

    expected, got = run(clean), run(folder)
    assert got.explanation.consultations == expected.explanation.consultations == 5
    assert [(s.agent_id, s.de_id, s.consultations, s.level) for s in got.situations] == [
        (s.agent_id, s.de_id, s.consultations, s.level) for s in expected.situations
    ]
    assert (got.inputs.duplicate_agent_ids, got.inputs.duplicate_de_ids) == (1, 1)
    assert got.inputs.duplicate_agency_ids == 1
    assert expected.inputs.duplicate_de_ids == 0
    warnings = "\n".join(got.inputs.warnings())
    assert "dossiers de demandeurs en double" in warnings


def test_unreadable_reference_values_are_counted_and_never_explain(
    interchange_dir: Path,
) -> None:
    """An appointment whose time cannot be read, a task whose closing time cannot be read: both
    are counted in the report, and the task is not taken for an open one (which would explain
    every later look at the file, the colleague's file at night included)."""
    (interchange_dir / "appointments.csv").write_text(
        "appointment_id,de_id,agent_id,starts_at,kind,status\n"
        "R1,D_A2,A1,2024-04-03 25:61,suivi,held\n",
        encoding="utf-8",
    )
    (interchange_dir / "tasks.csv").write_text(
        "task_id,de_id,agent_id,created_at,closed_at,kind\n"
        "T1,D_A2,A1,2024-04-01 09:00:00,le 2 avril,courrier\n",
        encoding="utf-8",
    )
    (interchange_dir / "agents.csv").write_text(
        (interchange_dir / "agents.csv")
        .read_text(encoding="utf-8")
        .replace('"2010-01-01"', '"01/01/2010"'),
        encoding="utf-8",
    )
    r = _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    assert r.inputs.unreadable_values == {
        "agents.hired_on": 1,
        "appointments.starts_at": 1,
        "tasks.closed_at": 1,
    }
    warnings = "\n".join(r.inputs.warnings())
    assert "1 valeurs illisibles dans tasks.closed_at (tâche tenue pour close" in warnings
    colleague = [s for s in r.situations if (s.agent_id, s.de_id) == ("A1", "D_A2")]
    assert colleague and colleague[0].level == "mandatory"
    assert colleague[0].explanation != "strong"


def test_a_missing_or_empty_context_file_is_named_with_what_it_takes_away(
    interchange_dir: Path,
) -> None:
    """Without calls or appointments the campaign still runs, but every look those would have
    explained may become a situation: the run report says which files gave nothing, and why it
    matters."""
    (interchange_dir / "calls.csv").unlink(missing_ok=True)
    (interchange_dir / "appointments.csv").write_text(
        "appointment_id,de_id,agent_id,starts_at,kind,status\n", encoding="utf-8"
    )
    r = _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    assert {"calls", "appointments"} <= set(r.inputs.empty_files)
    assert not {"agents", "job_seekers"} & set(r.inputs.empty_files)
    warnings = r.inputs.warnings()
    assert (
        "fichier calls absent ou vide : aucune consultation ne peut être expliquée par un appel 3949"
        in warnings
    )
    assert any(w.startswith("fichier appointments absent ou vide") for w in warnings)


def test_the_stored_input_report_reads_back_as_printed(interchange_dir: Path) -> None:
    """The pages read the input report from the stored run report (`detection_runs.report`)."""
    r = _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    stored = json.loads(json.dumps(r.to_report()))["inputs"]
    assert InputReport.from_report(stored) == r.inputs
    assert InputReport.from_report(stored).warnings() == r.inputs.warnings() != []


def test_a_semicolon_export_or_a_missing_key_column_is_refused_by_name(
    interchange_dir: Path,
) -> None:
    """A spreadsheet's export separated by semicolons, a file whose id column is named otherwise:
    refused with the file, the line and the column, all problems at once, not read as empty."""
    seekers = interchange_dir / "job_seekers.csv"
    seekers.write_text(seekers.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    agents = interchange_dir / "agents.csv"
    agents.write_text(
        agents.read_text(encoding="utf-8").replace('"agent_id"', '"matricule"', 1),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as exc:
        _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    found = {(Path(i.file).name, i.line, i.column) for i in exc.value.issues}
    assert found == {("job_seekers.csv", 1, None), ("agents.csv", 1, "agent_id")}
    message = str(exc.value)
    assert "point-virgule" in message and "colonne obligatoire absente" in message


def test_a_scenario_failing_on_the_data_is_named(interchange_dir: Path, tmp_path: Path) -> None:
    """A query can pass `scenarios validate` and still fail on real values (a cast): the campaign
    names the scenario's file rather than printing every scenario's SQL."""
    config = DetectionConfig.load()
    broken = next(s for s in config.scenarios if s.id == "w2_ex_agents")
    sql_path = tmp_path / "w2_ex_agents.sql"
    sql_path.write_text(
        "SELECT agent_id, de_id FROM fact_targets WHERE CAST(de_id || 'x' AS INTEGER) > 0",
        encoding="utf-8",
    )
    failing = replace(
        broken, sql=sql_path.read_text(encoding="utf-8"), path=tmp_path / "w2_ex_agents.yaml"
    )
    config.scenarios = [failing if s is broken else s for s in config.scenarios]
    with DuckDBEngine(threads=1) as engine, pytest.raises(InvalidInput) as err:
        run_pipeline(
            engine,
            InterchangeDirSource(interchange_dir),
            start=date(2024, 4, 1),
            end=date(2024, 6, 30),
            config=config,
        )
    (issue,) = err.value.issues
    assert issue.file == str(sql_path) and issue.reason.startswith("échoue sur les données")


def _edit_line(path: Path, number: int, edit: Callable[[bytes], bytes]) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = edit(lines[number - 1])
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(
    ("file", "line", "edit", "problem"),
    [
        ("consultations.csv", 2, lambda b: b + b",x", "champs en trop (7 au lieu de 6)"),
        (
            "consultations.csv",
            5,
            lambda b: b.rsplit(b",", 1)[0],
            "champs manquants (5 au lieu de 6)",
        ),
        (
            "consultations.csv",
            4,
            lambda b: b.replace(b"e", b"\xe9"),
            "texte qui n'est pas en UTF-8",
        ),
        ("agents.csv", 3, lambda b: b + b",x", "champs en trop"),
    ],
)
def test_a_malformed_record_refuses_its_file_with_the_line(
    interchange_dir: Path, file: str, line: int, edit: Callable[[bytes], bytes], problem: str
) -> None:
    """Old code: DuckDB's sniffer failed on the file with a dump of its options, or took a line
    with a field too many for a sign that the file had no header (`event_id` "absent from the
    header"), and a Latin-1 byte came out as a raw `CSV Error on Line` dump."""
    path = interchange_dir / file
    _edit_line(path, line, edit)
    with pytest.raises(InvalidInput) as exc:
        _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    (issue,) = exc.value.issues
    assert (issue.file, issue.line, issue.column) == (str(path), line, None)
    assert issue.reason.startswith(f"enregistrement mal formé : {problem}")
    assert "parcours import" in issue.reason


def test_a_malformed_record_after_a_quoted_line_break_is_named_by_its_editor_line(
    interchange_dir: Path,
) -> None:
    """DuckDB counts a record holding a line break as one line: the file's own line is named."""
    path = interchange_dir / "consultations.csv"
    _edit_line(
        path, 2, lambda b: b.replace(b",view", b',"vi\new"', 1).replace(b",AUDE", b',"AU\nDE"', 1)
    )
    text = path.read_bytes().split(b"\n")
    bad = len(text) - 1  # the last record (the file ends with a line end)
    _edit_line(path, bad, lambda b: b + b",x")
    with pytest.raises(InvalidInput) as exc:
        _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    (issue,) = exc.value.issues
    assert issue.line == bad


def test_partition_files_are_read_by_column_name(interchange_dir: Path) -> None:
    """The columns come from each file's header: a part written in another column order is read
    by name, as DuckDB's sniffer read it."""
    log = interchange_dir / "consultations.csv"
    header, *rows = log.read_text(encoding="utf-8").splitlines()
    names = [n.strip('"') for n in header.split(",")]
    folder = interchange_dir / "consultations"
    folder.mkdir()
    (folder / "a.csv").write_text("\n".join([header, *rows[:3]]) + "\n", encoding="utf-8")
    swapped = [",".join(reversed(r.split(","))) for r in [",".join(names), *rows[3:]]]
    (folder / "b.csv").write_text("\n".join(swapped) + "\n", encoding="utf-8")
    whole = _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    log.unlink()
    parts = _run(interchange_dir, date(2024, 4, 1), date(2024, 6, 30))
    assert parts.inputs == whole.inputs
    assert [(s.agent_id, s.de_id, s.level) for s in parts.situations] == [
        (s.agent_id, s.de_id, s.level) for s in whole.situations
    ]
