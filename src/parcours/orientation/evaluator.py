"""Evaluate the orientation chart for one interview and explain the result in plain French.

The algorithm proposes; the counsellor decides (GDPR art. 22): the proposal carries the trace of
every rule that fired, with the values and legal references behind it, so that the counsellor can
challenge it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from parcours.errors import InvalidInput
from parcours.orientation.chart import PLACEHOLDER, STAGES, Chart, Rule
from parcours.orientation.library import RuleLibrary, default_library
from parcours.orientation.partners import programme_open

CD = "CD"  # the organisation whose delegate, if any, is named by the `rsa_delegate` parameter


@dataclass(frozen=True)
class TraceStep:
    stage: str
    rule_id: str
    outcome: str
    text: str  # in French, for the counsellor
    references: tuple[str, ...]


@dataclass(frozen=True)
class Proposal:
    organisation: str
    path: str
    modality: str
    delegate: str | None  # the Conseil départemental's delegate for the social path, if any
    programme_id: str | None  # the partner capacity a programme modality draws on
    rule_version: str
    algorithm: bool  # False before the algorithm went live: the chart only restates the criteria
    at: date
    department: str
    trace: tuple[TraceStep, ...]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


class ParamResolver:
    """Parameter values for one (date, département), with a draft's overrides on top."""

    def __init__(self, library: RuleLibrary, chart: Chart, *, at: date, department: str) -> None:
        self.library, self.chart, self.at, self.department = library, chart, at, department

    def value(self, name: str) -> Any:
        if name in self.chart.parameter_overrides:
            return self.chart.parameter_overrides[name]
        return self.library.parameters.resolve(name, at=self.at, department=self.department).value

    def reference(self, name: str) -> str:
        param = self.library.parameters.parameters[name]
        if name in self.chart.parameter_overrides:
            return f"{param.description} : {self.value(name)} — projet {self.chart.version}"
        resolved = self.library.parameters.resolve(name, at=self.at, department=self.department)
        scope = f" (département {resolved.department})" if resolved.department else ""
        return f"{param.description} : {_show(resolved.value)}{scope} — {resolved.reference}"

    def programme_open(self, modality: str) -> bool:
        return self.programme(modality) is not None

    def programme(self, modality: str) -> str | None:
        cap = programme_open(
            self.library.capacities, modality, at=self.at, department=self.department
        )
        return cap.id if cap else None


class ScalarEnv:
    def __init__(self, values: dict[str, Any], params: ParamResolver) -> None:
        self.values = values
        self._params = params

    def param(self, name: str) -> Any:
        return self._params.value(name)

    def programme_open(self, programme: str) -> bool:
        return self._params.programme_open(programme)


def encode_answers(library: RuleLibrary, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Validated answers as the integers conditions compare, plus the derived difficulty counts."""
    form = library.form
    values: dict[str, Any] = {}
    for q in form.questions:
        if q.type.kind != "text":
            values[q.id] = q.type.encode(answers[q.id])
    strong = medium = 0
    for qid in form.difficulty_fields:
        level = answers[qid]
        strong += level == "strong"
        medium += level == "medium"
    values["strong_difficulties"] = strong
    values["medium_difficulties"] = medium
    return values


def evaluate(
    answers: Mapping[str, Any],
    *,
    at: date,
    department: str,
    library: RuleLibrary | None = None,
    chart: Chart | None = None,
) -> Proposal:
    """Propose an orientation for complete interview answers, under the rules in force on `at`
    (or under `chart`, e.g. a draft)."""
    library = library or default_library()
    chart = chart or library.chart_at(at)
    typed = library.form.validate(answers)
    values = encode_answers(library, typed)
    params = ParamResolver(library, chart, at=at, department=department)
    env = ScalarEnv(values, params)
    outcomes: dict[str, str] = {}
    trace: list[TraceStep] = []
    for stage in STAGES:
        rule = _first_match(chart.stages[stage], env)
        outcomes[stage] = rule.outcome
        values[stage] = list(library.context.outcomes[stage]).index(rule.outcome)
        trace.append(_explain(rule, library, typed, values, outcomes, params))
    delegate = None
    if outcomes["organisation"] == CD and "rsa_delegate" in library.parameters:
        delegate = str(params.value("rsa_delegate")) or None
    return Proposal(
        organisation=outcomes["organisation"],
        path=outcomes["path"],
        modality=outcomes["modality"],
        delegate=delegate,
        programme_id=params.programme(outcomes["modality"]),
        rule_version=chart.version,
        algorithm=chart.algorithm,
        at=at,
        department=department,
        trace=tuple(trace),
    )


def _first_match(rules: tuple[Rule, ...], env: ScalarEnv) -> Rule:
    for rule in rules:
        if rule.condition is None or rule.condition.evaluate(env):
            return rule
    raise InvalidInput(f"no rule matched in stage {rules[0].stage}")  # loader forbids this


def _explain(
    rule: Rule,
    library: RuleLibrary,
    answers: Mapping[str, Any],
    values: Mapping[str, Any],
    outcomes: Mapping[str, str],
    params: ParamResolver,
) -> TraceStep:
    def fill(match: Any) -> str:
        name = match.group(1)
        if name in outcomes:
            return library.vocabulary.label(name, outcomes[name])
        if name in answers:
            return library.form.question(name).display(answers[name]).lower()
        if name in values:  # derived counts
            return str(values[name])
        value = params.value(name)
        unit = library.parameters.parameters[name].unit
        if unit in library.form.schema:  # a threshold expressed as an answer (qualification)
            return library.form.question(unit).display(value).lower()
        return _show(value)

    references = [rule.reference] if rule.reference else []
    references += [params.reference(name) for name in sorted(rule.params)]
    programme = params.programme(rule.outcome) if rule.stage == "modality" else None
    if programme is not None:
        cap = next(c for c in library.capacities if c.id == programme)
        references.append(f"{cap.partner} : capacité {cap.capacity} — {cap.reference}")
    return TraceStep(
        rule.stage, rule.id, rule.outcome, PLACEHOLDER.sub(fill, rule.explain), tuple(references)
    )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)
