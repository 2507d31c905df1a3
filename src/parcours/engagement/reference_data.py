"""Typed loaders of the engagement data files: the activity catalogue and the dated parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import LocatedDict, load_located, require

HERE = Path(__file__).parent
CATALOGUE_FILE = HERE / "catalogue.yaml"
PARAMETERS_FILE = HERE / "parameters.yaml"
CATEGORIES = {"emploi", "formation", "accompagnement", "social", "sante", "autre"}


@dataclass(frozen=True)
class CatalogueActivity:
    code: str
    label: str
    category: str
    default_weekly_hours: float


@dataclass(frozen=True)
class ParameterValue:
    valid_from: date
    value: int | float
    reference: str


def parse_catalogue(path: Path) -> dict[str, CatalogueActivity]:
    doc = load_located(path)
    issues: list[Issue] = []
    if not isinstance(doc, LocatedDict):
        raise InvalidInput([Issue(str(path), 1, None, "expected a mapping 'activities'")])
    items = require(doc, "activities", list, issues) or []
    out: dict[str, CatalogueActivity] = {}
    for item in items:
        if not isinstance(item, LocatedDict):
            issues.append(doc.issue("each activity must be a mapping", "activities"))
            continue
        n = len(issues)
        code = require(item, "code", str, issues)
        label = require(item, "label", str, issues)
        category = require(item, "category", str, issues)
        hours = require(item, "default_weekly_hours", (int, float), issues)
        if len(issues) > n:
            continue
        if category not in CATEGORIES:
            issues.append(item.issue(f"unknown category {category!r}", "category"))
        elif not 0 < hours <= 35:
            issues.append(
                item.issue("default_weekly_hours must be in ]0, 35]", "default_weekly_hours")
            )
        elif code in out:
            issues.append(item.issue(f"duplicate code {code!r}", "code"))
        else:
            out[code] = CatalogueActivity(code, label, category, float(hours))
    if issues:
        raise InvalidInput(issues)
    return out


def parse_parameters(path: Path) -> dict[str, tuple[ParameterValue, ...]]:
    doc = load_located(path)
    issues: list[Issue] = []
    if not isinstance(doc, LocatedDict) or not isinstance(doc.get("parameters"), LocatedDict):
        raise InvalidInput([Issue(str(path), 1, None, "expected a mapping 'parameters'")])
    out: dict[str, tuple[ParameterValue, ...]] = {}
    for name, versions in doc["parameters"].items():
        if not isinstance(versions, list) or not versions:
            issues.append(
                doc["parameters"].issue("expected a non-empty list of dated values", name)
            )
            continue
        parsed = []
        for v in versions:
            if not isinstance(v, LocatedDict):
                issues.append(doc["parameters"].issue("each value must be a mapping", name))
                continue
            n = len(issues)
            valid_from = require(v, "from", date, issues)
            value = require(v, "value", (int, float), issues)
            reference = require(v, "reference", str, issues)
            if len(issues) == n:
                parsed.append(ParameterValue(valid_from, value, reference))
        dates = [p.valid_from for p in parsed]
        if dates != sorted(set(dates)):
            issues.append(doc["parameters"].issue("dates must increase", name))
        out[name] = tuple(parsed)
    if issues:
        raise InvalidInput(issues)
    return out


@lru_cache(maxsize=1)
def catalogue() -> dict[str, CatalogueActivity]:
    return parse_catalogue(CATALOGUE_FILE)


@lru_cache(maxsize=1)
def _parameters() -> dict[str, tuple[ParameterValue, ...]]:
    return parse_parameters(PARAMETERS_FILE)


def parameter(name: str, on: date) -> ParameterValue:
    """The value of a parameter in force on a date, with its legal reference."""
    versions = _parameters().get(name)
    if versions is None:
        raise KeyError(name)
    current = [v for v in versions if v.valid_from <= on]
    if not current:
        raise InvalidInput(f"paramètre {name} non défini au {on.isoformat()}")
    return current[-1]
