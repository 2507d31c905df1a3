"""The slot generator and the booking check: pure functions over one counsellor's calendar.

Everything is computed in UTC from local opening hours, so a slot lasts its real duration across
daylight-saving changes. The same rules (opening hours, holidays, absences, the break after each
DPA, the daily maximum) are applied by `generate_slots` when listing and by `slot_problems` when
booking: a slot that can be listed can be booked, and nothing else can.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from parcours.scheduling.activities import ActivityRule

GRID = timedelta(minutes=5)  # slot starts are aligned on this grid from the opening time


@dataclass(frozen=True)
class Interval:
    start: datetime  # aware, UTC
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


class WeeklyRange(NamedTuple):
    """A recurring opening range in local time, e.g. Monday 08:30-12:00. A tuple: calendars are
    hashed often (the opening of a weekly pattern on a day is cached)."""

    weekday: int  # Monday = 0
    start: time
    end: time
    valid_from: date | None = None
    valid_to: date | None = None  # inclusive

    def applies(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )


@dataclass(frozen=True)
class Busy:
    """Time already taken: an appointment and the break that must follow it."""

    start: datetime
    end: datetime
    break_until: datetime  # >= end
    activity: str
    local_day: date

    @property
    def blocked(self) -> Interval:
        return Interval(self.start, self.break_until)


@dataclass(frozen=True)
class CounsellorCalendar:
    agent_id: str
    zone: ZoneInfo
    ranges: tuple[WeeklyRange, ...]
    # The agency's own opening hours bound the counsellor's; None means no agency-level bound.
    agency_ranges: tuple[WeeklyRange, ...] | None
    holidays: frozenset[date]
    absences: tuple[Interval, ...]
    busy: tuple[Busy, ...]


@dataclass(frozen=True)
class Slot:
    agent_id: str
    activity: str
    start: datetime
    end: datetime
    break_until: datetime


RuleForDay = Callable[[date], ActivityRule]


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for x in a:
        for y in b:
            start, end = max(x.start, y.start), min(x.end, y.end)
            if start < end:
                out.append(Interval(start, end))
    return out


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for iv in sorted(intervals, key=lambda i: i.start):
        if merged and iv.start <= merged[-1].end:
            merged[-1] = Interval(merged[-1].start, max(merged[-1].end, iv.end))
        else:
            merged.append(iv)
    return merged


def _ranges_on(ranges: Sequence[WeeklyRange], day: date, zone: ZoneInfo) -> list[Interval]:
    out = []
    for r in ranges:
        if r.applies(day):
            start, end = _to_utc(day, r.start, zone), _to_utc(day, r.end, zone)
            if start < end:  # a range swallowed by a clock change is dropped
                out.append(Interval(start, end))
    return _merge(out)


def open_intervals(cal: CounsellorCalendar, day: date) -> list[Interval]:
    """The counsellor's opening on a local day, within the agency's hours; none on a holiday."""
    if day in cal.holidays:
        return []
    return list(_opening(cal.ranges, cal.agency_ranges, day, cal.zone))


@lru_cache(maxsize=8192)
def _opening(
    ranges: tuple[WeeklyRange, ...],
    agency_ranges: tuple[WeeklyRange, ...] | None,
    day: date,
    zone: ZoneInfo,
) -> tuple[Interval, ...]:
    # Cached: counsellors of an agency mostly share a few weekly patterns.
    own = _ranges_on(ranges, day, zone)
    if agency_ranges is None:
        return tuple(own)
    return tuple(_merge(_intersect(own, _ranges_on(agency_ranges, day, zone))))


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class _DayState:
    """Blocked intervals of one counsellor around one day, as (start, end) pairs."""

    def __init__(self, blocked: list[tuple[datetime, datetime]], hard: list[Interval]) -> None:
        self.blocked = blocked  # appointments with their breaks
        self.hard = hard  # absences: the slot itself must avoid them

    def first_conflict_end(
        self, start: datetime, end: datetime, end_with_break: datetime
    ) -> datetime | None:
        """The latest end among what the slot [start, end) and its break would overlap, if any."""
        latest: datetime | None = None
        for b_start, b_end in self.blocked:
            if b_start < end_with_break and start < b_end and (latest is None or b_end > latest):
                latest = b_end
        for a in self.hard:
            if a.start < end and start < a.end and (latest is None or a.end > latest):
                latest = a.end
        return latest


def _index_by_day(busy: Sequence[Busy]) -> dict[date, list[Busy]]:
    out: dict[date, list[Busy]] = defaultdict(list)
    for b in busy:
        out[b.local_day].append(b)
    return out


def generate_slots(
    cal: CounsellorCalendar, *, first_day: date, last_day: date, rule_for_day: RuleForDay
) -> list[Slot]:
    """Free slots of one counsellor between two local days (inclusive), in time order."""
    slots: list[Slot] = []
    by_day = _index_by_day(cal.busy)
    one_day = timedelta(days=1)
    for day in _days(first_day, last_day):
        opening = open_intervals(cal, day)
        if not opening:
            continue
        rule = rule_for_day(day)
        duration, pause = timedelta(minutes=rule.minutes), timedelta(minutes=rule.break_minutes)
        today = by_day.get(day, [])
        taken = sum(1 for b in today if b.activity == rule.activity)
        # Appointments are shorter than a day: the neighbouring local days are enough.
        near = by_day.get(day - one_day, []) + today + by_day.get(day + one_day, [])
        lo, hi = opening[0].start - timedelta(hours=2), opening[-1].end + pause
        # The slots offered the day before too: opening hours that run past midnight would
        # otherwise offer a slot inside the break of the previous evening's last one.
        offered = []
        for previous in reversed(slots):  # in time order: stop at the first that ends before
            if previous.break_until <= lo:
                break
            offered.append(previous)
        state = _DayState(
            [(b.start, b.break_until) for b in near if b.start < hi and lo < b.break_until]
            + [(s.start, s.break_until) for s in offered],
            [a for a in cal.absences if a.start < hi and lo < a.end],
        )
        for iv in opening:
            t = iv.start
            while t + duration <= iv.end:
                if rule.max_per_day is not None and taken >= rule.max_per_day:
                    break
                end = t + duration
                after = state.first_conflict_end(t, end, end + pause)
                if after is not None:
                    # Jump past what blocks us, back onto the grid of this opening range.
                    steps = -((iv.start - after) // GRID)  # ceiling division
                    t = max(iv.start + steps * GRID, t + GRID)
                    continue
                slots.append(Slot(cal.agent_id, rule.activity, t, end, end + pause))
                state.blocked.append((t, end + pause))
                taken += 1
                t = end + pause
    return slots


def _count(cal: CounsellorCalendar, activity: str, day: date) -> int:
    return sum(1 for b in cal.busy if b.activity == activity and b.local_day == day)


def slot_problems(cal: CounsellorCalendar, *, start: datetime, rule: ActivityRule) -> list[str]:
    """Why a slot starting at `start` cannot be booked (French, for the counsellor); [] if it can.

    `cal.busy` must hold the counsellor's appointments read under the booking lock, without the
    appointment being moved when rescheduling.
    """
    if start.tzinfo is None:
        return ["heure sans fuseau horaire"]
    start = start.astimezone(UTC)
    day = local_day(start, cal.zone)
    duration, pause = timedelta(minutes=rule.minutes), timedelta(minutes=rule.break_minutes)
    slot = Interval(start, start + duration)
    problems = []
    if day in cal.holidays:
        problems.append(f"le {day.strftime('%d/%m/%Y')} est un jour férié")
    elif not any(iv.start <= slot.start and slot.end <= iv.end for iv in open_intervals(cal, day)):
        problems.append("le créneau sort des plages d'ouverture du conseiller")
    if any(a.overlaps(slot) for a in cal.absences):
        problems.append("le conseiller est absent sur ce créneau")
    with_break = Interval(start, start + duration + pause)
    if any(b.blocked.overlaps(with_break) or b.blocked.overlaps(slot) for b in cal.busy):
        problems.append("le créneau chevauche un rendez-vous existant ou la pause qui le suit")
    if rule.max_per_day is not None and _count(cal, rule.activity, day) >= rule.max_per_day:
        problems.append(
            f"le conseiller a déjà {rule.max_per_day} {rule.activity} ce jour-là (maximum atteint)"
        )
    return problems
