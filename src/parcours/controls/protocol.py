"""The control protocol as an explicit state machine loaded from `protocol.yaml`.

`apply_transition` is the only way a control changes state: it checks the source state, the required fields
(and conditional requirements such as the rules reminder and the written report when misuse is proven),
sets the due date of the new step, and returns the note to trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from parcours.errors import Conflict, InvalidInput, Issue

PROTOCOL_FILE = Path(__file__).with_name("protocol.yaml")
OPEN_STATES = ("pre_examination", "interview", "finding")


@dataclass(frozen=True)
class StateDef:
    name: str
    step: int
    label: str
    due_days: int | None


@dataclass(frozen=True)
class TransitionDef:
    name: str
    sources: tuple[str, ...]
    target: str
    label: str
    requires: tuple[str, ...]
    choices: dict[str, dict[str, str]] = field(default_factory=dict)
    when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outcome: str | None = None


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str  # text|textarea|date|select|checkbox|generated


@dataclass(frozen=True)
class Protocol:
    version: str
    reminder_days_before_due: int
    states: dict[str, StateDef]
    transitions: dict[str, TransitionDef]
    fields: dict[str, FieldDef]

    def form_fields(self, transition: TransitionDef) -> list[FieldDef]:
        """Fields a form asks for: the required ones, then conditional ones, without generated ones."""
        names = list(transition.requires) + [n for extra in transition.when.values() for n in extra]
        return [self.fields[n] for n in dict.fromkeys(names) if self.fields[n].type != "generated"]

    def available(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions.values() if state in t.sources]

    def due_date(self, state: str, entered_on: date) -> date | None:
        days = self.states[state].due_days
        return entered_on + timedelta(days=days) if days is not None else None


def _fail(path: Path, reason: str) -> InvalidInput:
    return InvalidInput([Issue(file=str(path), line=None, column=None, reason=reason)])


def parse_protocol(path: Path) -> Protocol:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        states = {
            name: StateDef(
                name=name, step=int(s["step"]), label=str(s["label"]), due_days=s.get("due_days")
            )
            for name, s in raw["states"].items()
        }
        transitions: dict[str, TransitionDef] = {}
        for name, t in raw["transitions"].items():
            tdef = TransitionDef(
                name=name,
                sources=tuple(t["from"]),
                target=str(t["to"]),
                label=str(t["label"]),
                requires=tuple(t.get("requires", [])),
                choices={k: dict(v) for k, v in (t.get("choices") or {}).items()},
                when={k: tuple(v) for k, v in (t.get("when") or {}).items()},
                outcome=t.get("outcome"),
            )
            for s in (*tdef.sources, tdef.target):
                if s not in states:
                    raise _fail(path, f"transition {name!r} names unknown state {s!r}")
            transitions[name] = tdef
        fields = {
            name: FieldDef(name=name, label=str(f["label"]), type=str(f["type"]))
            for name, f in raw["fields"].items()
        }
        for tdef in transitions.values():
            for name in (*tdef.requires, *(n for extra in tdef.when.values() for n in extra)):
                if name not in fields:
                    raise _fail(
                        path, f"transition {tdef.name!r} requires undeclared field {name!r}"
                    )
        return Protocol(
            fields=fields,
            version=str(raw["version"]),
            reminder_days_before_due=int(raw["reminder_days_before_due"]),
            states=states,
            transitions=transitions,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(path, f"malformed protocol: {exc!r}") from exc


@lru_cache(maxsize=1)
def load_protocol() -> Protocol:
    return parse_protocol(PROTOCOL_FILE)


@dataclass(frozen=True)
class TransitionResult:
    state: str
    outcome: str | None
    closing_reason: str | None
    step_due_on: date | None
    data: dict[str, Any]
    note: str


def _missing(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def apply_transition(
    *,
    protocol: Protocol,
    state: str,
    data: dict[str, Any],
    transition: str,
    fields: dict[str, Any],
    today: date,
) -> TransitionResult:
    """Validate and compute a transition; raises Conflict (wrong state) or InvalidInput (missing fields)."""
    tdef = protocol.transitions.get(transition)
    if tdef is None:
        raise InvalidInput(f"transition inconnue : {transition}")
    if state not in tdef.sources:
        raise Conflict(
            f"« {tdef.label} » impossible depuis l'état « {protocol.states[state].label} »"
        )
    merged = {**data, **{k: v for k, v in fields.items() if v is not None}}
    issues: list[Issue] = []
    required = list(tdef.requires)
    for cond, extra in tdef.when.items():
        key, _, expected = cond.partition("=")
        if str(merged.get(key)) == expected:
            required.extend(extra)
    for name in required:
        if _missing(merged.get(name)):
            issues.append(Issue(file="control", line=None, column=name, reason="champ obligatoire"))
    for name, allowed in tdef.choices.items():
        value = merged.get(name)
        if value is not None and value not in allowed:
            issues.append(
                Issue(
                    file="control", line=None, column=name, reason=f"valeur non autorisée : {value}"
                )
            )
    fp_comment = str(merged.get("fp_comment") or "")
    if (
        transition == "close_false_positive"
        and merged.get("fp_reason") == "other"
        and len(fp_comment) < 10
    ):
        issues.append(
            Issue(file="control", line=None, column="fp_comment", reason="préciser le motif")
        )
    if issues:
        raise InvalidInput(issues)
    outcome = tdef.outcome or (str(merged["outcome"]) if "outcome" in tdef.requires else None)
    closing_reason = str(merged["fp_reason"]) if transition == "close_false_positive" else None
    label = protocol.states[tdef.target].label
    note = f"{tdef.label} → {label}"
    if outcome:
        note += f" ({outcome})"
    return TransitionResult(
        state=tdef.target,
        outcome=outcome,
        closing_reason=closing_reason,
        step_due_on=protocol.due_date(tdef.target, today),
        data=merged,
        note=note,
    )


def is_overdue(step_due_on: date | None, today: date) -> bool:
    return step_due_on is not None and today > step_due_on


def needs_reminder(protocol: Protocol, step_due_on: date | None, today: date) -> bool:
    if step_due_on is None:
        return False
    return step_due_on - timedelta(days=protocol.reminder_days_before_due) <= today <= step_due_on
