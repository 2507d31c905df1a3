"""DPA capacity: forecast demand per agency and week from the flow of orientation interviews and the
orientation shares, against the DPA slots opened, and warn managers before a gap opens."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parcours.errors import InvalidInput, Issue
from parcours.notify import enqueue_email
from parcours.scheduling.booking import find_slots
from parcours.scheduling.calendars import agency_context
from parcours.scheduling.models import BOOKED, DONE, NO_SHOW, Booking
from parcours.yamlfiles import LocatedDict, load_located, require

CAPACITY_FILE = Path(__file__).with_name("capacity.yaml")


@dataclass(frozen=True)
class CapacityModel:
    shares: tuple[tuple[date, float, str], ...]  # (from, France Travail share, reference)
    lag_weeks: dict[int, float]
    moving_average_weeks: int
    warn_weeks_ahead: int

    def share_on(self, day: date) -> float:
        current = [s for s in self.shares if s[0] <= day]
        return current[-1][1] if current else self.shares[0][1]


def parse_capacity_model(path: Path) -> CapacityModel:
    doc = load_located(path)
    issues: list[Issue] = []
    if not isinstance(doc, LocatedDict):
        raise InvalidInput([Issue(str(path), 1, None, "expected a mapping")])
    shares = []
    for item in require(doc, "shares", list, issues) or []:
        n = len(issues)
        start = require(item, "from", date, issues)
        share = require(item, "france_travail", float, issues)
        ref = require(item, "reference", str, issues)
        if len(issues) == n:
            if not 0 <= share <= 1:
                issues.append(
                    item.issue("france_travail must be a share in [0, 1]", "france_travail")
                )
            shares.append((start, share, ref))
    lag = require(doc, "dpa_lag_weeks", LocatedDict, issues) or LocatedDict()
    lag_weeks = {int(k): float(v) for k, v in lag.items()}
    if lag_weeks and abs(sum(lag_weeks.values()) - 1) > 1e-6:
        issues.append(doc.issue("dpa_lag_weeks shares must add up to 1", "dpa_lag_weeks"))
    window = require(doc, "moving_average_weeks", int, issues)
    ahead = require(doc, "warn_weeks_ahead", int, issues)
    if issues:
        raise InvalidInput(issues)
    return CapacityModel(tuple(sorted(shares)), lag_weeks, window, ahead)


@lru_cache(maxsize=1)
def capacity_model() -> CapacityModel:
    return parse_capacity_model(CAPACITY_FILE)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekCapacity:
    agency_id: str
    week: date  # Monday
    interviews: float  # orientation interviews of the week (observed, or forecast)
    interviews_forecast: bool
    demand: float  # DPA expected this week
    booked: int
    free: int

    @property
    def slots_opened(self) -> int:
        return self.booked + self.free

    @property
    def gap(self) -> float:
        """DPA needed beyond the slots opened (positive: a shortfall)."""
        return round(self.demand - self.slots_opened, 1)


def forecast_demand(
    *,
    interviews_by_week: Mapping[date, float],
    weeks: Sequence[date],
    model: CapacityModel,
) -> dict[date, tuple[float, float, bool]]:
    """Per week: (interviews, DPA demand, interviews forecast?). Future interviews are the moving
    average of the last observed weeks; demand spreads each week's FT orientations over the lag."""
    observed = dict(sorted(interviews_by_week.items()))
    last = sorted(observed)[-model.moving_average_weeks :]
    average = sum(observed[w] for w in last) / len(last) if last else 0.0
    horizon = max(model.lag_weeks) if model.lag_weeks else 0
    first = min(weeks) - timedelta(weeks=horizon)
    flow: dict[date, tuple[float, bool]] = {}
    w = first
    while w <= max(weeks):
        if w in observed:
            flow[w] = (observed[w], False)
        elif observed and w < min(observed):
            flow[w] = (0.0, False)
        else:
            flow[w] = (average, True)
        w += timedelta(weeks=1)
    out = {}
    for week in weeks:
        demand = sum(
            flow[week - timedelta(weeks=lag)][0]
            * model.share_on(week - timedelta(weeks=lag))
            * share
            for lag, share in model.lag_weeks.items()
        )
        out[week] = (flow[week][0], round(demand, 1), flow[week][1])
    return out


INTERVIEW_COLUMNS = ("week", "interviews")


def read_interview_forecast(path: Path) -> dict[date, float]:
    """`week,interviews`: orientation interviews per week, the week given by any of its days (its
    Monday is kept), for `capacity_by_week`. A forecast read in part would skew every week's demand,
    so a file with any bad line is refused whole, each problem with its line and reason."""
    name = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in INTERVIEW_COLUMNS if c not in header]
            if missing:
                raise InvalidInput(
                    [
                        Issue(name, 1, c, "colonne manquante (attendu : week,interviews)")
                        for c in missing
                    ]
                )
            rows = [(reader.line_num, r) for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput([Issue(name, None, None, f"lecture impossible : {exc}")]) from None
    issues: list[Issue] = []
    out: dict[date, float] = {}
    seen: dict[date, int] = {}
    for line, row in rows:
        text, count = (row.get("week") or "").strip(), (row.get("interviews") or "").strip()
        try:
            week = week_start(date.fromisoformat(text))
        except ValueError:
            issues.append(Issue(name, line, "week", f"date AAAA-MM-JJ attendue, reçu {text!r}"))
            continue
        try:
            value = float(count)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            issues.append(
                Issue(name, line, "interviews", f"nombre positif attendu, reçu {count!r}")
            )
        elif week in seen:
            issues.append(
                Issue(name, line, "week", f"semaine du {week} déjà donnée ligne {seen[week]}")
            )
        else:
            seen[week] = line
            out[week] = value
    if issues:
        raise InvalidInput(issues)
    return out


def interviews_from_bookings(
    session: Session, *, agency_id: str, first_week: date, last_week: date
) -> dict[date, float]:
    """Orientation interviews (EDO) of the agency's appointment book, held or planned, per week."""
    rows = session.execute(
        select(Booking.local_day, func.count())
        .where(
            Booking.agency_id == agency_id,
            Booking.activity == "EDO",
            Booking.status.in_([BOOKED, DONE, NO_SHOW]),
            Booking.local_day >= first_week,
            Booking.local_day < last_week + timedelta(weeks=1),
        )
        .group_by(Booking.local_day)
    )
    out: Counter[date] = Counter()
    for day, n in rows:
        out[week_start(day)] += n
    return {w: float(n) for w, n in out.items()}


def capacity_by_week(
    session: Session,
    *,
    agency_id: str,
    first_week: date,
    weeks: int,
    interviews_by_week: Mapping[date, float] | None = None,
    model: CapacityModel | None = None,
) -> list[WeekCapacity]:
    """Demand against slots opened (DPA booked + DPA still free) for each week from `first_week`."""
    model = model or capacity_model()
    first_week = week_start(first_week)
    week_list = [first_week + timedelta(weeks=i) for i in range(weeks)]
    if interviews_by_week is None:
        history_start = first_week - timedelta(
            weeks=model.moving_average_weeks + max(model.lag_weeks)
        )
        interviews_by_week = interviews_from_bookings(
            session, agency_id=agency_id, first_week=history_start, last_week=week_list[-1]
        )
    demand = forecast_demand(interviews_by_week=interviews_by_week, weeks=week_list, model=model)
    last_day = week_list[-1] + timedelta(days=6)
    zone = agency_context(session, agency_id).zone
    free: Counter[date] = Counter(
        week_start(s.start.astimezone(zone).date())
        for s in find_slots(
            session, agency_id=agency_id, activity="DPA", first_day=first_week, last_day=last_day
        )
    )
    booked: Counter[date] = Counter(
        week_start(day)
        for day in session.scalars(
            select(Booking.local_day).where(
                Booking.agency_id == agency_id,
                Booking.activity == "DPA",
                Booking.status.in_([BOOKED, DONE, NO_SHOW]),
                Booking.local_day >= first_week,
                Booking.local_day <= last_day,
            )
        )
    )
    return [
        WeekCapacity(agency_id, w, demand[w][0], demand[w][2], demand[w][1], booked[w], free[w])
        for w in week_list
    ]


@dataclass(frozen=True)
class CapacityWarning:
    agency_id: str
    week: date
    gap: float
    weeks_ahead: int
    message: str


def capacity_warnings(
    rows: Sequence[WeekCapacity], *, today: date, model: CapacityModel | None = None
) -> list[CapacityWarning]:
    """Weeks within the warning horizon whose demand exceeds the slots opened, before they start."""
    model = model or capacity_model()
    out = []
    for r in rows:
        ahead = (r.week - week_start(today)).days // 7
        if r.gap > 0 and 0 <= ahead <= model.warn_weeks_ahead:
            out.append(
                CapacityWarning(
                    r.agency_id,
                    r.week,
                    r.gap,
                    ahead,
                    f"Semaine du {r.week:%d/%m/%Y} : {r.demand:g} DPA attendus pour {r.slots_opened} "
                    f"créneaux ouverts ; il manque {r.gap:g} créneaux. Ouvrir des plages maintenant.",
                )
            )
    return out


def notify_managers(
    session: Session,
    *,
    warnings: Sequence[CapacityWarning],
    to: Sequence[str],
    now: datetime | None = None,
) -> int:
    """One email per manager listing the agency's coming gaps, through the outbox."""
    if not warnings:
        return 0
    body = "Bonjour,\n\nLa prévision de charge DPA annonce un manque de créneaux :\n\n"
    body += "\n".join(f"- {w.message}" for w in warnings)
    body += (
        "\n\nParcours (prévision : entretiens d'orientation x part France Travail x délai du DPA)."
    )
    for address in to:
        enqueue_email(
            session,
            to=address,
            subject=f"Agence {warnings[0].agency_id} : créneaux DPA insuffisants",
            body=body,
            kind="capacity_gap",
            ref=f"capacity:{warnings[0].agency_id}:{warnings[0].week.isoformat()}",
            now=now or datetime.now(UTC),
        )
    return len(to)
