"""Reading an agency's calendars from the database into the pure objects of `slots`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.errors import NotFound
from parcours.registry.models import Agency
from parcours.scheduling.activities import ActivityRule, ManagerOverride, resolve_rule
from parcours.scheduling.models import (
    BOOKED,
    Absence,
    ActivityOverrideRow,
    Booking,
    OpeningRange,
)
from parcours.scheduling.slots import (
    Busy,
    CounsellorCalendar,
    Interval,
    RuleForDay,
    WeeklyRange,
)
from parcours.scheduling.territory import public_holidays, zone_for_department


@dataclass(frozen=True)
class AgencyContext:
    agency_id: str
    department_code: str
    msa_experiment: bool
    zone: ZoneInfo
    overrides: tuple[ManagerOverride, ...]

    def rule_for(self, activity: str) -> RuleForDay:
        cache: dict[date, ActivityRule] = {}

        def rule(day: date) -> ActivityRule:
            if day not in cache:
                cache[day] = resolve_rule(
                    activity, day=day, msa_agency=self.msa_experiment, overrides=self.overrides
                )
            return cache[day]

        return rule


def agency_context(session: Session, agency_id: str) -> AgencyContext:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"agence inconnue : {agency_id}")
    overrides = tuple(
        ManagerOverride(o.activity, o.effective_from, o.minutes, o.break_minutes, o.max_per_day)
        for o in session.scalars(
            select(ActivityOverrideRow).where(ActivityOverrideRow.agency_id == agency_id)
        )
    )
    return AgencyContext(
        agency_id=agency_id,
        department_code=agency.department_code,
        msa_experiment=bool(agency.msa_experiment),
        zone=zone_for_department(agency.department_code),
        overrides=overrides,
    )


def load_calendars(
    session: Session,
    *,
    ctx: AgencyContext,
    first_day: date,
    last_day: date,
    agent_ids: Sequence[str] | None = None,
    exclude_booking_id: str | None = None,
) -> list[CounsellorCalendar]:
    """Calendars of the agency's counsellors (those with opening ranges) over local days.

    Four queries whatever the number of counsellors: ranges, absences, bookings, and the agency.
    """
    ranges = session.execute(
        select(
            OpeningRange.agent_id,
            OpeningRange.weekday,
            OpeningRange.starts,
            OpeningRange.ends,
            OpeningRange.valid_from,
            OpeningRange.valid_to,
        ).where(OpeningRange.agency_id == ctx.agency_id)
    ).all()
    agency_hours = tuple(WeeklyRange(*r[1:]) for r in ranges if r[0] is None)
    own: dict[str, list[WeeklyRange]] = defaultdict(list)
    for r in ranges:
        if r[0] is not None and (agent_ids is None or r[0] in agent_ids):
            own[r[0]].append(WeeklyRange(*r[1:]))
    if agent_ids is not None:
        for a in agent_ids:
            own.setdefault(a, [])

    # Wide UTC window: overseas zones are up to 4 h behind and 4 h ahead, breaks spill over.
    lo = datetime.combine(first_day, time(0), tzinfo=UTC) - timedelta(days=1)
    hi = datetime.combine(last_day, time(0), tzinfo=UTC) + timedelta(days=2)
    absences: dict[str | None, list[Interval]] = defaultdict(list)
    for absence in session.scalars(
        select(Absence).where(
            Absence.agency_id == ctx.agency_id, Absence.starts_at < hi, Absence.ends_at > lo
        )
    ):
        absences[absence.agent_id].append(Interval(absence.starts_at, absence.ends_at))

    busy: dict[str, list[Busy]] = defaultdict(list)
    # Plain rows, not ORM objects: this query returns every booking of the agency in the window.
    query = select(
        Booking.agent_id,
        Booking.starts_at,
        Booking.ends_at,
        Booking.break_until,
        Booking.activity,
        Booking.local_day,
    ).where(
        Booking.agency_id == ctx.agency_id,
        Booking.status == BOOKED,
        Booking.local_day >= first_day - timedelta(days=1),
        Booking.local_day <= last_day + timedelta(days=1),
    )
    if agent_ids is not None:
        query = query.where(Booking.agent_id.in_(list(agent_ids)))
    if exclude_booking_id is not None:
        query = query.where(Booking.booking_id != exclude_booking_id)
    for agent_id, start, end, break_until, activity, day in session.execute(query):
        busy[agent_id].append(Busy(start, end, break_until, activity, day))

    holidays = public_holidays(ctx.department_code, first_day, last_day + timedelta(days=1))
    return [
        CounsellorCalendar(
            agent_id=agent_id,
            zone=ctx.zone,
            ranges=tuple(sorted(agent_ranges, key=lambda r: (r.weekday, r.start, r.end))),
            agency_ranges=agency_hours or None,
            holidays=holidays,
            absences=tuple(absences[agent_id] + absences[None]),
            busy=tuple(busy[agent_id]),
        )
        for agent_id, agent_ranges in sorted(own.items())
    ]
