"""Orientation charts: dated rule versions, each an ordered list of rules per stage.

A chart decides in three stages — the path, then the organisation, then the modality — and in
each stage the first rule whose condition holds wins; the last rule of a stage has no condition
(the default), so every interview gets an outcome. Later stages may read earlier outcomes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from parcours.errors import InvalidInput, Issue
from parcours.orientation.conditions import (
    Condition,
    ConditionError,
    FieldType,
    compile_condition,
)
from parcours.yamlfiles import line_of, load_located, validate

STAGES: tuple[str, ...] = ("path", "organisation", "modality")
Stage = Literal["path", "organisation", "modality"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    when: dict[str, Any] | None = None
    then: str
    explain: str
    reference: str | None = None


class ChartSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    title: str
    status: Literal["adopted", "draft"]
    effective_from: date
    algorithm: bool
    reference: str
    stages: dict[Stage, list[RuleSpec]]
    # A draft may try other parameter values everywhere (what-if) without touching the adopted file.
    parameter_overrides: dict[str, Any] = {}


@dataclass(frozen=True)
class Rule:
    id: str
    stage: str
    condition: Condition | None
    outcome: str
    explain: str
    line: int | None
    params: frozenset[str]  # parameters read by the condition or named in the explanation
    reference: str | None = None


@dataclass(frozen=True)
class Chart:
    version: str
    title: str
    status: str
    effective_from: date
    algorithm: bool
    reference: str
    stages: dict[str, tuple[Rule, ...]]
    parameter_overrides: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def rule(self, stage: str, rule_id: str) -> Rule:
        for rule in self.stages[stage]:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"{stage}.{rule_id}")


@dataclass(frozen=True)
class ChartContext:
    """What a chart is checked against: the form, the derived fields, parameters, vocabulary."""

    schema: dict[str, FieldType]  # form questions and derived counts
    outcomes: dict[str, tuple[str, ...]]  # stage -> allowed outcome codes, in vocabulary order
    parameter_names: frozenset[str]
    programmes: frozenset[str]


def stage_schema(context: ChartContext, stage: str) -> dict[str, FieldType]:
    """Fields a rule of `stage` may read: answers, derived counts, earlier stages' outcomes."""
    schema = dict(context.schema)
    for earlier in STAGES[: STAGES.index(stage)]:
        schema[earlier] = FieldType("choice", context.outcomes[earlier])
    return schema


def read_chart(path: Path) -> tuple[ChartSpec, Any]:
    """A chart file's syntax and shape (keys, types): what can be checked without the form,
    vocabulary and parameters it refers to. Returns the spec and the located tree."""
    tree = load_located(path)
    return validate(ChartSpec, tree, path), tree


def load_chart(path: Path, context: ChartContext) -> Chart:
    return build_chart(*read_chart(path), path, context)


def build_chart(spec: ChartSpec, tree: Any, path: Path, context: ChartContext) -> Chart:
    """Check a read chart against the form, vocabulary, parameters and programmes."""
    issues: list[Issue] = []
    src = str(path)
    for name in spec.parameter_overrides:
        if name not in context.parameter_names:
            where = line_of(tree, ("parameter_overrides", name))
            issues.append(Issue(src, where, name, f"unknown parameter {name!r}"))
    stages: dict[str, tuple[Rule, ...]] = {}
    for stage in STAGES:
        specs = spec.stages.get(stage)  # type: ignore[call-overload]
        if not specs:
            issues.append(Issue(src, line_of(tree, ("stages",)), stage, "stage missing or empty"))
            continue
        schema = stage_schema(context, stage)
        rules: list[Rule] = []
        seen: set[str] = set()
        for index, rspec in enumerate(specs):
            loc: tuple[int | str, ...] = ("stages", stage, index)
            line = line_of(tree, loc)
            last = index == len(specs) - 1
            if rspec.id in seen:
                issues.append(Issue(src, line, rspec.id, "duplicate rule id in this stage"))
            seen.add(rspec.id)
            if rspec.then not in context.outcomes[stage]:
                issues.append(
                    Issue(
                        src,
                        line_of(tree, (*loc, "then")),
                        rspec.id,
                        f"unknown {stage} {rspec.then!r}",
                    )
                )
            if last and rspec.when is not None:
                issues.append(
                    Issue(src, line, rspec.id, "the last rule of a stage is the default: no 'when'")
                )
            if not last and rspec.when is None:
                issues.append(
                    Issue(src, line, rspec.id, "only the last rule of a stage may omit 'when'")
                )
            condition = None
            if rspec.when is not None:
                try:
                    condition = compile_condition(
                        rspec.when,
                        schema,
                        known_params=lambda n: n in context.parameter_names,
                        known_programmes=lambda n: n in context.programmes,
                    )
                except ConditionError as exc:
                    where = line_of(tree, (*loc, "when", *exc.path))
                    issues.append(Issue(src, where, rspec.id, exc.reason))
            named = set(PLACEHOLDER.findall(rspec.explain))
            for name in named:
                if name not in schema and name not in context.parameter_names:
                    where = line_of(tree, (*loc, "explain"))
                    issues.append(Issue(src, where, rspec.id, f"unknown placeholder {{{name}}}"))
            params = (condition.params() if condition else set()) | (
                named & context.parameter_names
            )
            rules.append(
                Rule(
                    rspec.id,
                    stage,
                    condition,
                    rspec.then,
                    rspec.explain,
                    line,
                    frozenset(params),
                    rspec.reference,
                )
            )
        stages[stage] = tuple(rules)
    if issues:
        raise InvalidInput(issues)
    return Chart(
        version=spec.version,
        title=spec.title,
        status=spec.status,
        effective_from=spec.effective_from,
        algorithm=spec.algorithm,
        reference=spec.reference,
        stages=stages,
        parameter_overrides=dict(spec.parameter_overrides),
        source=src,
    )
