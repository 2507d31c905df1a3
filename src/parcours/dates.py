"""Dates typed by people (forms, command options): one reading and the years accepted.

Years 1900-2199, the registry's import bounds too: a placeholder such as 0001-01-01 or 9999-12-31
overflows as soon as a day is added or taken away (the day after a period's end, a Paris midnight
in UTC), which surfaced as a server error instead of a message.
"""

from __future__ import annotations

from datetime import date, datetime

from parcours.errors import InvalidInput

FIRST_YEAR, LAST_YEAR = 1900, 2199


def year_error(moment: date) -> str | None:
    """Why `moment` (a date or a datetime) is refused, or None."""
    if FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return f"année attendue de {FIRST_YEAR} à {LAST_YEAR}, reçu {moment.year}"


def parse_day(text: str, what: str) -> date:
    """The day `text` (AAAA-MM-JJ) names, or InvalidInput naming `what` and the reason."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{what} : date attendue au format AAAA-MM-JJ, reçu « {text[:40]} »"
        ) from None
    check_year(day, what)
    return day


def check_year(moment: date | datetime, what: str) -> None:
    """InvalidInput naming `what` when `moment` lies outside the accepted years."""
    reason = year_error(moment)
    if reason is not None:
        raise InvalidInput(f"{what} : {reason}")
