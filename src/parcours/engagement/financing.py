"""The two clocks of a contract: the CEJ runs 12 months; the European Social Fund finances 6-month
renewable periods. They do not line up, so each period end inside a CEJ needs a renewal in time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from parcours.engagement.dates import add_months


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date  # inclusive


@dataclass(frozen=True)
class FinancingWarning:
    code: str  # esf_period_ending | esf_not_covered | cej_ending
    due: date
    message: str


def cej_period(starts_on: date, months: int) -> Period:
    return Period(starts_on, add_months(starts_on, months) - timedelta(days=1))


def esf_period_after(previous_end: date | None, starts_on: date, months: int) -> Period:
    """The next ESF period: from the start, or the day after the previous period."""
    start = previous_end + timedelta(days=1) if previous_end else starts_on
    return Period(start, add_months(start, months) - timedelta(days=1))


def financing_warnings(
    *,
    today: date,
    warn_days: int,
    cej: Period | None,
    esf_periods: Sequence[Period],
    esf_financed: bool,
) -> list[FinancingWarning]:
    """What a manager must act on now (in French)."""
    out: list[FinancingWarning] = []
    horizon = today + timedelta(days=warn_days)
    if cej is not None and today <= cej.ends_on <= horizon:
        out.append(
            FinancingWarning(
                "cej_ending",
                cej.ends_on,
                f"Le CEJ prend fin le {cej.ends_on:%d/%m/%Y} : préparer la sortie.",
            )
        )
    if not esf_financed:
        return out
    ordered = sorted(esf_periods, key=lambda p: p.starts_on)
    current = next((p for p in ordered if p.starts_on <= today <= p.ends_on), None)
    if current is None:
        if not ordered or ordered[-1].ends_on < today:
            out.append(
                FinancingWarning(
                    "esf_not_covered",
                    today,
                    "Aucune période de financement FSE ne couvre aujourd'hui.",
                )
            )
        return out
    renewed = any(p.starts_on > current.ends_on for p in ordered)
    still_needed = cej is None or cej.ends_on > current.ends_on
    if current.ends_on <= horizon and not renewed and still_needed:
        tail = f" ; le CEJ court jusqu'au {cej.ends_on:%d/%m/%Y}" if cej is not None else ""
        out.append(
            FinancingWarning(
                "esf_period_ending",
                current.ends_on,
                f"La période FSE se termine le {current.ends_on:%d/%m/%Y} sans renouvellement{tail}.",
            )
        )
    return out
