"""Scenario cases: `scenarios/cases/<id>.yaml`, input rows -> the alerts the scenario must raise.

A case lists the consultations (and contacts) of one story on top of a shared small region
(`base: _region`); `alerts` are the (agent, file, level) the scenario must raise — an empty list is
a "pass" case: the scenario must stay silent (not fire, or score below its thresholds).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from parcours.audit.inputs import TABLES
from parcours.audit.scenario import SCENARIOS_DIR
from parcours.yamlfiles import load_located, validate

CASES_DIR = SCENARIOS_DIR / "cases"
Row = dict[str, Any]


class ExpectedAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: str
    de_id: str
    level: Literal["mandatory", "optional"]


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date
    end: date


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    period: Period | None = None
    consultations: list[Row] = Field(default_factory=list)
    appointments: list[Row] = Field(default_factory=list)
    calls: list[Row] = Field(default_factory=list)
    tasks: list[Row] = Field(default_factory=list)
    alerts: list[ExpectedAlert]


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base: str | None = None
    period: Period
    cases: list[Case] = Field(min_length=1)


def _plain(v: Any) -> Any:
    # YAML turns unquoted dates and times into objects; the inputs expect contract text.
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v


def _table(rows: list[Row]) -> pa.Table:
    # Every key of every row: pyarrow would otherwise keep only the first row's keys.
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return pa.Table.from_pylist([{k: _plain(r.get(k)) for k in keys} for r in rows])


def load_case_file(scenario_id: str, folder: Path = CASES_DIR) -> CaseFile:
    path = folder / f"{scenario_id}.yaml"
    return validate(CaseFile, load_located(path), path)


def case_tables(cf: CaseFile, case: Case, folder: Path = CASES_DIR) -> dict[str, pa.Table]:
    base: dict[str, list[Row]] = {}
    if cf.base:
        data = load_located(folder / f"{cf.base}.yaml")
        base = {k: list(v) for k, v in (data or {}).items()}
    for table in ("consultations", "appointments", "calls", "tasks"):
        rows = getattr(case, table)
        if rows:
            base[table] = base.get(table, []) + rows
    out = {}
    for table, rows in base.items():
        if rows and (table in TABLES or table == "identity_matches"):
            out[table] = _table(rows)
    if "identity_matches" not in out:
        out["identity_matches"] = pa.table(
            {
                "de_id": pa.array([], pa.string()),
                "target_kind": pa.array([], pa.string()),
                "target_id": pa.array([], pa.string()),
                "match_probability": pa.array([], pa.float64()),
                "match_weight": pa.array([], pa.float64()),
            }
        )
    return out


def case_ids(folder: Path = CASES_DIR) -> list[tuple[str, int, str]]:
    """(scenario id, case index, case name) for every case of every scenario."""
    out: list[tuple[str, int, str]] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.stem.startswith("_"):
            continue
        cf = load_case_file(path.stem, folder)
        out.extend((path.stem, i, c.name) for i, c in enumerate(cf.cases))
    return out
