"""Activity types as dated data (`activity_types.yaml`) and their resolution for one agency and day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import LocatedDict, load_located, require

ACTIVITY_FILE = Path(__file__).with_name("activity_types.yaml")


@dataclass(frozen=True)
class ActivityVersion:
    valid_from: date
    minutes: int
    msa_minutes: int
    min_minutes: int
    max_minutes: int
    break_minutes: int
    max_per_day: int | None
    reference: str


@dataclass(frozen=True)
class ActivityType:
    code: str
    label: str
    individual: bool
    versions: tuple[ActivityVersion, ...]  # sorted by valid_from

    def version_on(self, day: date) -> ActivityVersion:
        current = [v for v in self.versions if v.valid_from <= day]
        if not current:
            raise InvalidInput(f"l'activité {self.code} n'est pas définie au {day.isoformat()}")
        return current[-1]


@dataclass(frozen=True)
class ManagerOverride:
    """A local manager's decision, from `effective_from` on, for one agency and activity."""

    activity: str
    effective_from: date
    minutes: int | None
    break_minutes: int | None
    max_per_day: int | None


@dataclass(frozen=True)
class ActivityRule:
    """Everything the slot generator and the booking check need for one activity on one day."""

    activity: str
    minutes: int
    break_minutes: int
    max_per_day: int | None
    individual: bool


def _parse_version(item: LocatedDict, issues: list[Issue]) -> ActivityVersion | None:
    before = len(issues)
    valid_from = require(item, "from", date, issues)
    ints = {
        k: require(item, k, int, issues)
        for k in ("minutes", "msa_minutes", "min_minutes", "max_minutes", "break_minutes")
    }
    max_per_day = item.get("max_per_day")
    if max_per_day is not None and (not isinstance(max_per_day, int) or max_per_day < 1):
        issues.append(item.issue("'max_per_day' must be a positive integer or null", "max_per_day"))
    reference = require(item, "reference", str, issues)
    if len(issues) > before:
        return None
    if not ints["min_minutes"] <= ints["minutes"] <= ints["max_minutes"]:
        issues.append(item.issue("minutes must lie between min_minutes and max_minutes", "minutes"))
        return None
    return ActivityVersion(
        valid_from=valid_from, max_per_day=max_per_day, reference=reference, **ints
    )


def parse_activity_types(path: Path) -> dict[str, ActivityType]:
    """Load and check the file; every problem is reported with its line (collect-all)."""
    doc = load_located(path)
    issues: list[Issue] = []
    types: dict[str, ActivityType] = {}
    if not isinstance(doc, LocatedDict) or not isinstance(doc.get("activity_types"), LocatedDict):
        raise InvalidInput([Issue(str(path), 1, None, "expected a mapping 'activity_types'")])
    for code, spec in doc["activity_types"].items():
        if not isinstance(spec, LocatedDict):
            issues.append(doc["activity_types"].issue(f"{code}: expected a mapping", code))
            continue
        label = require(spec, "label", str, issues)
        individual = require(spec, "individual", bool, issues)
        raw_versions = require(spec, "versions", list, issues) or []
        versions = [
            v
            for item in raw_versions
            if (v := _parse_version(item, issues) if isinstance(item, LocatedDict) else None)
        ]
        dates = [v.valid_from for v in versions]
        if dates != sorted(set(dates)):
            issues.append(spec.issue("versions must be in increasing 'from' order", "versions"))
        if label is not None and individual is not None and versions:
            types[code] = ActivityType(code, label, individual, tuple(versions))
    if issues:
        raise InvalidInput(issues)
    return types


@lru_cache(maxsize=1)
def activity_types() -> dict[str, ActivityType]:
    return parse_activity_types(ACTIVITY_FILE)


def resolve_rule(
    activity: str,
    *,
    day: date,
    msa_agency: bool,
    overrides: Sequence[ManagerOverride] = (),
) -> ActivityRule:
    """The rule in force on `day`: the national version, then the latest manager decision."""
    kind = activity_types().get(activity)
    if kind is None:
        raise InvalidInput(f"type d'activité inconnu : {activity}")
    version = kind.version_on(day)
    minutes = version.msa_minutes if msa_agency else version.minutes
    break_minutes, max_per_day = version.break_minutes, version.max_per_day
    for o in sorted(overrides, key=lambda o: o.effective_from):
        if o.activity != activity or o.effective_from > day:
            continue
        minutes = o.minutes if o.minutes is not None else minutes
        break_minutes = o.break_minutes if o.break_minutes is not None else break_minutes
        max_per_day = o.max_per_day if o.max_per_day is not None else max_per_day
    return ActivityRule(activity, minutes, break_minutes, max_per_day, kind.individual)


def check_override(override: ManagerOverride) -> None:
    """A manager may lengthen within the national bounds and lower the daily number, not exceed it."""
    kind = activity_types().get(override.activity)
    if kind is None:
        raise InvalidInput(f"type d'activité inconnu : {override.activity}")
    v = kind.version_on(override.effective_from)
    problems = []
    if override.minutes is not None and not v.min_minutes <= override.minutes <= v.max_minutes:
        problems.append(
            f"durée {override.minutes} min hors du cadre national ({v.min_minutes} à {v.max_minutes} min)"
        )
    if override.break_minutes is not None and not 0 <= override.break_minutes <= 60:
        problems.append("la pause doit être comprise entre 0 et 60 min")
    if override.max_per_day is not None and (
        override.max_per_day < 1
        or (v.max_per_day is not None and override.max_per_day > v.max_per_day)
    ):
        problems.append(f"nombre maximal par jour hors du cadre (1 à {v.max_per_day})")
    if problems:
        raise InvalidInput([Issue("override", None, override.activity, p) for p in problems])
