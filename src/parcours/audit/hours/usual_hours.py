"""Build `agent_hours` (one envelope per agent and usual weekday) and `agent_hours_basis`.

The envelope serves CONFIDENTIALITY RISK ONLY. It must never be used to measure working time:
reusing consultation logs for that would itself be a misuse of purpose.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.hours.work_pattern import WorkPatternError, weekly_envelopes
from parcours.audit.sqlfiles import sql_file
from parcours.yamlfiles import load_model

HOURS_FILE = Path(__file__).with_name("hours.yaml")


class LearnedHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_quantile: float = Field(ge=0, le=0.5)
    end_quantile: float = Field(ge=0.5, le=1)
    min_days_per_weekday: int = Field(ge=1)
    min_share_of_weeks: float = Field(ge=0, le=1)
    min_active_days: int = Field(ge=1)


class DefaultHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: list[int]
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")

    def minutes(self) -> tuple[int, int]:
        h1, m1 = (int(x) for x in self.start.split(":"))
        h2, m2 = (int(x) for x in self.end.split(":"))
        return h1 * 60 + m1, h2 * 60 + m2


class HoursSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    margin_minutes: int = Field(ge=0, le=240)
    at_work_minutes: int = Field(ge=0, le=240)
    learned: LearnedHours
    default: DefaultHours


def load_hours_settings(path: Path = HOURS_FILE) -> HoursSettings:
    return load_model(HoursSettings, path)


@dataclass
class HoursReport:
    agents_by_basis: dict[str, int] = field(default_factory=dict)
    invalid_patterns: list[tuple[str, str]] = field(default_factory=list)


def _period_weekdays(start: date, end: date) -> pa.Table:
    counts = Counter(
        (start + timedelta(days=i)).isoweekday() for i in range((end - start).days + 1)
    )
    return pa.table(
        {"dow": list(counts), "occurrences": list(counts.values())},
        schema=pa.schema([("dow", pa.int64()), ("occurrences", pa.int64())]),
    )


def build_usual_hours(
    engine: AnalyticsEngine,
    *,
    start: date,
    end: date,
    settings: HoursSettings,
    use_declared_patterns: bool = True,
) -> HoursReport:
    """Needs `in_agents` and `period_consultations`; creates `agent_hours` and `agent_hours_basis`."""
    report = HoursReport()
    margin = settings.margin_minutes
    rows: dict[str, list[int]] = {"dow": [], "start_minute": [], "end_minute": []}
    ids: list[str] = []
    declared = (
        engine.fetch_dicts(
            "SELECT agent_id, work_pattern FROM in_agents WHERE work_pattern IS NOT NULL"
        )
        if use_declared_patterns
        else []
    )
    for r in declared:
        try:
            envelopes = weekly_envelopes(str(r["work_pattern"]))
        except WorkPatternError as exc:
            report.invalid_patterns.append((str(r["agent_id"]), str(exc)))
            continue
        for dow, (lo, hi) in sorted(envelopes.items()):
            ids.append(str(r["agent_id"]))
            rows["dow"].append(dow)
            rows["start_minute"].append(max(0, lo - margin))
            rows["end_minute"].append(min(1440, hi + margin))
    engine.register_arrow(
        "hours_declared",
        pa.table(
            {
                "agent_id": pa.array(ids, pa.string()),
                **{k: pa.array(v, pa.int32()) for k, v in rows.items()},
            }
        ),
    )
    engine.register_arrow("period_weekdays", _period_weekdays(start, end))
    params = {**settings.learned.model_dump(), "margin_minutes": margin}
    # One scan of the log: each agent's active days, then the hours and the basis from those.
    engine.create_table(
        "active_days",
        "SELECT agent_id, local_date, dow, min(minute) AS first_minute, max(minute) AS last_minute "
        "FROM period_consultations GROUP BY agent_id, local_date, dow",
    )
    engine.create_table("hours_learned", engine.render(sql_file("agent_hours_learned"), params))
    d_lo, d_hi = settings.default.minutes()
    engine.register_arrow(
        "hours_default_days",
        pa.table({"dow": pa.array(settings.default.days, pa.int32())}),
    )
    engine.create_table(
        "agent_hours_basis",
        """
        SELECT agent_id, CASE
            WHEN agent_id IN (SELECT agent_id FROM hours_declared) THEN 'pattern'
            WHEN agent_id IN (SELECT agent_id FROM hours_learned) THEN 'learned'
            ELSE 'default' END AS basis
        FROM (SELECT DISTINCT agent_id FROM active_days) a
        """,
    )
    engine.create_table(
        "agent_hours",
        f"""
        SELECT d.agent_id, d.dow, d.start_minute, d.end_minute
        FROM hours_declared d JOIN agent_hours_basis b ON b.agent_id = d.agent_id
        UNION ALL
        SELECT l.agent_id, l.dow, l.start_minute, l.end_minute
        FROM hours_learned l JOIN agent_hours_basis b ON b.agent_id = l.agent_id
        WHERE b.basis = 'learned'
        UNION ALL
        SELECT b.agent_id, CAST(dd.dow AS INTEGER) AS dow, {d_lo} AS start_minute, {d_hi} AS end_minute
        FROM agent_hours_basis b CROSS JOIN hours_default_days dd
        WHERE b.basis = 'default'
        """,
    )
    engine.execute("DROP TABLE IF EXISTS active_days")
    for r in engine.fetch_dicts(
        "SELECT basis, count(*) AS n FROM agent_hours_basis GROUP BY basis"
    ):
        report.agents_by_basis[str(r["basis"])] = int(r["n"])
    return report
