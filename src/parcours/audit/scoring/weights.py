"""Typed loader of `weights.yaml`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from parcours.yamlfiles import load_model

WEIGHTS_FILE = Path(__file__).with_name("weights.yaml")

TargetKind = Literal["protected", "colleague", "ex_colleague", "own_file"]


class Capped(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cap: float = Field(ge=0)


class Repetition(Capped):
    per_extra_day: float = Field(ge=0)
    per_extra_consultation: float = Field(ge=0)
    # A second day on an ordinary file looked at with no context, within the usual hours, counts
    # only when the agent opened at most this many distinct files with no context in the period
    # (None: always counts).
    untraced_second_day_max_agent_files: int | None = Field(default=None, ge=1)


class OffHours(Capped):
    per_day: float = Field(ge=0)
    # A single off-hours day on an ordinary file counts only when the agent opened at most this
    # many distinct ordinary files off-hours without a strong context (None: always counts).
    ordinary_file_max_agent_files: int | None = Field(default=None, ge=1)


class Actions(Capped):
    per_print_export_day: float = Field(ge=0)


class Accumulation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_situation_score: float = Field(ge=0)
    cap_per_scenario: float = Field(gt=0)
    review_threshold: float = Field(gt=0)


class RepeatedFloor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=2)
    level: Literal["optional", "mandatory"]
    min_match_probability: float = Field(ge=0, le=1)


class IdentityFloor(BaseModel):
    """A level for a kind of sensitive file, when the identity is at least this certain."""

    model_config = ConfigDict(extra="forbid")
    level: Literal["optional", "mandatory"]
    min_match_probability: float = Field(ge=0, le=1)


class CoworkerFloor(IdentityFloor):
    """A colleague of the agent's own agency: `level` for a look with no context at all; the
    repetition floor (`repeated`) from `repeated_days` distinct days instead of its own."""

    repeated_days: int | None = Field(default=None, ge=2)


class BrowsingFloor(BaseModel):
    """An agent whose untraced looks land on sensitive files far beyond the region's share."""

    model_config = ConfigDict(extra="forbid")
    min_files: int = Field(ge=2)
    max_chance: float = Field(gt=0, lt=1)
    level: Literal["optional", "mandatory"]


class UnusualTerritoryFloor(BaseModel):
    """A sensitive file of another département, opened with no context by an agent who seldom
    opens other départements' files with no context."""

    model_config = ConfigDict(extra="forbid")
    max_agent_files: int = Field(ge=1)
    level: Literal["optional", "mandatory"]


class SensitiveFloor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["optional", "mandatory"]
    up_to: Literal["none", "weak"]
    repeated: RepeatedFloor | None = None
    own_file: IdentityFloor | None = None  # the agent's own file, without a strong context
    coworker: CoworkerFloor | None = None  # a colleague of the agent's agency
    browsing: BrowsingFloor | None = None
    unusual_territory: UnusualTerritoryFloor | None = None


class OwnAgencyRepetition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    optional_days: int = Field(ge=2)
    mandatory_days: int = Field(ge=2)
    # The rule holds only for agents who return this way to at most this many files of their
    # agency in the period (None: any number).
    max_agent_files: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> OwnAgencyRepetition:
        if self.mandatory_days < self.optional_days:
            raise ValueError("attendu : optional_days <= mandatory_days")
        return self

    def level(self, days: int) -> str:
        """The level the rule gives a file of one's agency looked at on `days` distinct days."""
        if days >= self.mandatory_days:
            return "mandatory"
        return "optional" if days >= self.optional_days else "none"


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sensitivity: dict[TargetKind, float]
    explanation_factor: dict[Literal["none", "weak", "strong"], float]
    weak_context_aggravation_factor: float = Field(ge=0, le=1)
    unexplained_points: float = Field(ge=0)
    outside_territory_points: float = Field(ge=0)
    repetition: Repetition
    off_hours: OffHours
    actions: Actions
    sensitive_floor: SensitiveFloor
    own_agency_repetition: OwnAgencyRepetition
    agent_accumulation: Accumulation
    ordinary_file_in_hours_max_level: Literal["optional", "mandatory"] = "mandatory"
    # The context that a strong context elsewhere in the period lends to the agent's other looks at
    # the same file ("none": each look is judged alone).
    followed_file_context: Literal["none", "weak"] = "none"


def load_weights(path: Path = WEIGHTS_FILE) -> Weights:
    return load_model(Weights, path)
