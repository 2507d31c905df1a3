"""Fifty people try to take the same slot at once, with real threads and one connection each."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo

from scheduling_factories import decision, make_agency
from sqlalchemy import Engine, func, select

from parcours.db import session_scope
from parcours.errors import Conflict
from parcours.scheduling.booking import book
from parcours.scheduling.models import BOOKED, Booking

MONDAY = date(2026, 3, 2)
# Bookings are made before the appointments they book (past slots are refused).
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def _race(
    engine: Engine, starts: list[datetime], agent_id: str
) -> tuple[int, int, list[BaseException]]:
    barrier = threading.Barrier(len(starts))
    won, lost, errors = [0], [0], []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as s:
                book(
                    s,
                    now=BEFORE,
                    decision=decision(f"DE{i:03d}"),
                    agent_id=agent_id,
                    starts_at=starts[i],
                    actor_id="X",
                )
            with lock:
                won[0] += 1
        except Conflict:
            with lock:
                lost[0] += 1
        except BaseException as exc:  # anything else is a bug: report it
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(starts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won[0], lost[0], errors


def test_fifty_attempts_on_one_slot(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, _] = make_agency(s)
    start = datetime.combine(MONDAY, time(9), tzinfo=PARIS)
    won, lost, errors = _race(engine, [start] * 50, c0)
    assert errors == []
    assert (won, lost) == (1, 49)
    with session_scope(engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(Booking).where(Booking.status == BOOKED)) == 1
        )


def test_fifty_attempts_on_overlapping_slots_keep_breaks_and_maximum(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, _] = make_agency(s)
    # 36 starts every 5 minutes over the morning (most overlap each other or each other's break)
    # and 14 on one afternoon slot; without the counsellor-day lock, overlaps get through.
    starts = [
        datetime.combine(MONDAY, time(8 + (30 + 5 * i) // 60, (30 + 5 * i) % 60), tzinfo=PARIS)
        for i in range(36)
    ] + [datetime.combine(MONDAY, time(13, 30), tzinfo=PARIS)] * 14
    won, _lost, errors = _race(engine, starts, c0)
    assert errors == []
    with session_scope(engine) as s:
        rows = s.scalars(
            select(Booking).where(Booking.status == BOOKED).order_by(Booking.starts_at)
        ).all()
    assert len(rows) == won <= 6
    for a, b in pairwise(rows):
        assert a.break_until <= b.starts_at
