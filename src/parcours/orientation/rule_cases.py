"""YAML test cases of the orientation chart (OpenFisca style): answers, a date, a département and
the expected outcome. `parcours rules test` and one parametrised pytest run them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from parcours.errors import InvalidInput, Issue
from parcours.orientation.change_reasons import CHANGE_REASONS_FILE, load_change_reasons
from parcours.orientation.evaluator import Proposal, evaluate
from parcours.orientation.library import RULES_DIR, RuleLibrary, load_library
from parcours.yamlfiles import line_of, load_located, validate

CASES_DIR = RULES_DIR / "tests"


class ExpectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: str | None = None
    path: str | None = None
    modality: str | None = None
    delegate: str | None = None
    programme_id: str | None = None
    rule_version: str | None = None
    rules: list[str] | None = None  # the rule ids that fired, in stage order
    error: str | None = None  # a substring of the expected error, when no proposal is possible


class CaseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    at: date
    department: str
    answers: dict[str, Any] = {}
    expect: ExpectSpec


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    defaults: dict[str, Any]  # answers shared by every case of the file, which override them
    cases: list[CaseSpec]


@dataclass(frozen=True)
class RuleCase:
    name: str
    file: str
    line: int | None
    at: date
    department: str
    answers: dict[str, Any]
    expect: ExpectSpec

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}:{self.name}"


def load_cases(directory: Path = CASES_DIR) -> list[RuleCase]:
    """Every case of every file; the problems of all files are reported together."""
    cases: list[RuleCase] = []
    issues: list[Issue] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            tree = load_located(path)
            spec = validate(CaseFile, tree, path)
        except InvalidInput as exc:
            issues += exc.issues
            continue
        for i, case in enumerate(spec.cases):
            cases.append(
                RuleCase(
                    name=case.name,
                    file=str(path),
                    line=line_of(tree, ("cases", i)),
                    at=case.at,
                    department=case.department,
                    answers={**spec.defaults, **case.answers},
                    expect=case.expect,
                )
            )
    if issues:
        raise InvalidInput(issues)
    return cases


@dataclass(frozen=True)
class ValidatedRules:
    library: RuleLibrary
    cases: list[RuleCase]
    change_reasons: dict[str, str]


def validate_rule_files(
    directory: Path = RULES_DIR, *, change_reasons: Path = CHANGE_REASONS_FILE
) -> ValidatedRules:
    """`parcours rules validate`: the library, the test cases of a rules folder and the reasons
    for changing a proposal, with the problems of every file (file, line, reason) in one
    InvalidInput."""
    issues: list[Issue] = []
    library = cases = reasons = None
    try:
        library = load_library(directory)
    except InvalidInput as exc:
        issues += exc.issues
    try:
        cases = load_cases(directory / "tests")
    except InvalidInput as exc:
        issues += exc.issues
    try:
        reasons = load_change_reasons(change_reasons)
    except InvalidInput as exc:
        issues += exc.issues
    if library is None or cases is None or reasons is None:
        raise InvalidInput(issues)
    return ValidatedRules(library, cases, reasons)


def check_case(case: RuleCase, library: RuleLibrary) -> tuple[Proposal | None, list[str]]:
    """Evaluate one case; the list holds one French-free message per mismatch (empty: passed)."""
    expect = case.expect
    try:
        proposal = evaluate(case.answers, at=case.at, department=case.department, library=library)
    except InvalidInput as exc:
        if expect.error and expect.error in str(exc):
            return None, []
        return None, [f"unexpected error: {exc}"]
    if expect.error:
        return proposal, [f"expected an error containing {expect.error!r}, got a proposal"]
    problems = []
    fired = [step.rule_id for step in proposal.trace]
    actual: dict[str, Any] = {
        "organisation": proposal.organisation,
        "path": proposal.path,
        "modality": proposal.modality,
        "delegate": proposal.delegate,
        "programme_id": proposal.programme_id,
        "rule_version": proposal.rule_version,
        "rules": fired,
    }
    for key, wanted in expect.model_dump(exclude_none=True).items():
        if actual[key] != wanted:
            problems.append(f"{key}: expected {wanted!r}, got {actual[key]!r}")
    return proposal, problems
