"""The control protocol as an explicit state machine loaded from `protocol.yaml`.

`apply_transition` is the only way a control changes state: it checks the source state, that only the
transition's own fields are given (a generated field such as `report_generated` is never taken from a form,
nor an earlier step's notes rewritten), their types, the required fields (and conditional requirements such as
the rules reminder and the written report when misuse is proven), the fields a written report has fixed,
sets the due date of the new step, and returns the note to trace. Who may take a transition (`roles`) and
what restarting a closed control keeps (`restarts`) are declared here too and applied by `service`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from parcours.accounts.roles import Role
from parcours.dates import year_error
from parcours.errors import Conflict, InvalidInput, Issue
from parcours.text import says_something

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
    # flag field -> fields that can no longer change once the flag is set in the control's data.
    locked_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The roles that may take it; empty: every role that handles controls.
    roles: tuple[Role, ...] = ()
    # Takes a closed control back to an open step: the examination starts over (`service.transition`).
    restarts: bool = False

    def allows(self, role: str) -> bool:
        return not self.roles or role in self.roles


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
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))
    max_text_length: int = 10000

    def local_day(self, moment: datetime) -> date:
        """The calendar day of `moment` in the protocol's zone, where deadlines run (naive = UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.time_zone).date()

    def form_fields(self, transition: TransitionDef) -> list[FieldDef]:
        """Fields a form asks for: the required ones, then conditional ones, without generated ones."""
        names = list(transition.requires) + [n for extra in transition.when.values() for n in extra]
        return [self.fields[n] for n in dict.fromkeys(names) if self.fields[n].type != "generated"]

    def available(self, state: str, role: str | None = None) -> list[TransitionDef]:
        """The transitions from `state`; given a role, those that role may take."""
        return [
            t
            for t in self.transitions.values()
            if state in t.sources and (role is None or t.allows(role))
        ]

    def due_date(self, state: str, entered_on: date) -> date | None:
        days = self.states[state].due_days
        return entered_on + timedelta(days=days) if days is not None else None


def _fail(path: Path, reason: str) -> InvalidInput:
    return InvalidInput([Issue(file=str(path), line=None, column=None, reason=reason)])


def _role(path: Path, transition: str, value: object) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise _fail(path, f"transition {transition!r} names unknown role {value!r}") from None


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
                locked_by={k: tuple(v) for k, v in (t.get("locked_by") or {}).items()},
                roles=tuple(_role(path, name, r) for r in t.get("roles") or ()),
                restarts=bool(t.get("restarts", False)),
            )
            for s in (*tdef.sources, tdef.target):
                if s not in states:
                    raise _fail(path, f"transition {name!r} names unknown state {s!r}")
            if tdef.restarts and (
                set(tdef.sources) & set(OPEN_STATES) or tdef.target not in OPEN_STATES
            ):
                raise _fail(path, f"transition {name!r} restarts: it goes from closed to open")
            if tdef.restarts and len(tdef.requires) != 1:
                raise _fail(
                    path, f"transition {name!r} restarts: it requires one field, its reason"
                )
            transitions[name] = tdef
        fields = {
            name: FieldDef(name=name, label=str(f["label"]), type=str(f["type"]))
            for name, f in raw["fields"].items()
        }
        for tdef in transitions.values():
            named = (
                *tdef.requires,
                *(n for extra in tdef.when.values() for n in extra),
                *tdef.locked_by,
                *(n for locked in tdef.locked_by.values() for n in locked),
            )
            for name in named:
                if name not in fields:
                    raise _fail(
                        path, f"transition {tdef.name!r} requires undeclared field {name!r}"
                    )
        try:
            zone = ZoneInfo(str(raw["time_zone"]))
        except ZoneInfoNotFoundError as exc:
            raise _fail(path, f"unknown time zone {raw['time_zone']!r}") from exc
        return Protocol(
            fields=fields,
            version=str(raw["version"]),
            reminder_days_before_due=int(raw["reminder_days_before_due"]),
            states=states,
            transitions=transitions,
            time_zone=zone,
            max_text_length=int(raw["max_text_length"]),
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
    return value is None or value is False or (isinstance(value, str) and not says_something(value))


def _issue(column: str, reason: str) -> Issue:
    return Issue(file="control", line=None, column=column, reason=reason)


def _normalised(
    protocol: Protocol, fdef: FieldDef, value: Any, today: date, opened_on: date | None
) -> tuple[Any, str | None]:
    """The value as stored (text stripped, dates as ISO days) and the reason it is refused, if it is.
    A date records what happened during the control: not after `today`, not before `opened_on`."""
    if fdef.type == "checkbox":
        return (value, None) if isinstance(value, bool) else (value, "case à cocher attendue")
    if fdef.type == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        elif isinstance(value, str) and not value.strip():
            return "", None  # left to the required check
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                return value, "date invalide (AAAA-MM-JJ attendu)"
        if day > today:
            return value, "date à venir : consigner ce qui a eu lieu"
        if opened_on is not None and day < opened_on:
            return value, f"date antérieure à l'ouverture du contrôle ({opened_on:%d/%m/%Y})"
        if (reason := year_error(day)) is not None:
            return value, reason
        return day.isoformat(), None
    if not isinstance(value, str):
        return value, "texte attendu"
    text = value.replace("\r\n", "\n").strip()
    if len(text) > protocol.max_text_length:
        return value, f"texte trop long ({protocol.max_text_length} caractères au plus)"
    return text, None


def check_fields(
    *,
    protocol: Protocol,
    data: dict[str, Any],
    transition: str,
    fields: dict[str, Any],
    today: date,
    opened_on: date | None = None,
    ignore_generated: bool = False,
) -> tuple[dict[str, Any], list[Issue]]:
    """The control's data with `fields` applied, and every issue found (collect-all): fields the
    transition does not ask for, wrong types, dates after `today` or before `opened_on` (the day
    the control was opened), missing required fields, values outside their list, fields a written
    report has fixed. `ignore_generated` leaves out the requirement of generated fields (the written
    report checks the finding before it exists)."""
    tdef = protocol.transitions.get(transition)
    if tdef is None:
        raise InvalidInput(f"transition inconnue : {transition}")
    asked = {f.name for f in protocol.form_fields(tdef)}
    issues: list[Issue] = []
    given: dict[str, Any] = {}
    refused: set[str] = set()  # one issue per field: a refused value is not also "missing"
    for name, value in fields.items():
        if name not in asked:
            issues.append(_issue(name, "champ non prévu à cette étape"))
        elif value is not None:
            value, problem = _normalised(protocol, protocol.fields[name], value, today, opened_on)
            if problem:
                issues.append(_issue(name, problem))
                refused.add(name)
            else:
                given[name] = value
    for flag, locked in tdef.locked_by.items():
        if data.get(flag):
            reason = f"ne peut plus être modifié ({protocol.fields[flag].label.lower()})"
            issues += [
                _issue(name, reason)
                for name in locked
                if name in given and given[name] != data.get(name)
            ]
    merged = {**data, **given}
    required = list(tdef.requires)
    for cond, extra in tdef.when.items():
        key, _, expected = cond.partition("=")
        if str(merged.get(key)) == expected:
            required.extend(extra)
    for name in dict.fromkeys(required):
        if name in refused or (ignore_generated and protocol.fields[name].type == "generated"):
            continue
        if _missing(merged.get(name)):
            issues.append(_issue(name, "champ obligatoire"))
    for name, allowed in tdef.choices.items():
        value = merged.get(name)
        if name not in refused and value is not None and value not in allowed:
            issues.append(_issue(name, f"valeur non autorisée : {value}"))
    fp_comment = str(merged.get("fp_comment") or "")
    if (
        transition == "close_false_positive"
        and merged.get("fp_reason") == "other"
        and not says_something(fp_comment, at_least=10)
        and not any(i.column == "fp_comment" for i in issues)  # one issue per field
    ):
        issues.append(_issue("fp_comment", "préciser le motif"))
    return merged, issues


def apply_transition(
    *,
    protocol: Protocol,
    state: str,
    data: dict[str, Any],
    transition: str,
    fields: dict[str, Any],
    today: date,
    opened_on: date | None = None,
) -> TransitionResult:
    """Validate and compute a transition; raises Conflict (wrong state) or InvalidInput (fields).

    `today` is the day in the protocol's zone (`Protocol.local_day`): the new step is due from it;
    `opened_on` the day the control was opened there (no date of the examination before it)."""
    tdef = protocol.transitions.get(transition)
    if tdef is None:
        raise InvalidInput(f"transition inconnue : {transition}")
    if state not in tdef.sources:
        raise Conflict(
            f"« {tdef.label} » impossible depuis l'état « {protocol.states[state].label} »"
        )
    merged, issues = check_fields(
        protocol=protocol, data=data, transition=transition, fields=fields, today=today,
        opened_on=opened_on,
    )  # fmt: skip
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
