"""The `parcours rules` and `parcours orientation` commands, end to end on the default SQLite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from parcours.cli.main import app
from parcours.orientation import library as library_module
from parcours.orientation.library import RULES_DIR

from .factories import answers as complete_answers

runner = CliRunner()
DRAFT = str(RULES_DIR / "drafts" / "2026-01-projet.yaml")
ANSWERS = {
    "work_situation": "current",
    "trade": "Comptable",
    "age": 24,
    "boeth": False,
    "rsa": False,
    "qualification": "bac3plus",
    "aspiration": "ready_now",
    "benefit_claim_requested": False,
    **{
        f"difficulty_{d}": "none"
        for d in (
            [
                "health",
                "housing",
                "mobility",
                "childcare",
                "caregiving",
                "language",
                "digital",
                "financial",
                "other",
            ]
        )
    },
}


def test_rules_validate_and_test() -> None:
    result = runner.invoke(app, ["rules", "validate"])
    assert result.exit_code == 0, result.output
    assert "2 adopted charts" in result.output
    result = runner.invoke(app, ["rules", "test", "--at", "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_rules_explain_in_french(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps(ANSWERS), encoding="utf-8")
    args = ["rules", "explain", "--at", "2025-05-12", "--department", "31"]
    result = runner.invoke(
        app, [*args, "--answers", str(answers), "--set", "asks_mission_locale=false"]
    )
    assert result.exit_code == 0, result.output
    assert "APEC — jeunes diplômés" in result.output
    assert "Jeune diplômé (24 ans, bac + 3 ou plus)" in result.output
    result = runner.invoke(app, [*args, "--answers", str(answers), "--set", "age=abc"])
    assert result.exit_code == 2
    assert "--set [age]: expected an integer, got 'abc'" in _text(result)


def test_rules_diff_names_the_changes() -> None:
    result = runner.invoke(app, ["rules", "diff", "--at", "2025-09-01"])
    assert result.exit_code == 0, result.output
    assert "social_path_min_strong_difficulties [46]" in result.output
    result = runner.invoke(app, ["rules", "diff", "--at", "2026-01-01", "--draft", DRAFT])
    assert "inactivity_long_months" in result.output and "socio_path_min_medium" in result.output


def _text(result: Result) -> str:
    """The output with Rich's error panel and its line wrapping flattened to single spaces."""
    return " ".join(result.output.replace("│", " ").split())


def test_rules_validate_reports_every_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "partners.yaml").write_text("- id: [\n", encoding="utf-8")
    chart = rules / "charts" / "2025-04-01.yaml"
    chart.write_text("version: 2025-04\ncolour: bleu\n", encoding="utf-8")
    cases = rules / "tests" / "dated_changes.yaml"
    cases.write_text("description: x\ndefaults: {}\ncases: {}\n", encoding="utf-8")
    monkeypatch.setattr(library_module, "RULES_DIR", rules)
    result = runner.invoke(app, ["rules", "validate"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{rules / 'partners.yaml'}:2: YAML invalide" in result.output
    assert f"{chart}:2 [colour]: Extra inputs are not permitted" in result.output
    assert f"{cases}:3 [cases]: Input should be a valid list" in result.output


def test_rules_diff_within_the_first_chart_says_everything_is_new() -> None:
    result = runner.invoke(app, ["rules", "diff", "--at", "2025-02-01"])
    assert result.exit_code == 0, result.output
    assert (
        "Aucune règle en vigueur le 2024-12-31 (première version le 2025-01-01) : "
        "tout est nouveau." in result.output
    )
    assert "(nouvelle)" in result.output and "(aucune)" in result.output
    before_any = runner.invoke(app, ["rules", "diff", "--at", "2024-06-01"])
    assert before_any.exit_code == 1
    assert "no orientation rules in force on 2024-06-01" in before_any.output


def test_rules_diff_since_after_at_is_a_usage_error() -> None:
    """A --since later than --at would compare backwards: refused, naming both dates."""
    result = runner.invoke(app, ["rules", "diff", "--at", "2025-04-01", "--since", "2025-09-01"])
    assert result.exit_code == 2, result.output
    assert "--since" in result.output
    assert "2025-09-01 est postérieure à --at 2025-04-01" in _text(result)
    same_day = runner.invoke(app, ["rules", "diff", "--at", "2025-04-01", "--since", "2025-04-01"])
    assert same_day.exit_code == 0, same_day.output
    assert "aucun changement" in same_day.output


def test_rules_validate_refuses_a_version_adopted_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    first = rules / "charts" / "2025-04-01.yaml"
    second = rules / "charts" / "2025-06-01.yaml"
    text = first.read_text(encoding="utf-8")
    second.write_text(
        text.replace("effective_from: 2025-04-01", "effective_from: 2025-06-01"), encoding="utf-8"
    )
    line = text[: text.index("version:")].count("\n") + 1
    monkeypatch.setattr(library_module, "RULES_DIR", rules)
    result = runner.invoke(app, ["rules", "validate"])
    assert result.exit_code == 1, result.output
    out = _text(result)
    assert f"{second}:{line} [version]: version '2025-04' already in {first}:{line}" in out


def test_rules_validate_refuses_two_charts_adopted_on_the_same_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    first = rules / "charts" / "2025-04-01.yaml"
    second = rules / "charts" / "2025-10-01.yaml"
    text = first.read_text(encoding="utf-8")
    second.write_text(
        text.replace('version: "2025-04"\n', 'version: "2025-10"\n'), encoding="utf-8"
    )
    line = text[: text.index("effective_from:")].count("\n") + 1
    monkeypatch.setattr(library_module, "RULES_DIR", rules)
    result = runner.invoke(app, ["rules", "validate"])
    assert result.exit_code == 1, result.output
    expected = (
        f"{second}:{line} [effective_from]: effective_from '2025-04-01' already in {first}:{line}"
    )
    assert expected in _text(result)


def test_rules_diff_since_with_a_draft_is_a_usage_error() -> None:
    """A draft is compared with the rules in force on --at: a --since would be silently ignored."""
    args = ["rules", "diff", "--at", "2026-01-01", "--draft", DRAFT, "--since", "2025-01-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    out = _text(result)
    assert "Invalid value for --since: 2025-01-01 : incompatible avec --draft" in out
    assert "le brouillon est comparé aux règles en vigueur le --at 2026-01-01" in out


def _answers_file(path: Path, **overrides: object) -> dict[str, int]:
    """Complete answers, one per line; returns the line of each question."""
    data = complete_answers(**overrides)
    path.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in data.items()), encoding="utf-8")
    return {k: i + 1 for i, k in enumerate(data)}


EXPLAIN = ["rules", "explain", "--at", "2025-05-12", "--department", "31"]


def test_rules_explain_bad_answers_file_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 2 (usage error) naming the file and, where it can, the line: never a traceback."""
    monkeypatch.chdir(tmp_path)  # short relative names: the error panel does not wrap them

    def explain(*args: str) -> str:
        result = runner.invoke(app, [*EXPLAIN, *args])
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return _text(result)

    assert "'missing.yaml' does not exist" in explain("--answers", "missing.yaml")
    Path("folder").mkdir()
    assert "'folder' is a directory" in explain("--answers", "folder")

    Path("syntax.yaml").write_text("age: 22\ntrade: [Vendeur\n", encoding="utf-8")
    assert "syntax.yaml:3: YAML invalide" in explain("--answers", "syntax.yaml")
    Path("syntax.json").write_text('{"age": 22,\n "trade": }\n', encoding="utf-8")
    assert "syntax.json:2: JSON invalide" in explain("--answers", "syntax.json")
    Path("latin1.yaml").write_bytes("trade: Crêpier\n".encode("latin-1"))
    assert "latin1.yaml: lecture impossible" in explain("--answers", "latin1.yaml")
    Path("list.json").write_text("[1, 2]\n", encoding="utf-8")
    assert "list.json:1: le fichier doit contenir un dictionnaire" in explain(
        "--answers", "list.json"
    )

    lines = _answers_file(
        Path("wrong.yaml"), age="vingt", qualification="doctorat", rsa="peut-être"
    )
    out = explain("--answers", "wrong.yaml")
    assert f"wrong.yaml:{lines['age']} [age]: expected an integer, got 'vingt'" in out
    assert f"wrong.yaml:{lines['qualification']} [qualification]: expected one of" in out
    assert f"wrong.yaml:{lines['rsa']} [rsa]: expected true or false" in out

    lines = _answers_file(Path("unknown.yaml"), colour="bleu")
    out = explain("--answers", "unknown.yaml")
    assert f"unknown.yaml:{lines['colour']} [colour]: question inconnue" in out

    Path("partial.yaml").write_text("age: 30\n", encoding="utf-8")
    assert "partial.yaml [trade]: réponse manquante" in explain("--answers", "partial.yaml")

    _answers_file(Path("good.yaml"))
    assert "--set [age]: valeur illisible '['" in explain(
        "--answers", "good.yaml", "--set", "age=["
    )
    assert "attendu question=valeur, reçu 'age'" in explain(
        "--answers", "good.yaml", "--set", "age"
    )
    assert "'nope.yaml' does not exist" in explain("--answers", "good.yaml", "--draft", "nope.yaml")
    good = runner.invoke(app, [*EXPLAIN, "--answers", "good.yaml", "--json"])
    assert good.exit_code == 0, good.output


@pytest.mark.parametrize(
    "args",
    [
        ["rules", "diff", "--at", "0001-01-01"],
        ["rules", "diff", "--at", "2025-05-01", "--since", "2025-02-30"],
        ["rules", "diff", "--at", "2025-04-01", "--since", "2025-09-01"],
        ["rules", "diff", "--at", "2025-05-01", "--draft", "nope.yaml"],
        ["rules", "diff", "--at", "2025-05-01", "--draft", "d.yaml", "--since", "2025-04-01"],
        ["rules", "test", "--at", "9999-12-31"],
        ["orientation", "report", "--start", "0001-01-01", "--end", "9999-12-31"],
        ["orientation", "report", "--start", "2025-05-09", "--end", "2025-05-01"],
        ["orientation", "activity", "--start", "2025-05-01", "--end", "mai"],
        ["orientation", "capacities", "--at", "0001-01-01"],
        ["orientation", "deviation", "--start", "2025-05-01", "--end", "2025-05-31", "--out", "f"],
        ["orientation", "whatif", "--draft", "nope.yaml"],
        ["orientation", "whatif", "--draft", "d.yaml", "--start", "0001-01-01"],
        ["orientation", "synth", "--start", "2025-05-05", "--end", "2025-05-05", "--per-day", "-1"],
    ],
    ids=lambda args: " ".join(args),
)
def test_bad_arguments_are_usage_errors(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("f").write_text("a file, not a folder\n", encoding="utf-8")
    shutil.copy(DRAFT, "d.yaml")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Usage:" in result.output


def test_orientation_commands_on_a_synthetic_week(tmp_path: Path) -> None:
    week = ["--start", "2025-05-05", "--end", "2025-05-09"]
    result = runner.invoke(app, ["orientation", "synth", *week, "--per-day", "8"])
    assert result.exit_code == 0, result.output
    assert "40 entretiens" in result.output
    result = runner.invoke(app, ["orientation", "report", *week, "--by", "department,week"])
    assert result.exit_code == 0 and "2025-W19" in result.output
    result = runner.invoke(app, ["orientation", "activity", *week])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["orientation", "capacities", "--at", "2025-05-09"])
    assert result.exit_code == 0 and "apec_jeunes_diplomes_31" in result.output
    out = tmp_path / "export"
    result = runner.invoke(app, ["orientation", "deviation", *week, "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "deviation.json").read_text(encoding="utf-8"))
    decisions = sum(row["decisions"] for row in report["matrix"])
    assert decisions == report["totals"]["decisions"] > 0
    assert (out / "deviation_matrix.csv").read_text(encoding="utf-8").startswith("period_start,")
    result = runner.invoke(app, ["orientation", "whatif", "--draft", DRAFT, *week, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["interviews"] == report["totals"]["decisions"]
