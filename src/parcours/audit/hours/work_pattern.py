"""Declared work patterns reduced to one envelope per weekday (first start, last end).

Interim parser of the contract grammar (`mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00`) until
`parcours.registry.work_pattern` lands; swap the body of `weekly_envelopes` then, keep its signature.
"""

from __future__ import annotations

import re

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class WorkPatternError(ValueError):
    pass


def _days(spec: str) -> list[int]:
    """ISO weekdays (Monday = 1) of `mon`, `mon-fri` or `mon/wed/fri`."""
    out: list[int] = []
    for part in spec.split("/"):
        if "-" in part:
            lo, hi = part.split("-", 1)
            if lo not in DAYS or hi not in DAYS or DAYS.index(lo) > DAYS.index(hi):
                raise WorkPatternError(f"plage de jours invalide {part!r}")
            out.extend(range(DAYS.index(lo) + 1, DAYS.index(hi) + 2))
        elif part in DAYS:
            out.append(DAYS.index(part) + 1)
        else:
            raise WorkPatternError(f"jour inconnu {part!r}")
    return out


def _minutes(spec: str) -> tuple[int, int]:
    m = _RANGE.match(spec)
    if not m:
        raise WorkPatternError(f"horaire invalide {spec!r} (attendu HH:MM-HH:MM)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or end > 1440 or start >= end:
        raise WorkPatternError(f"horaire invalide {spec!r}")
    return start, end


def weekly_envelopes(pattern: str) -> dict[int, tuple[int, int]]:
    """ISO weekday -> (first start minute, last end minute). Raises WorkPatternError."""
    out: dict[int, tuple[int, int]] = {}
    for group in filter(None, (g.strip() for g in pattern.lower().split(";"))):
        parts = group.split()
        if len(parts) != 2:
            raise WorkPatternError(f"groupe invalide {group!r} (attendu 'JOURS HH:MM-HH:MM,...')")
        ranges = [_minutes(r.strip()) for r in parts[1].split(",")]
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        for d in _days(parts[0]):
            old = out.get(d)
            out[d] = (min(old[0], lo), max(old[1], hi)) if old else (lo, hi)
    if not out:
        raise WorkPatternError("motif vide")
    return out
