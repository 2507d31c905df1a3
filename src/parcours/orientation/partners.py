"""Partner capacities: programmes (modalities with a capacity) and organisation capacities."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, RootModel, model_validator

from parcours.yamlfiles import load_model


class Capacity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    partner: str
    kind: Literal["programme", "organisation"]
    modality: str | None = None
    organisation: str | None = None
    departments: tuple[str, ...]
    start: date
    end: date
    capacity: int
    reference: str

    @model_validator(mode="after")
    def _target(self) -> Capacity:
        if self.kind == "programme" and not self.modality:
            raise ValueError("a programme needs its 'modality'")
        if self.kind == "organisation" and not self.organisation:
            raise ValueError("an organisation capacity needs its 'organisation'")
        if self.end < self.start:
            raise ValueError("'end' is before 'start'")
        return self

    def open_on(self, when: date, department: str) -> bool:
        return self.start <= when <= self.end and department in self.departments


class CapacitiesFile(RootModel[list[Capacity]]):
    pass


def load_capacities(path: Path) -> tuple[Capacity, ...]:
    return tuple(load_model(CapacitiesFile, path).root)


def programme_open(
    capacities: tuple[Capacity, ...], modality: str, *, at: date, department: str
) -> Capacity | None:
    """The open programme offering a modality in a département on a date, if any."""
    for cap in capacities:
        if cap.kind == "programme" and cap.modality == modality and cap.open_on(at, department):
            return cap
    return None
