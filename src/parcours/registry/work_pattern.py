"""The `work_pattern` column of agents.csv: an agent's usual working days and hours.

Grammar (the interchange contract, see docs/formats.md)::

    pattern := group (";" group)*
    group   := days " " ranges
    days    := day | day "-" day | day ("/" day)+        day in mon tue wed thu fri sat sun
    ranges  := range ("," range)*
    range   := HH:MM "-" HH:MM                            start < end, 00:00 <= t <= 24:00

Example: ``mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00``. Detection uses `WorkPattern.covers`
to tell consultations inside usual hours from those outside. An empty pattern is not parsed here:
the importer stores it as NULL and detection learns the agent's hours from history instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from itertools import pairwise

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"(\d{2}):(\d{2})")


class WorkPatternError(ValueError):
    """A pattern that does not follow the grammar; `position` is the 0-based character offset."""

    def __init__(self, text: str, position: int, reason: str) -> None:
        self.text = text
        self.position = position
        self.reason = reason
        super().__init__(f"position {position + 1}: {reason} (dans « {text} »)")


@dataclass(frozen=True, order=True)
class TimeRange:
    """Minutes since midnight, start inclusive, end exclusive (24:00 is 1440)."""

    start: int
    end: int

    def covers(self, minute: int) -> bool:
        return self.start <= minute < self.end

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class WorkGroup:
    weekdays: frozenset[int]  # 0 = Monday, as datetime.weekday()
    ranges: tuple[TimeRange, ...]


@dataclass(frozen=True)
class WorkPattern:
    groups: tuple[WorkGroup, ...]

    def covers(self, weekday: int, at: time) -> bool:
        """Whether `at` on `weekday` (0 = Monday) falls inside the usual hours."""
        minute = at.hour * 60 + at.minute
        return any(
            weekday in g.weekdays and any(r.covers(minute) for r in g.ranges) for g in self.groups
        )

    def ranges_on(self, weekday: int) -> tuple[TimeRange, ...]:
        return tuple(sorted(r for g in self.groups if weekday in g.weekdays for r in g.ranges))

    def format(self) -> str:
        return ";".join(
            f"{_format_days(g.weekdays)} {','.join(map(str, g.ranges))}" for g in self.groups
        )


def parse_work_pattern(text: str) -> WorkPattern:
    """Parse a non-empty pattern; raise WorkPatternError naming the position and the reason."""
    if not text.strip():
        raise WorkPatternError(text, 0, "motif vide")
    groups: list[WorkGroup] = []
    offset = 0
    for chunk in text.split(";"):
        groups.append(_parse_group(text, chunk, offset))
        offset += len(chunk) + 1
    return WorkPattern(tuple(groups))


def work_pattern_error(text: str | None) -> str | None:
    """The reason a pattern is invalid, or None when it is valid or empty (used by the validator)."""
    if text is None or text == "":
        return None
    try:
        parse_work_pattern(text)
    except WorkPatternError as e:
        return str(e)
    return None


def _parse_group(text: str, chunk: str, offset: int) -> WorkGroup:
    if chunk == "":
        raise WorkPatternError(text, offset, "groupe vide (« ; » en trop ?)")
    days_part, sep, ranges_part = chunk.partition(" ")
    if not sep:
        raise WorkPatternError(text, offset, "attendu « JOURS HH:MM-HH:MM » (espace manquant)")
    weekdays = _parse_days(text, days_part, offset)
    ranges_offset = offset + len(days_part) + 1
    ranges: list[TimeRange] = []
    pos = ranges_offset
    for item in ranges_part.split(","):
        ranges.append(_parse_range(text, item, pos))
        pos += len(item) + 1
    ordered = sorted(ranges)
    for a, b in pairwise(ordered):
        if b.start < a.end:
            raise WorkPatternError(text, ranges_offset, f"plages qui se chevauchent : {a} et {b}")
    return WorkGroup(frozenset(weekdays), tuple(ranges))


def _parse_days(text: str, part: str, offset: int) -> list[int]:
    if "-" in part and "/" in part:
        raise WorkPatternError(text, offset, "mélange de « - » et « / » dans les jours")
    if "-" in part:
        first, _, last = part.partition("-")
        a = _day(text, first, offset)
        b = _day(text, last, offset + len(first) + 1)
        if b < a:
            raise WorkPatternError(text, offset, f"intervalle de jours à l'envers : {part}")
        return list(range(a, b + 1))
    days: list[int] = []
    pos = offset
    for name in part.split("/"):
        d = _day(text, name, pos)
        if d in days:
            raise WorkPatternError(text, pos, f"jour répété : {name}")
        days.append(d)
        pos += len(name) + 1
    return days


def _day(text: str, name: str, offset: int) -> int:
    if name not in DAYS:
        raise WorkPatternError(text, offset, f"jour inconnu « {name} » (attendu {'|'.join(DAYS)})")
    return DAYS.index(name)


def _parse_range(text: str, item: str, offset: int) -> TimeRange:
    start_s, sep, end_s = item.partition("-")
    if not sep:
        raise WorkPatternError(text, offset, f"plage « {item} » : attendu HH:MM-HH:MM")
    start = _minutes(text, start_s, offset)
    end = _minutes(text, end_s, offset + len(start_s) + 1)
    if end <= start:
        raise WorkPatternError(text, offset, f"plage « {item} » : la fin doit suivre le début")
    return TimeRange(start, end)


def _minutes(text: str, value: str, offset: int) -> int:
    m = _TIME.fullmatch(value)
    if not m:
        raise WorkPatternError(text, offset, f"heure « {value} » : attendu HH:MM")
    hours, minutes = int(m.group(1)), int(m.group(2))
    total = hours * 60 + minutes
    if minutes > 59 or total > 24 * 60:
        raise WorkPatternError(text, offset, f"heure « {value} » hors de 00:00-24:00")
    return total


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _format_days(weekdays: frozenset[int]) -> str:
    ordered = sorted(weekdays)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAYS[ordered[0]]}-{DAYS[ordered[-1]]}"
    return "/".join(DAYS[d] for d in ordered)
