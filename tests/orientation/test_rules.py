"""The orientation chart: YAML cases, branch coverage, dated changes, and loader errors."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from parcours.errors import InvalidInput
from parcours.orientation import form as form_module
from parcours.orientation.diff import diff_rules
from parcours.orientation.library import RULES_DIR, RuleLibrary, default_library, load_library
from parcours.orientation.rule_cases import (
    RuleCase,
    check_case,
    load_cases,
    validate_rule_files,
)

CASES = load_cases()


@pytest.fixture(scope="module")
def library() -> RuleLibrary:
    return default_library()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: RuleCase, library: RuleLibrary) -> None:
    _proposal, problems = check_case(case, library)
    assert not problems, f"{case.file}:{case.line}: " + "; ".join(problems)


def test_every_rule_of_every_chart_has_a_case(library: RuleLibrary) -> None:
    fired: set[tuple[str, str, str]] = set()
    for case in CASES:
        proposal, _ = check_case(case, library)
        if proposal is not None:
            fired |= {(proposal.rule_version, s.stage, s.rule_id) for s in proposal.trace}
    missing = [
        f"{chart.version} {stage}.{rule.id}"
        for chart in library.charts
        for stage, rules in chart.stages.items()
        for rule in rules
        if (chart.version, stage, rule.id) not in fired
    ]
    assert not missing, f"branches without a YAML case: {missing}"


def test_every_dated_change_has_cases_before_and_after(library: RuleLibrary) -> None:
    dates = {c.at for c in CASES}
    for change in library.change_dates():
        assert change - timedelta(days=1) in dates, f"no case the day before {change}"
        assert change in dates, f"no case on {change}"


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def test_unknown_field_is_reported_with_file_and_line(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    chart = rules / "charts" / "2025-04-01.yaml"
    lines = chart.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if "field: boeth" in line)
    lines[index] = lines[index].replace("field: boeth", "field: boeht")
    chart.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_library(rules)
    issue = err.value.issues[0]
    assert issue.file == str(chart)
    assert issue.line == index + 1
    assert "unknown field 'boeht'" in issue.reason


def test_all_problems_of_all_files_are_collected(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    params = rules / "parameters.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace("unit: years", "unit: [years", 1), encoding="utf-8")
    chart = rules / "charts" / "2025-01-01.yaml"
    text = chart.read_text(encoding="utf-8")
    chart.write_text(text.replace("then: cej", "then: cejj"), encoding="utf-8")
    (rules / "vocabulary.yaml").write_text("organisations: {}\npaths: {}\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_library(rules)
    files = {Path(i.file).name for i in err.value.issues}
    assert {"parameters.yaml", "vocabulary.yaml"} <= files
    assert all(i.line is not None for i in err.value.issues)


def _break(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in a rules file; return the (1-based) line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_a_broken_shared_file_does_not_hide_the_other_files(tmp_path: Path) -> None:
    """Collect-all: one InvalidInput names every broken file with its line, including the charts
    and drafts read after a shared file (here the parameters) failed, and the test cases."""
    rules = _copy_rules(tmp_path)
    params = rules / "parameters.yaml"
    params_line = _break(params, "  unit: years", "  units: years")
    chart = rules / "charts" / "2025-04-01.yaml"
    chart_line = _break(chart, "title:", "colour: bleu\ntitle:")
    earlier = rules / "charts" / "2025-01-01.yaml"
    earlier_line = _break(earlier, "effective_from: 2025-01-01", "effective_from: 2025-01-32")
    draft = rules / "drafts" / "2026-01-projet.yaml"
    draft_line = _break(draft, "status: draft", "status: brouillon")
    cases = rules / "tests" / "algorithm_2025_04.yaml"
    cases_line = _break(cases, "    at: 2025-05-12", "    on: 2025-05-12")
    with pytest.raises(InvalidInput) as err:
        validate_rule_files(rules)
    found = {(Path(i.file).name, i.line) for i in err.value.issues}
    assert {
        ("parameters.yaml", params_line),
        ("2025-04-01.yaml", chart_line),
        ("2025-01-01.yaml", earlier_line),
        ("2026-01-projet.yaml", draft_line),
        ("algorithm_2025_04.yaml", cases_line),
    } <= found, err.value.issues


def test_problems_of_several_charts_are_all_reported(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    first = rules / "charts" / "2025-01-01.yaml"
    first_line = _break(first, "then: cej", "then: cejj")
    second = rules / "charts" / "2025-04-01.yaml"
    second_line = _break(second, "then: social", "then: sociall")
    with pytest.raises(InvalidInput) as err:
        load_library(rules)
    found = {(Path(i.file).name, i.line, i.reason) for i in err.value.issues}
    assert ("2025-01-01.yaml", first_line, "unknown modality 'cejj'") in found
    assert ("2025-04-01.yaml", second_line, "unknown path 'sociall'") in found


def test_problems_of_every_form_file_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = next(form_module.FORMS_DIR.glob("*.yaml")).read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(shipped.replace("version:", "versio:", 1), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("version: [\n", encoding="utf-8")
    monkeypatch.setattr(form_module, "FORMS_DIR", tmp_path)
    form_module.forms.cache_clear()
    try:
        with pytest.raises(InvalidInput) as err:
            form_module.forms()
    finally:
        form_module.forms.cache_clear()
    assert {Path(i.file).name for i in err.value.issues} == {"a.yaml", "b.yaml"}
    assert all(i.line is not None for i in err.value.issues)


def test_diff_from_before_the_first_chart_lists_everything_as_new(library: RuleLibrary) -> None:
    first = library.charts[0]
    changes = diff_rules(library, before=date(2024, 12, 31), after=date(2025, 2, 1))
    rules = {c.name: c for c in changes if c.kind == "rule"}
    expected = {
        f"{stage}.{rule.id}" for stage, chart_rules in first.stages.items() for rule in chart_rules
    }
    assert set(rules) == expected
    assert all(c.before == "(nouvelle)" for c in rules.values())
    assert ("chart", "version", "(aucune)", first.version) in {
        (c.kind, c.name, c.before, c.after) for c in changes
    }
    params = {c.name: (c.before, c.after) for c in changes if c.kind == "parameter"}
    assert params["youth_max_age"] == ("(aucune)", "25")


def test_a_stage_without_default_is_refused(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    chart = rules / "charts" / "2025-01-01.yaml"
    text = chart.read_text(encoding="utf-8")
    text = text.replace(
        "    - id: ft_default\n      then: FT\n",
        "    - id: ft_default\n      when: {field: rsa, op: '==', value: false}\n      then: FT\n",
    )
    chart.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match="the last rule of a stage is the default"):
        load_library(rules)


def test_proposal_trace_is_plain_french_with_references(library: RuleLibrary) -> None:
    case = next(c for c in CASES if c.name.startswith("young graduate in Haute-Garonne"))
    proposal, _ = check_case(case, library)
    assert proposal is not None
    apec = proposal.trace[-1]
    assert apec.text.startswith("Jeune diplômé (24 ans, bac + 3 ou plus)")
    assert any("1 000 jeunes diplômés" in ref for ref in apec.references)
    assert any("APEC : capacité 1000" in ref for ref in apec.references)


def test_rules_before_the_law_are_refused(library: RuleLibrary) -> None:
    with pytest.raises(InvalidInput, match="first version applies from 2025-01-01"):
        library.chart_at(date(2024, 12, 31))


def _adopt_again(rules: Path, effective_from: str) -> tuple[Path, Path, int]:
    """A second adopted chart keeping the version of 2025-04 (a copy with another date); returns
    both files and the line of `version:`, the same in both."""
    first = rules / "charts" / "2025-04-01.yaml"
    second = rules / "charts" / f"{effective_from}.yaml"
    text = first.read_text(encoding="utf-8")
    second.write_text(
        text.replace("effective_from: 2025-04-01", f"effective_from: {effective_from}"),
        encoding="utf-8",
    )
    return first, second, text[: text.index("version:")].count("\n") + 1


def test_a_version_adopted_twice_is_refused_with_both_places(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    first, second, line = _adopt_again(rules, "2025-06-01")
    with pytest.raises(InvalidInput) as err:
        load_library(rules)
    assert [str(i) for i in err.value.issues] == [
        f"{second}:{line} [version]: version '2025-04' already in {first}:{line}"
    ]


def test_a_version_adopted_twice_is_reported_beside_other_problems(tmp_path: Path) -> None:
    """Collect-all: the duplicate is found even when a shared file cannot be read."""
    rules = _copy_rules(tmp_path)
    first, second, line = _adopt_again(rules, "2025-06-01")
    params_line = _break(rules / "parameters.yaml", "  unit: years", "  units: years")
    with pytest.raises(InvalidInput) as err:
        validate_rule_files(rules)
    found = {(Path(i.file).name, i.line) for i in err.value.issues}
    assert {("parameters.yaml", params_line), (second.name, line)} <= found
    assert any(f"already in {first}:{line}" in i.reason for i in err.value.issues)


def _adopt_on_the_same_date(rules: Path) -> tuple[Path, Path, int]:
    """The usual slip: 2025-04 copied to a new file and given a new version, but its
    `effective_from` left unchanged. Returns both files and the (shared) `effective_from:` line."""
    first = rules / "charts" / "2025-04-01.yaml"
    second = rules / "charts" / "2025-10-01.yaml"
    text = first.read_text(encoding="utf-8")
    assert 'version: "2025-04"\n' in text
    second.write_text(
        text.replace('version: "2025-04"\n', 'version: "2025-10"\n'), encoding="utf-8"
    )
    return first, second, text[: text.index("effective_from:")].count("\n") + 1


def test_two_charts_adopted_on_the_same_date_are_refused_with_both_places(
    tmp_path: Path,
) -> None:
    """Otherwise the chart in force on that date would be whichever file name sorts last."""
    rules = _copy_rules(tmp_path)
    first, second, line = _adopt_on_the_same_date(rules)
    with pytest.raises(InvalidInput) as err:
        load_library(rules)
    assert [str(i) for i in err.value.issues] == [
        f"{second}:{line} [effective_from]: effective_from '2025-04-01' already in {first}:{line}"
    ]


def test_two_charts_adopted_on_the_same_date_are_reported_beside_other_problems(
    tmp_path: Path,
) -> None:
    """Collect-all: the repeated date is found even when a shared file cannot be read."""
    rules = _copy_rules(tmp_path)
    first, second, line = _adopt_on_the_same_date(rules)
    params_line = _break(rules / "parameters.yaml", "  unit: years", "  units: years")
    with pytest.raises(InvalidInput) as err:
        validate_rule_files(rules)
    found = {(Path(i.file).name, i.line) for i in err.value.issues}
    assert {("parameters.yaml", params_line), (second.name, line)} <= found
    assert any(
        f"effective_from '2025-04-01' already in {first}:{line}" in i.reason
        for i in err.value.issues
    )
