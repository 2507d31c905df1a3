"""Typed loaders for the generator's data files (scales, départements, work patterns, surname accents).

Errors raise `InvalidInput` whose issues name the file and the line of the offending entry.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from parcours.errors import InvalidInput, Issue
from parcours.synth.work_patterns import WeekPattern, parse_work_pattern

DATA_DIR = Path(__file__).parent / "data"
JOBS: tuple[str, ...] = ("conseiller", "gdd", "manager", "plateforme", "support", "direction")


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of every mapping under the key `__line__`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping  # type: ignore[return-value]


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as f:
            data = yaml.load(f, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InvalidInput([Issue(str(path), line, None, f"invalid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise InvalidInput([Issue(str(path), 1, None, "expected a mapping at top level")])
    return data


def _require(entry: dict[str, Any], key: str, kind: type, path: Path, issues: list[Issue]) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        issues.append(
            Issue(str(path), entry.get("__line__"), key, f"expected {kind.__name__}, got {value!r}")
        )
        return None
    return value


@dataclass(frozen=True)
class Scale:
    name: str
    agents: int
    job_seekers: int
    consultations: int
    protected_persons: int
    chunk_agents: int  # agents whose consultations are generated (and written) together


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    population_k: int
    communes: int
    towns: tuple[str, ...]


@dataclass(frozen=True)
class Geography:
    region_code: str
    region_name: str
    departments: tuple[Department, ...]
    other_regions: tuple[tuple[str, str], ...]  # (region_code, name)


@dataclass(frozen=True)
class PatternTemplate:
    id: str
    text: str
    week: WeekPattern
    weights: dict[str, float]


@cache
def load_scales(path: Path = DATA_DIR / "scales.yaml") -> dict[str, Scale]:
    data = _load_yaml(path)
    issues: list[Issue] = []
    scales: dict[str, Scale] = {}
    for name, entry in (data.get("scales") or {}).items():
        if name == "__line__":
            continue
        values = [
            _require(entry, key, int, path, issues)
            for key in (
                "agents",
                "job_seekers",
                "consultations",
                "protected_persons",
                "chunk_agents",
            )
        ]
        if None not in values:
            scales[name] = Scale(name, *values)
    if issues:
        raise InvalidInput(issues)
    return scales


@cache
def load_geography(path: Path = DATA_DIR / "departments.yaml") -> Geography:
    data = _load_yaml(path)
    issues: list[Issue] = []
    departments: list[Department] = []
    for entry in data.get("departments") or []:
        code = _require(entry, "code", str, path, issues)
        name = _require(entry, "name", str, path, issues)
        population = _require(entry, "population_k", int, path, issues)
        communes = _require(entry, "communes", int, path, issues)
        towns = _require(entry, "towns", list, path, issues)
        if None not in (code, name, population, communes, towns):
            departments.append(Department(code, name, population, communes, tuple(towns)))
    others = [
        (str(e.get("region_code")), str(e.get("name"))) for e in data.get("other_regions") or []
    ]
    if issues:
        raise InvalidInput(issues)
    return Geography(
        region_code=str(data.get("region_code")),
        region_name=str(data.get("region_name")),
        departments=tuple(departments),
        other_regions=tuple(others),
    )


@cache
def load_pattern_templates(
    path: Path = DATA_DIR / "work_patterns.yaml",
) -> tuple[PatternTemplate, ...]:
    data = _load_yaml(path)
    issues: list[Issue] = []
    templates: list[PatternTemplate] = []
    for entry in data.get("patterns") or []:
        pid = _require(entry, "id", str, path, issues)
        text = _require(entry, "pattern", str, path, issues)
        weights = _require(entry, "weights", dict, path, issues)
        if None in (pid, text, weights):
            continue
        try:
            week = parse_work_pattern(text)
        except ValueError as exc:
            issues.append(Issue(str(path), entry.get("__line__"), "pattern", str(exc)))
            continue
        clean = {k: float(v) for k, v in weights.items() if k != "__line__"}
        unknown = set(clean) - set(JOBS)
        if unknown:
            issues.append(
                Issue(str(path), entry.get("__line__"), "weights", f"unknown jobs {unknown}")
            )
        templates.append(PatternTemplate(pid, text, week, clean))
    if issues:
        raise InvalidInput(issues)
    return tuple(templates)


@cache
def load_surname_accents(
    path: Path = DATA_DIR / "surname_accents.csv",
) -> dict[str, tuple[str, float]]:
    issues: list[Issue] = []
    accents: dict[str, tuple[str, float]] = {}
    with path.open(encoding="utf-8") as f:
        lines = [(n, line) for n, line in enumerate(f, start=1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    for (lineno, _), row in zip(lines[1:], reader, strict=True):
        try:
            share = float(row["share"])
        except (TypeError, ValueError):
            issues.append(Issue(str(path), lineno, "share", f"not a number: {row.get('share')!r}"))
            continue
        if not 0.0 <= share <= 1.0:
            issues.append(Issue(str(path), lineno, "share", "must lie in [0, 1]"))
            continue
        accents[row["plain"]] = (row["accented"], share)
    if issues:
        raise InvalidInput(issues)
    return accents
