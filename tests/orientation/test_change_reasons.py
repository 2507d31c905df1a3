"""`change_reasons.yaml`, the fixed list of reasons for changing a proposal: checked like the rule
files, every problem named with its file and line, all of them at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parcours.cli.main import app
from parcours.errors import InvalidInput
from parcours.orientation import change_reasons as reasons_module
from parcours.orientation.change_reasons import CHANGE_REASONS_FILE, load_change_reasons
from parcours.orientation.library import RULES_DIR
from parcours.orientation.rule_cases import validate_rule_files
from parcours.orientation.service import change_reasons

BROKEN = """\
# a comment, then one problem per entry from line 3
person_choice: Choix exprimé par la personne
2025: Motif daté
Situation Changed: Situation évoluée depuis l'entretien
health_disability:
language: [Maîtrise, du français]
partner_capacity: {label: Capacité du partenaire atteinte}
territorial_offer: 12
counsellor_judgement: "  "
other: Choix exprimé par la personne
"""


def _problems(path: Path) -> set[tuple[int | None, str | None, str]]:
    with pytest.raises(InvalidInput) as err:
        load_change_reasons(path)
    assert all(issue.file == str(path) for issue in err.value.issues)
    return {(i.line, i.column, i.reason) for i in err.value.issues}


def test_the_shipped_reasons_are_valid() -> None:
    reasons = load_change_reasons()
    assert reasons == change_reasons()
    assert "person_choice" in reasons and "other" in reasons
    assert all(isinstance(label, str) and label for label in reasons.values())


def test_every_problem_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "change_reasons.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    assert _problems(path) == {
        (3, "2025", "a code must be text, got 2025"),
        (4, "Situation Changed", "a code is lowercase letters, digits and '_'"),
        (5, "health_disability", "label missing"),
        (6, "language", "a label must be text, got ['Maîtrise', 'du français']"),
        (
            7,
            "partner_capacity",
            "a label must be text, got {'label': 'Capacité du partenaire atteinte'}",
        ),
        (8, "territorial_offer", "a label must be text, got 12"),
        (9, "counsellor_judgement", "label missing"),
        (10, "other", f"same label as 'person_choice' ({path}:2)"),
    }


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("person_choice: Choix\nperson_choice: Autre\n", 2, "YAML invalide : clé en double"),
        ("- person_choice\n", 1, "le fichier doit contenir un dictionnaire"),
        ("", 1, "le fichier doit contenir un dictionnaire"),
        ("{}\n", 1, "no change reason"),
        ("person_choice: [Choix\n", 2, "YAML invalide"),
    ],
    ids=["duplicate code", "a list", "empty", "no reason", "syntax"],
)
def test_a_file_that_is_not_a_list_of_reasons_is_refused(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "change_reasons.yaml"
    path.write_text(text, encoding="utf-8")
    [(found_line, _column, found_reason)] = _problems(path)
    assert (found_line, found_reason[: len(reason)]) == (line, reason)


def test_validate_collects_the_reasons_with_the_other_rule_files(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    chart = rules / "charts" / "2025-01-01.yaml"
    text = chart.read_text(encoding="utf-8")
    chart.write_text(text.replace("then: cej", "then: cejj", 1), encoding="utf-8")
    reasons = tmp_path / "change_reasons.yaml"
    reasons.write_text("person_choice: Choix\nlanguage: 3\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        validate_rule_files(rules, change_reasons=reasons)
    found = {(Path(i.file).name, i.line) for i in err.value.issues}
    assert ("change_reasons.yaml", 2) in found
    assert "2025-01-01.yaml" in {name for name, _line in found}
    valid = validate_rule_files(RULES_DIR)
    assert valid.change_reasons == load_change_reasons(CHANGE_REASONS_FILE)


def test_rules_validate_reports_the_reasons_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reasons = tmp_path / "change_reasons.yaml"
    reasons.write_text("person_choice: Choix\nLanguage: Langue\nother:\n", encoding="utf-8")
    monkeypatch.setattr(reasons_module, "CHANGE_REASONS_FILE", reasons)
    result = CliRunner().invoke(app, ["rules", "validate"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{reasons}:2 [Language]: a code is lowercase letters" in result.output
    assert f"{reasons}:3 [other]: label missing" in result.output
    monkeypatch.undo()
    ok = CliRunner().invoke(app, ["rules", "validate"])
    assert ok.exit_code == 0, ok.output
    assert f"{len(change_reasons())} change reasons" in ok.output
