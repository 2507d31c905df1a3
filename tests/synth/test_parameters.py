"""The generator's data files load into typed objects; errors name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcours.errors import InvalidInput
from parcours.synth.parameters import (
    load_geography,
    load_pattern_templates,
    load_scales,
    load_surname_accents,
)


def test_shipped_data_files_load() -> None:
    assert set(load_scales()) == {"tiny", "demo", "region", "national"}
    assert len(load_geography().departments) == 13
    assert len(load_pattern_templates()) >= 10
    assert load_surname_accents()["Lefevre"][0] == "Lefèvre"


def test_a_bad_scale_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "scales.yaml"
    path.write_text(
        "scales:\n"
        "  tiny: {agents: 10, job_seekers: 100, consultations: 10, protected_persons: 5, chunk_agents: 5}\n"
        "  huge: {agents: many, job_seekers: 100, consultations: 10, protected_persons: 5, chunk_agents: 5}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as err:
        load_scales(path)
    issue = err.value.issues[0]
    assert issue.file == str(path) and issue.line == 3 and issue.column == "agents"


def test_a_bad_work_pattern_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "patterns.yaml"
    path.write_text(
        "patterns:\n"
        "  - {id: ok, pattern: 'mon-fri 08:30-12:30', weights: {conseiller: 1}}\n"
        "  - {id: bad, pattern: 'mon-fri 17:00-08:00', weights: {conseiller: 1}}\n"
        "  - {id: job, pattern: 'mon 09:00-10:00', weights: {astronaut: 1}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as err:
        load_pattern_templates(path)
    lines = {(i.line, i.column) for i in err.value.issues}
    assert lines == {(3, "pattern"), (4, "weights")}


def test_a_bad_accent_share_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "accents.csv"
    path.write_text(
        "# comment\nplain,accented,share\nGerard,Gérard,0.9\nHerve,Hervé,lots\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as err:
        load_surname_accents(path)
    assert [(i.line, i.column) for i in err.value.issues] == [(4, "share")]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "departments.yaml"
    path.write_text("departments:\n  - {code: '09', name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_geography(path)
    assert err.value.issues[0].line is not None
