"""The slot generator and the booking check: pure functions over one counsellor's calendar.

Everything is computed in UTC from local opening hours, so a slot lasts its real duration across
daylight-saving changes. The same rules (opening hours, holidays, absences, the break after each
DPA, the daily maximum) are applied by `generate_slots` when listing and by `slot_problems` when
booking: a slot that can be listed can be booked, and nothing else can.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parcours.scheduling.activities import ActivityRule

GRID = timedelta(minutes=5)  # slot starts are aligned on this grid from the opening time


@dataclass(frozen=True)
class Interval:
    start: datetime  # aware, UTC
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WeeklyRange:
    """A recurring opening range in local time, e.g. Monday 08:30-12:00."""

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
    own = _ranges_on(cal.ranges, day, cal.zone)
    if cal.agency_ranges is None:
        return own
    return _merge(_intersect(own, _ranges_on(cal.agency_ranges, day, cal.zone)))


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class _DayState:
    """Blocked intervals of one counsellor on one day, kept sorted by start."""

    def __init__(self, blocked: list[Interval], hard: list[Interval]) -> None:
        self.blocked = sorted(blocked, key=lambda i: i.start)  # appointments with their breaks
        self.hard = hard  # absences: the slot itself must avoid them

    def conflicts(self, slot: Interval, with_break: Interval) -> list[Interval]:
        hits = [b for b in self.blocked if b.overlaps(with_break) or b.overlaps(slot)]
        hits += [a for a in self.hard if a.overlaps(slot)]
        return hits

    def add(self, iv: Interval) -> None:
        self.blocked.insert(bisect_left([b.start for b in self.blocked], iv.start), iv)


def _state_for(cal: CounsellorCalendar, day: date, window: Interval) -> _DayState:
    return _DayState(
        [b.blocked for b in cal.busy if b.blocked.overlaps(window)],
        [a for a in cal.absences if a.overlaps(window)],
    )


def _count(cal: CounsellorCalendar, activity: str, day: date) -> int:
    return sum(1 for b in cal.busy if b.activity == activity and b.local_day == day)


def generate_slots(
    cal: CounsellorCalendar, *, first_day: date, last_day: date, rule_for_day: RuleForDay
) -> list[Slot]:
    """Free slots of one counsellor between two local days (inclusive), in time order."""
    slots: list[Slot] = []
    for day in _days(first_day, last_day):
        opening = open_intervals(cal, day)
        if not opening:
            continue
        rule = rule_for_day(day)
        duration, pause = timedelta(minutes=rule.minutes), timedelta(minutes=rule.break_minutes)
        taken = _count(cal, rule.activity, day)
        window = Interval(opening[0].start - timedelta(hours=2), opening[-1].end + pause)
        state = _state_for(cal, day, window)
        for iv in opening:
            t = iv.start
            while t + duration <= iv.end:
                if rule.max_per_day is not None and taken >= rule.max_per_day:
                    break
                slot = Interval(t, t + duration)
                hits = state.conflicts(slot, Interval(t, t + duration + pause))
                if hits:
                    # Jump past what blocks us, back onto the grid of this opening range.
                    after = max(h.end for h in hits)
                    steps = -((iv.start - after) // GRID)  # ceiling division
                    t = max(iv.start + steps * GRID, t + GRID)
                    continue
                slots.append(
                    Slot(cal.agent_id, rule.activity, t, t + duration, t + duration + pause)
                )
                state.add(Interval(t, t + duration + pause))
                taken += 1
                t = t + duration + pause
    return slots


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
