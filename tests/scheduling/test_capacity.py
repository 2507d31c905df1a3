from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from scheduling_factories import decision, make_agency
from sqlalchemy import Engine, select

from parcours.db import session_scope
from parcours.errors import InvalidInput
from parcours.notify.models import OutboxMessage
from parcours.scheduling.booking import book, book_orientation_interview
from parcours.scheduling.capacity import (
    capacity_by_week,
    capacity_model,
    capacity_warnings,
    forecast_demand,
    notify_managers,
    parse_capacity_model,
)

# Bookings are made before the appointments they book (past slots are refused).
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 3, 2)


def test_demand_follows_interviews_shares_and_lag() -> None:
    model = capacity_model()
    weeks = [MONDAY + timedelta(weeks=i) for i in range(3)]
    history = {MONDAY - timedelta(weeks=i): 100.0 for i in range(1, 5)}
    out = forecast_demand(interviews_by_week=history, weeks=weeks, model=model)
    # Steady 100 interviews a week, 80 % to France Travail: 80 DPA a week once the lag is filled.
    assert out[weeks[0]] == (100.0, 80.0, True)
    assert out[weeks[2]][1] == 80.0
    # Weeks before the first observation count as no interviews: only lags 1 and 2 are filled.
    short = {MONDAY - timedelta(weeks=i): 100.0 for i in (1, 2)}
    assert forecast_demand(interviews_by_week=short, weeks=weeks, model=model)[weeks[0]][1] == 64.0
    # A surge of interviews shows in the next weeks' demand.
    surge = {**history, MONDAY: 300.0}
    assert forecast_demand(interviews_by_week=surge, weeks=weeks, model=model)[weeks[1]][1] > 80


def test_capacity_against_slots_and_warnings(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, _] = make_agency(s)
        book(
            s,
            now=BEFORE,
            decision=decision("DE1"),
            agent_id=c0,
            starts_at=datetime.combine(MONDAY, time(9), tzinfo=PARIS),
            actor_id="X",
        )
        history = {MONDAY - timedelta(weeks=i): 80.0 for i in range(1, 6)}
        rows = capacity_by_week(
            s, agency_id="AG1", first_week=MONDAY, weeks=3, interviews_by_week=history
        )
        # 2 counsellors x 6 DPA x 5 days = 60 DPA slots a week; one already booked.
        assert [(r.booked, r.free) for r in rows] == [(1, 59), (0, 60), (0, 60)]
        assert rows[0].demand == 64.0 and rows[0].gap == 4.0
        warnings = capacity_warnings(rows, today=MONDAY - timedelta(days=10))
        assert [w.week for w in warnings] == [r.week for r in rows]
        assert "64 DPA attendus pour 60 créneaux" in warnings[0].message
        assert notify_managers(s, warnings=warnings, to=["eld@agence.test"]) == 1
        [msg] = s.scalars(select(OutboxMessage)).all()
        assert msg.kind == "capacity_gap"
        # A quieter flow: no gap, no warning.
        calm = {w: 40.0 for w in history}
        rows = capacity_by_week(
            s, agency_id="AG1", first_week=MONDAY, weeks=3, interviews_by_week=calm
        )
        assert capacity_warnings(rows, today=MONDAY) == []


def test_interviews_counted_from_edo_bookings(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, c1] = make_agency(s)
        past = MONDAY - timedelta(weeks=1)
        for i, hour in enumerate((9, 10, 11)):
            book_orientation_interview(s, now=BEFORE, agency_id="AG1", de_id=f"E{i}", agent_id=c0, actor_id="X",
                                       starts_at=datetime.combine(past, time(hour), tzinfo=PARIS))  # fmt: skip
        rows = capacity_by_week(s, agency_id="AG1", first_week=MONDAY, weeks=1)
        # 3 interviews observed last week and forecast at 3 for this one.
        assert rows[0].interviews == 3 and rows[0].interviews_forecast
        assert c1


def test_capacity_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "capacity.yaml"
    bad.write_text(
        "shares:\n  - from: 2025-01-01\n    france_travail: 1.5\n    reference: x\n"
        "dpa_lag_weeks:\n  1: 0.5\nmoving_average_weeks: 4\nwarn_weeks_ahead: 2\n"
    )
    with pytest.raises(InvalidInput) as exc:
        parse_capacity_model(bad)
    text = str(exc.value)
    assert f"{bad}:3 [france_travail]" in text and "add up to 1" in text
