"""The period's days, French public holidays and working moments drawn from each agent's pattern.

Times are "local seconds": seconds since 1970-01-01 of the naive Europe/Paris wall clock, so that
arithmetic on days and hours is plain integer arithmetic; conversion to UTC happens only on output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import holidays
import numpy as np

from parcours.synth.work_patterns import WeekPattern

DAY = 86_400
_EPOCH = date(1970, 1, 1)


def local_seconds(day: date) -> int:
    return (day - _EPOCH).days * DAY


def to_date(seconds: int) -> date:
    return _EPOCH + timedelta(days=seconds // DAY)


def iso_day(days_since_epoch: np.ndarray) -> np.ndarray:
    """Vectorised YYYY-MM-DD of day numbers (days since 1970-01-01)."""
    return np.datetime_as_string(days_since_epoch.astype("datetime64[D]"), unit="D")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_seconds(self) -> int:
        return local_seconds(self.start)

    def day_numbers(self) -> np.ndarray:
        """Days since 1970-01-01 of every day of the period."""
        first = (self.start - _EPOCH).days
        return np.arange(first, first + self.days, dtype=np.int64)


@dataclass(frozen=True)
class Calendar:
    period: Period
    weekday: np.ndarray  # per period day, 0 = Monday
    holiday: np.ndarray  # per period day, bool

    @classmethod
    def for_period(cls, period: Period) -> Calendar:
        days = [period.start + timedelta(days=i) for i in range(period.days)]
        public = holidays.country_holidays(
            "FR", years=range(period.start.year, period.end.year + 1)
        )
        return cls(
            period=period,
            weekday=np.array([d.weekday() for d in days], dtype=np.int8),
            holiday=np.array([d in public for d in days], dtype=bool),
        )


@dataclass(frozen=True)
class MinuteTable:
    """For one work pattern: every working minute of each weekday, padded into one 7 x 1440 table."""

    minutes: np.ndarray  # (7, 1440) int16, first count[w] entries valid
    count: np.ndarray  # (7,) int

    @classmethod
    def from_week(cls, week: WeekPattern) -> MinuteTable:
        minutes = np.zeros((7, 1440), dtype=np.int16)
        count = np.zeros(7, dtype=np.int64)
        for w, ranges in enumerate(week):
            values: np.ndarray = (
                np.concatenate([np.arange(s, e) for s, e in ranges]) if ranges else np.zeros(0)
            )
            minutes[w, : len(values)] = values
            count[w] = len(values)
        return cls(minutes, count)


def draw_working_moments(
    rng: np.random.Generator,
    calendar: Calendar,
    tables: list[MinuteTable],
    template: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
    leave_start: np.ndarray,
    leave_end: np.ndarray,
) -> np.ndarray:
    """One moment per row inside the agent's usual days and hours, between first_day and last_day
    (period day indexes, inclusive), avoiding public holidays and the agent's leave. Returns local
    seconds; -1 where no working day was found (an agent absent for the whole window)."""
    n = len(template)
    out = np.full(n, -1, dtype=np.int64)
    todo = np.arange(n)
    span = np.maximum(last_day - first_day + 1, 1)
    day_count = np.stack([t.count for t in tables])  # (templates, 7)
    for _ in range(40):
        if len(todo) == 0:
            break
        day = first_day[todo] + (rng.random(len(todo)) * span[todo]).astype(np.int64)
        day = np.clip(day, 0, calendar.period.days - 1)
        wd = calendar.weekday[day]
        ok = (
            (day_count[template[todo], wd] > 0)
            & ~calendar.holiday[day]
            & ((day < leave_start[todo]) | (day >= leave_end[todo]))
            & (day >= first_day[todo])
            & (day <= last_day[todo])
        )
        rows = todo[ok]
        if len(rows):
            d, w, t = day[ok], wd[ok], template[rows]
            cnt = day_count[t, w]
            pick = (rng.random(len(rows)) * cnt).astype(np.int64)
            minute = np.empty(len(rows), dtype=np.int64)
            for k in np.unique(t):
                sel = t == k
                minute[sel] = tables[k].minutes[w[sel], pick[sel]]
            out[rows] = (
                calendar.period.start_seconds
                + d * DAY
                + minute * 60
                + rng.integers(0, 60, len(rows))
            )
        todo = todo[~ok]
    return out


def draw_off_hours_moments(
    rng: np.random.Generator, calendar: Calendar, first_day: np.ndarray, last_day: np.ndarray
) -> np.ndarray:
    """Moments outside usual office hours: weekday evenings and early mornings, or weekends and
    public holidays during the day."""
    n = len(first_day)
    span = np.maximum(last_day - first_day + 1, 1)
    day = np.clip(first_day + (rng.random(n) * span).astype(np.int64), 0, calendar.period.days - 1)
    free_day = (calendar.weekday[day] >= 5) | calendar.holiday[day]
    evening = rng.integers(18 * 60 + 30, 23 * 60 + 30, n)
    early = rng.integers(5 * 60 + 30, 7 * 60 + 30, n)
    weekday_minute = np.where(rng.random(n) < 0.85, evening, early)
    daytime = rng.integers(9 * 60, 20 * 60, n)
    minute = np.where(free_day, daytime, weekday_minute)
    moments: np.ndarray = (
        calendar.period.start_seconds + day * DAY + minute * 60 + rng.integers(0, 60, n)
    )
    return moments


def parse_day(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").date()
