"""Typed loaders for the generator's data files (scales, départements, work patterns, surname accents).

Errors raise `InvalidInput` whose issues name the file and the line of the offending entry.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from parcours.errors import InvalidInput, Issue
from parcours.synth.work_patterns import WeekPattern, parse_work_pattern
from parcours.yamlfiles import load_mapping, require

DATA_DIR = Path(__file__).parent / "data"
JOBS: tuple[str, ...] = ("conseiller", "gdd", "manager", "plateforme", "support", "direction")


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
    data = load_mapping(path)
    issues: list[Issue] = []
    scales: dict[str, Scale] = {}
    for name, entry in (data.get("scales") or {}).items():
        values = [
            require(entry, key, int, issues)
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
    data = load_mapping(path)
    issues: list[Issue] = []
    departments: list[Department] = []
    for entry in data.get("departments") or []:
        code = require(entry, "code", str, issues)
        name = require(entry, "name", str, issues)
        population = require(entry, "population_k", int, issues)
        communes = require(entry, "communes", int, issues)
        towns = require(entry, "towns", list, issues)
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
    data = load_mapping(path)
    issues: list[Issue] = []
    templates: list[PatternTemplate] = []
    for entry in data.get("patterns") or []:
        pid = require(entry, "id", str, issues)
        text = require(entry, "pattern", str, issues)
        weights = require(entry, "weights", dict, issues)
        if None in (pid, text, weights):
            continue
        try:
            week = parse_work_pattern(text)
        except ValueError as exc:
            issues.append(entry.issue(str(exc), "pattern"))
            continue
        clean = {str(k): float(v) for k, v in weights.items()}
        unknown = set(clean) - set(JOBS)
        if unknown:
            issues.append(entry.issue(f"unknown jobs {unknown}", "weights"))
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
