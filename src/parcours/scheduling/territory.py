"""What an agency's département decides: its time zone and its public holidays."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# Overseas départements keep their own clocks; everything else is mainland time (Corsica included).
_OVERSEAS_ZONES = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
}
# Local law: Alsace-Moselle keeps Good Friday and St Stephen's Day; overseas départements keep
# the abolition of slavery day. The `holidays` package knows these as subdivisions.
_HOLIDAY_SUBDIVISIONS = {
    "57": "57",
    "67": "6AE",
    "68": "6AE",
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "975": "PM",
    "976": "976",
}


def zone_for_department(department_code: str) -> ZoneInfo:
    return ZoneInfo(_OVERSEAS_ZONES.get(department_code.strip().upper(), "Europe/Paris"))


@lru_cache(maxsize=256)
def _holidays_for(department_code: str, year: int) -> frozenset[date]:
    subdiv = _HOLIDAY_SUBDIVISIONS.get(department_code)
    return frozenset(holidays.country_holidays("FR", subdiv=subdiv, years=year).keys())


def public_holidays(department_code: str, first: date, last: date) -> frozenset[date]:
    """French public holidays of the département between two dates (inclusive)."""
    found: set[date] = set()
    for year in range(first.year, last.year + 1):
        found |= {d for d in _holidays_for(department_code, year) if first <= d <= last}
    return frozenset(found)
