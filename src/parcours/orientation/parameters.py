"""Date-keyed parameters with a legal reference per value, and per-département overrides.

Borrowed from OpenFisca's parameter files: a value applies from its date until the next one; an
override decided by a territorial committee applies in its département from its own date (an
override whose value is null hands the département back to the national value).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel

from parcours.errors import InvalidInput
from parcours.yamlfiles import load_model


class DatedValueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any
    reference: str


class ParameterSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    unit: str
    values: dict[date, DatedValueSpec]
    departments: dict[str, dict[date, DatedValueSpec]] = {}


class ParametersFile(RootModel[dict[str, ParameterSpec]]):
    pass


@dataclass(frozen=True)
class ParamValue:
    value: Any
    since: date
    reference: str
    department: str | None  # the département whose override applies, None for the national value


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    national: tuple[tuple[date, DatedValueSpec], ...]
    overrides: dict[str, tuple[tuple[date, DatedValueSpec], ...]]

    def at(self, when: date, department: str | None = None) -> ParamValue | None:
        if department is not None and department in self.overrides:
            local = _latest(self.overrides[department], when)
            if local is not None and local[1].value is not None:
                return ParamValue(local[1].value, local[0], local[1].reference, department)
        national = _latest(self.national, when)
        if national is None:
            return None
        return ParamValue(national[1].value, national[0], national[1].reference, None)

    def change_dates(self) -> set[date]:
        dates = {d for d, _ in self.national}
        for values in self.overrides.values():
            dates.update(d for d, _ in values)
        return dates


def _latest(
    values: tuple[tuple[date, DatedValueSpec], ...], when: date
) -> tuple[date, DatedValueSpec] | None:
    applicable = [item for item in values if item[0] <= when]
    return applicable[-1] if applicable else None


@dataclass(frozen=True)
class ParameterSet:
    parameters: dict[str, Parameter]
    source: str

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def resolve(self, name: str, *, at: date, department: str | None) -> ParamValue:
        value = self.parameters[name].at(at, department)
        if value is None:
            raise InvalidInput(
                f"{self.source}: parameter {name!r} has no value on {at.isoformat()}"
            )
        return value


def load_parameters(path: Path) -> ParameterSet:
    spec = load_model(ParametersFile, path)
    parameters = {
        name: Parameter(
            name=name,
            description=p.description,
            unit=p.unit,
            national=tuple(sorted(p.values.items())),
            overrides={dep: tuple(sorted(v.items())) for dep, v in p.departments.items()},
        )
        for name, p in spec.root.items()
    }
    return ParameterSet(parameters, str(path))
