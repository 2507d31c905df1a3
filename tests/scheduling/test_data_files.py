"""Data files load, and a broken one is reported with its file and line (collect-all)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parcours.engagement.reference_data import parse_catalogue, parse_parameters
from parcours.errors import InvalidInput
from parcours.scheduling.activities import parse_activity_types, resolve_rule


def test_shipped_activity_types() -> None:
    assert resolve_rule("EDO", day=date(2026, 3, 2), msa_agency=False).minutes == 15
    assert resolve_rule("EDO", day=date(2026, 3, 2), msa_agency=True).minutes == 20
    dpa = resolve_rule("DPA", day=date(2026, 3, 2), msa_agency=False)
    assert (dpa.minutes, dpa.break_minutes, dpa.max_per_day) == (45, 15, 6)


def test_activity_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "types.yaml"
    bad.write_text(
        "activity_types:\n"
        "  DPA:\n"
        "    label: DPA\n"
        "    individual: true\n"
        "    versions:\n"
        "      - from: 2025-01-01\n"
        "        minutes: 90\n"
        "        msa_minutes: 45\n"
        "        min_minutes: 45\n"
        "        max_minutes: 60\n"
        "        break_minutes: 15\n"
        "        reference: x\n"
        "  EDO:\n"
        "    label: 12\n"
        "    individual: true\n"
        "    versions: []\n"
    )
    with pytest.raises(InvalidInput) as exc:
        parse_activity_types(bad)
    issues = [(i.line, i.column) for i in exc.value.issues]
    assert (7, "minutes") in issues and (14, "label") in issues


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("activities:\n  - code: a\n   label: [\n")
    with pytest.raises(InvalidInput) as exc:
        parse_catalogue(bad)
    assert exc.value.issues[0].line is not None


def test_catalogue_and_parameters_errors(tmp_path: Path) -> None:
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(
        "activities:\n  - code: a\n    label: A\n    category: loisirs\n    default_weekly_hours: 2\n"
        "  - code: b\n    label: B\n    category: emploi\n    default_weekly_hours: 50\n"
    )
    with pytest.raises(InvalidInput) as exc:
        parse_catalogue(cat)
    assert [(i.line, i.column) for i in exc.value.issues] == [
        (4, "category"),
        (9, "default_weekly_hours"),
    ]
    params = tmp_path / "parameters.yaml"
    params.write_text(
        "parameters:\n  x:\n    - from: 2025-02-01\n      value: 1\n      reference: r\n    - from: 2025-01-01\n      value: 2\n      reference: r\n"
    )
    with pytest.raises(InvalidInput, match="dates must increase"):
        parse_parameters(params)
