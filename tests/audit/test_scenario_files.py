"""Broken scenario files give errors that name the file and the line; validate compiles the SQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from parcours.audit.scenario import SCENARIOS_DIR, load_scenarios
from parcours.audit.scenario_check import validate_scenarios
from parcours.errors import InvalidInput


def _copy(tmp_path: Path, *ids: str) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for sid in ids:
        for ext in (".yaml", ".sql"):
            shutil.copy(SCENARIOS_DIR / f"{sid}{ext}", folder / f"{sid}{ext}")
    return folder


def test_shipped_scenarios_are_valid() -> None:
    assert validate_scenarios() == []
    ids = {s.id for s in load_scenarios()}
    assert {
        "w1_agents_former_job_seekers",
        "w1_political_personalities",
        "w2_elected_candidates",
        "w2_current_agents",
        "w2_ex_agents",
        "w2_off_hours",
    } <= ids


def test_wrong_type_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "w2_ex_agents")
    path = folder / "w2_ex_agents.yaml"
    text = path.read_text().replace("wave: 2", "wave: deux")
    path.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if t.startswith("wave:"))
    with pytest.raises(InvalidInput) as exc:
        load_scenarios(folder)
    (issue,) = exc.value.issues
    assert issue.file == str(path)
    assert issue.line == line
    assert issue.column == "wave"


def test_broken_yaml_and_missing_sql_are_all_reported(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "w2_ex_agents", "w2_current_agents")
    (folder / "w2_ex_agents.yaml").write_text("id: w2_ex_agents\ntitle: [unclosed\n")
    (folder / "w2_current_agents.sql").unlink()
    with pytest.raises(InvalidInput) as exc:
        load_scenarios(folder)
    issues = exc.value.issues
    assert len(issues) == 2
    assert any(i.file.endswith("w2_ex_agents.yaml") and i.line == 3 for i in issues)
    assert any(i.file.endswith("w2_current_agents.sql") for i in issues)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "w2_ex_agents")
    path = folder / "w2_ex_agents.yaml"
    path.write_text(path.read_text().replace("id: w2_ex_agents", "id: other"))
    with pytest.raises(InvalidInput, match="nom du fichier"):
        load_scenarios(folder)


def test_validate_compiles_sql_and_reports_the_failing_statement(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "w2_ex_agents", "w2_off_hours")
    (folder / "w2_ex_agents.sql").write_text(
        "SELECT DISTINCT agent_id, de_id FROM fact_targets WHERE no_such_column = 1\n"
    )
    (folder / "w2_off_hours.sql").write_text(
        "SELECT agent_id, de_id FROM facts WHERE off_hours AND {{ p.not_a_parameter }}\n"
    )
    issues = validate_scenarios(folder)
    by_file = {Path(i.file).name: i.reason for i in issues}
    assert "no_such_column" in by_file["w2_ex_agents.sql"]
    assert "failing SQL" in by_file["w2_ex_agents.sql"]
    assert "not_a_parameter" in by_file["w2_off_hours.sql"]


def _write_bytes(path: Path, old: bytes, new: bytes) -> int:
    """Replace the first `old` of the file by `new`; the line where it was."""
    data = path.read_bytes()
    at = data.index(old)
    path.write_bytes(data[:at] + new + data[at + len(old) :])
    return data.count(b"\n", 0, at) + 1


def test_a_latin1_or_nul_byte_in_a_scenario_is_named_with_its_line(tmp_path: Path) -> None:
    """Old code: a Latin-1 byte in the SQL ended in a UnicodeDecodeError traceback, a NUL in the YAML
    in a yaml ReaderError traceback, and a NUL in the SQL in an engine error about `facts\\0`."""
    folder = _copy(tmp_path, "w2_ex_agents", "w2_off_hours", "w2_current_agents")
    _write_bytes(folder / "w2_ex_agents.sql", b"agent_id", b"agent_id -- caf\xe9\n")
    yaml_line = _write_bytes(folder / "w2_off_hours.yaml", b"wave:", b"\x00wave:")
    sql_line = _write_bytes(folder / "w2_current_agents.sql", b"FROM", b"FROM\x00")
    expected = {
        ("w2_ex_agents.sql", None): "lecture impossible : 'utf-8' codec can't decode byte 0xe9",
        ("w2_off_hours.yaml", yaml_line): "caractère NUL (octet 0x00) interdit",
        ("w2_current_agents.sql", sql_line): "caractère NUL (octet 0x00) interdit",
    }
    with pytest.raises(InvalidInput) as exc:
        load_scenarios(folder)
    for issues in (exc.value.issues, validate_scenarios(folder)):
        got = {(Path(i.file).name, i.line): i.reason for i in issues}
        assert got.keys() == expected.keys()
        assert all(got[k].startswith(reason) for k, reason in expected.items())


def test_a_query_without_its_yaml_is_named(tmp_path: Path) -> None:
    """Old code: the orphan query was skipped and validate said every scenario was valid."""
    folder = _copy(tmp_path, "w2_ex_agents")
    shutil.copy(SCENARIOS_DIR / "w2_off_hours.sql", folder / "w2_offhours.sql")
    with pytest.raises(InvalidInput) as exc:
        load_scenarios(folder)
    for issues in (exc.value.issues, validate_scenarios(folder)):
        [issue] = issues
        assert issue.file == str(folder / "w2_offhours.sql")
        assert issue.reason == "requête sans scénario : w2_offhours.yaml absent"
