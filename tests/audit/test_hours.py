from __future__ import annotations

from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.hours.usual_hours import build_usual_hours, load_hours_settings
from parcours.audit.hours.work_pattern import WorkPatternError, weekly_envelopes


def test_work_pattern_envelopes() -> None:
    env = weekly_envelopes("mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00;sat/sun 10:00-11:00")
    assert env[1] == (510, 1020)
    assert env[5] == (510, 720)
    assert env[6] == env[7] == (600, 660)


@pytest.mark.parametrize(
    "bad", ["", "mon", "xyz 08:00-10:00", "mon 10:00-09:00", "fri-mon 08:00-10:00", "mon 8h-10h"]
)
def test_work_pattern_rejects_garbage(bad: str) -> None:
    with pytest.raises(WorkPatternError):
        weekly_envelopes(bad)


def _period_consultations(rows: list[tuple[str, datetime]]) -> pa.Table:
    return pa.table(
        {
            "agent_id": [a for a, _ in rows],
            "local_date": pa.array([t.date() for _, t in rows], pa.date32()),
            "dow": [t.isoweekday() for _, t in rows],
            "minute": [t.hour * 60 + t.minute for _, t in rows],
        }
    )


def test_learned_hours_are_robust_to_a_few_late_evenings() -> None:
    start = date(2024, 4, 1)
    rows: list[tuple[str, datetime]] = []
    for week in range(13):
        for dow in range(5):  # Monday to Friday, 09:00 to 17:00
            day = datetime.combine(start + timedelta(days=7 * week + dow), datetime.min.time())
            rows += [("L", day + timedelta(hours=9)), ("L", day + timedelta(hours=17))]
    late = datetime(2024, 4, 3, 22, 30)  # one late evening on a Wednesday
    rows.append(("L", late))
    rows.append(("L", datetime(2024, 4, 6, 11, 0)))  # one Saturday: not a usual day
    with DuckDBEngine(threads=1) as engine:
        engine.register_arrow("period_consultations", _period_consultations(rows))
        engine.register_arrow(
            "in_agents",
            pa.table({"agent_id": ["L"], "work_pattern": pa.array([None], pa.string())}),
        )
        report = build_usual_hours(
            engine, start=start, end=date(2024, 6, 30), settings=load_hours_settings()
        )
        hours = {
            r["dow"]: (r["start_minute"], r["end_minute"])
            for r in engine.fetch_dicts("SELECT * FROM agent_hours WHERE agent_id = 'L'")
        }
    assert report.agents_by_basis == {"learned": 1}
    assert set(hours) == {1, 2, 3, 4, 5}
    margin = load_hours_settings().margin_minutes
    assert hours[3][1] <= 17 * 60 + margin + 1  # the late evening did not stretch Wednesday
    assert hours[1][0] == 9 * 60 - margin


def test_declared_pattern_wins_and_invalid_patterns_are_reported() -> None:
    with DuckDBEngine(threads=1) as engine:
        engine.register_arrow(
            "period_consultations",
            _period_consultations(
                [("P", datetime(2024, 4, 2, 10)), ("Q", datetime(2024, 4, 2, 10))]
            ),
        )
        engine.register_arrow(
            "in_agents",
            pa.table({"agent_id": ["P", "Q"], "work_pattern": ["mon-fri 08:00-12:00", "lundi 8h"]}),
        )
        report = build_usual_hours(
            engine, start=date(2024, 4, 1), end=date(2024, 4, 30), settings=load_hours_settings()
        )
    assert report.agents_by_basis == {"pattern": 1, "default": 1}
    assert report.invalid_patterns[0][0] == "Q"
