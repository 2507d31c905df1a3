"""Scenarios: the modelled situations, one YAML file (+ its SQL) each, loaded into typed objects.

A scenario's SQL selects the situations it is about — `(agent_id, de_id)` pairs — from the pipeline's
tables (`facts`: one row per consultation with its explanations and hours; `fact_targets`:
consultations of sensitive files with the target kind at that date). It does not decide the level:
every situation is scored once (scoring/), and each scenario's `level` rule turns that score into
mandatory / optional / none. The same SQL runs on the naive baseline (no explanations, fixed hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import load_located, read_text, validate

SCENARIOS_DIR = Path(__file__).with_name("scenarios")


class LevelRule(BaseModel):
    """How the situation's risk score becomes a level for this scenario."""

    model_config = ConfigDict(extra="forbid")
    mandatory_min_score: float = Field(gt=0)
    optional_min_score: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> LevelRule:
        if self.optional_min_score > self.mandatory_min_score:
            raise ValueError("optional_min_score doit être <= mandatory_min_score")
        return self

    def level(self, score: float) -> str:
        if score >= self.mandatory_min_score:
            return "mandatory"
        if score >= self.optional_min_score:
            return "optional"
        return "none"


class ScenarioSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=3)
    wave: int = Field(ge=0, le=9, description="0: not from a national campaign (research-based)")
    description: str = Field(min_length=10)
    guide: str = Field(pattern=r"^[a-z0-9-]+$", description="slug of the practical guide")
    in_naive_baseline: bool = Field(
        description="part of the plain campaign queries the naive baseline reproduces"
    )
    priority: int = Field(ge=0, description="lower wins when choosing an alert's main scenario")
    parameters: dict[str, float | int | str | bool | list[str]] = Field(default_factory=dict)
    level: LevelRule


@dataclass(frozen=True)
class Scenario:
    spec: ScenarioSpec
    sql: str
    path: Path

    @property
    def id(self) -> str:
        return self.spec.id


def load_scenario(path: Path) -> Scenario:
    spec = validate(ScenarioSpec, load_located(path), path)
    if spec.id != path.stem:
        raise InvalidInput(
            [
                Issue(
                    str(path),
                    1,
                    "id",
                    f"l'id {spec.id!r} doit être le nom du fichier ({path.stem!r})",
                )
            ]
        )
    sql_path = path.with_suffix(".sql")
    if not sql_path.is_file():
        raise InvalidInput([Issue(str(sql_path), None, None, "fichier SQL du scénario absent")])
    sql = read_text(sql_path)
    if "agent_id" not in sql or "de_id" not in sql:
        raise InvalidInput(
            [Issue(str(sql_path), 1, None, "la requête doit produire les colonnes agent_id, de_id")]
        )
    return Scenario(spec=spec, sql=sql, path=path)


def load_scenarios(folder: Path = SCENARIOS_DIR) -> list[Scenario]:
    """Every scenario of the folder, sorted by priority; collects every error before raising."""
    scenarios: list[Scenario] = []
    issues: list[Issue] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            scenarios.append(load_scenario(path))
        except InvalidInput as exc:
            issues.extend(exc.issues)
    # A query without its YAML is not a scenario: most likely a misnamed one, which would not run.
    for sql_path in sorted(folder.glob("*.sql")):
        if not sql_path.with_suffix(".yaml").is_file():
            reason = f"requête sans scénario : {sql_path.stem}.yaml absent"
            issues.append(Issue(str(sql_path), None, None, reason))
    if issues:
        raise InvalidInput(issues)
    if not scenarios:
        raise InvalidInput([Issue(str(folder), None, None, "aucun scénario")])
    return sorted(scenarios, key=lambda s: (s.spec.priority, s.id))


def describe(s: Scenario) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.spec.title,
        "wave": s.spec.wave,
        "guide": s.spec.guide,
        "in_naive_baseline": s.spec.in_naive_baseline,
        "parameters": s.spec.parameters,
        "level": s.spec.level.model_dump(),
        "description": s.spec.description.strip(),
    }
