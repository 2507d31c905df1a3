"""The contract's `work_pattern` grammar, parsed into minutes per weekday.

`mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00`: groups separated by `;`, each `DAYS RANGES`;
DAYS is a day, a range `mon-fri` or a list `mon/wed/fri`; RANGES are `HH:MM-HH:MM` separated by `,`.
"""

from __future__ import annotations

import re

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# One tuple per weekday (Monday first) of (start, end) minutes since midnight, end exclusive.
WeekPattern = tuple[tuple[tuple[int, int], ...], ...]

_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def _parse_days(text: str) -> list[int]:
    if "-" in text:
        first, last = text.split("-", 1)
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"unknown day in {text!r}")
        start, end = DAYS.index(first), DAYS.index(last)
        if end < start:
            raise ValueError(f"day range {text!r} runs backwards")
        return list(range(start, end + 1))
    days = text.split("/")
    for day in days:
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}")
    return [DAYS.index(d) for d in days]


def _parse_range(text: str) -> tuple[int, int]:
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"bad time range {text!r} (expected HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        raise ValueError(f"bad time in {text!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(f"time range {text!r} ends before it starts")
    return start, end


def parse_work_pattern(text: str) -> WeekPattern:
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for group in text.split(";"):
        parts = group.strip().split()
        if len(parts) != 2:
            raise ValueError(f"group {group!r} is not 'DAYS RANGES'")
        ranges = [_parse_range(r) for r in parts[1].split(",")]
        for day in _parse_days(parts[0]):
            if week[day]:
                raise ValueError(f"day {DAYS[day]} appears twice")
            week[day] = sorted(ranges)
    return tuple(tuple(day) for day in week)


def minutes_per_day(week: WeekPattern) -> list[int]:
    return [sum(end - start for start, end in day) for day in week]
