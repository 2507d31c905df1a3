"""What changes between two rule sets: chart rules, parameter values, open capacities.

`parcours rules diff --at DATE` compares the rules in force on DATE with those in force the day
before the last change (or on `--since`); with `--draft`, it compares a draft with the rules in
force on DATE (`--since` is then refused). Before the first adopted chart there are no rules:
compared with that day, every rule and every parameter value is new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from parcours.orientation.chart import STAGES, Chart
from parcours.orientation.library import RuleLibrary


@dataclass(frozen=True)
class Change:
    kind: str  # chart|rule|parameter|capacity
    name: str
    before: str
    after: str


NONE = "(aucune)"  # no chart, or no parameter value, on that side


def _rule_summary(chart: Chart, stage: str, rule_id: str) -> str:
    rules = chart.stages[stage]
    index = next(i for i, r in enumerate(rules) if r.id == rule_id)
    rule = rules[index]
    return f"#{index + 1} -> {rule.outcome}: {rule.explain}"


def diff_rules(
    library: RuleLibrary,
    *,
    before: date,
    after: date,
    departments: tuple[str, ...] = (),
    draft: Chart | None = None,
) -> list[Change]:
    """Changes from the rules in force on `before` to those on `after` (or to `draft`).

    When no chart is in force on `before` (it precedes the first one), every rule of the new
    chart is listed as added."""
    old = library.chart_in_force(before)
    new = draft or library.chart_at(after)
    changes: list[Change] = []
    if old is None or old.version != new.version:
        changes.append(Change("chart", "version", old.version if old else NONE, new.version))
    for stage in STAGES:
        old_rules = {r.id: (i, r) for i, r in enumerate(old.stages[stage])} if old else {}
        new_rules = {r.id: (i, r) for i, r in enumerate(new.stages[stage])}
        for rule_id in sorted(old_rules.keys() | new_rules.keys()):
            name = f"{stage}.{rule_id}"
            if old is None or rule_id not in old_rules:
                changes.append(
                    Change("rule", name, "(nouvelle)", _rule_summary(new, stage, rule_id))
                )
            elif rule_id not in new_rules:
                changes.append(
                    Change("rule", name, _rule_summary(old, stage, rule_id), "(supprimée)")
                )
            else:
                # Positions alone shift when a rule is inserted before: not a change of this rule.
                a, b = old_rules[rule_id][1], new_rules[rule_id][1]
                if (a.condition, a.outcome, a.explain) != (b.condition, b.outcome, b.explain):
                    changes.append(
                        Change(
                            "rule",
                            name,
                            _rule_summary(old, stage, rule_id),
                            _rule_summary(new, stage, rule_id),
                        )
                    )
    scopes: list[str | None] = [None, *departments]
    if not departments:  # every département with an override
        overridden = {d for p in library.parameters.parameters.values() for d in p.overrides}
        scopes += sorted(overridden)
    for name, param in sorted(library.parameters.parameters.items()):
        for scope in scopes:
            a_overrides = old.parameter_overrides if old else {}
            a_value = a_overrides.get(name, _value(param.at(before, scope)))
            b_value = new.parameter_overrides.get(name, _value(param.at(after, scope)))
            if a_value != b_value and (
                scope is None or _differs_from_national(library, name, scope, before, after)
            ):
                label = name if scope is None else f"{name} [{scope}]"
                changes.append(Change("parameter", label, _text(a_value), _text(b_value)))
    for cap in library.capacities:
        was = cap.start <= before <= cap.end
        now = cap.start <= after <= cap.end
        if was != now:
            changes.append(
                Change(
                    "capacity",
                    cap.id,
                    "ouverte" if was else "fermée",
                    "ouverte" if now else "fermée",
                )
            )
    return changes


def _value(resolved: object) -> object:
    return getattr(resolved, "value", None)


def _text(value: object) -> str:
    return NONE if value is None else str(value)


def _differs_from_national(
    library: RuleLibrary, name: str, department: str, before: date, after: date
) -> bool:
    """Report a département line only where its override makes it differ from the nation."""
    param = library.parameters.parameters[name]
    return any(
        _value(param.at(day, department)) != _value(param.at(day, None)) for day in (before, after)
    )


def default_since(library: RuleLibrary, at: date) -> date:
    """The day before the last change on or before `at`."""
    changes = [d for d in library.change_dates() if d <= at]
    return (changes[-1] if changes else at) - timedelta(days=1)
