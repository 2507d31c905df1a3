"""The appointment book: offer slots from an orientation decision, book, reschedule in one step,
cancel, record a no-show or a held interview. Every change writes its history, updates the registry
`appointments` row (so detection explains the counsellor's consultations) and notifies the registrant
through the outbox, all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parcours.db import add_or_conflict
from parcours.errors import Conflict, InvalidInput, NotFound
from parcours.notify import enqueue_email, enqueue_sms
from parcours.registry.models import Appointment
from parcours.scheduling.activities import ManagerOverride, check_override
from parcours.scheduling.calendars import AgencyContext, agency_context, load_calendars
from parcours.scheduling.models import (
    BOOKED,
    CANCELLED,
    DONE,
    NO_SHOW,
    ActivityOverrideRow,
    Booking,
    BookingEvent,
    CounsellorDayLock,
    OpeningRange,
)
from parcours.scheduling.slots import Slot, generate_slots, local_day, slot_problems
from parcours.text import says_something

FRANCE_TRAVAIL = "FT"
ORGANISATIONS = {
    "FT": "France Travail",
    "ML": "Mission Locale",
    "CAP_EMPLOI": "Cap emploi",
    "CD": "Conseil départemental",
}
_REGISTRY_STATUS = {BOOKED: "planned", CANCELLED: "cancelled", NO_SHOW: "no_show", DONE: "done"}

# The orientation decisions a DPA follows are those of the law for full employment (loi n° 2023-1196,
# in force on 1 January 2025): an earlier date is no such decision, and the contract's dated
# parameters (engagement/parameters.yaml: the one-month signature deadline, the weekly intensity)
# start then, so the booking's contract could not be drawn up.
EARLIEST_DECISION = date(2025, 1, 1)
# A decision is dated in its agency's local day, and overseas agencies (Réunion, Mayotte) are ahead
# of UTC: one day of margin after today's UTC date.
DECISION_DATE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class OrientationDecisionRef:
    """What booking needs from an orientation decision (the orientation domain's model maps to it)."""

    de_id: str
    organisation: str  # FT | ML | CAP_EMPLOI | CD
    agency_id: str | None
    decided_on: date
    decision_id: str | None = None


@dataclass(frozen=True)
class PartnerHandoff:
    """The person is accompanied by a partner organisation: France Travail books nothing."""

    organisation: str
    label: str
    message: str


@dataclass(frozen=True)
class SlotOffer:
    agency_id: str
    activity: str
    zone: ZoneInfo
    slots: list[Slot]


# The columns that keep a contact (scheduling_bookings, outbox_messages): a longer value is no address
# (RFC 5321 caps a path at 256 characters) and PostgreSQL refused it mid-transaction.
MAX_EMAIL = 254
MAX_PHONE = 32
MAX_REASON = 400  # scheduling_booking_events.reason


@dataclass(frozen=True)
class Contact:
    """Where the registrant asked to be told of changes; its format is checked by the outbox."""

    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if self.email is not None and len(self.email) > MAX_EMAIL:
            raise InvalidInput(f"adresse électronique trop longue ({MAX_EMAIL} caractères au plus)")
        if self.phone is not None and len(self.phone) > MAX_PHONE:
            raise InvalidInput(f"numéro de téléphone trop long ({MAX_PHONE} caractères au plus)")


def check_decision_date(decided_on: date, *, now: datetime | None = None) -> None:
    """An orientation decision's date as a booking records it: not after today (a decision is
    recorded once taken; a date such as 9999-12-31 would be stored with the booking and overflow its
    contract's deadlines), not before the law it applies (`EARLIEST_DECISION`)."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    if decided_on > today + DECISION_DATE_MARGIN:
        raise InvalidInput("La décision d'orientation ne peut pas être datée après aujourd'hui.")
    if decided_on < EARLIEST_DECISION:
        raise InvalidInput(
            "La décision d'orientation ne peut pas être datée avant le "
            f"{EARLIEST_DECISION:%d/%m/%Y} (entrée en vigueur de la loi pour le plein emploi)."
        )


def find_slots(
    session: Session,
    *,
    agency_id: str,
    activity: str,
    first_day: date,
    last_day: date,
    agent_id: str | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Free slots of the agency's counsellors between two local days, earliest first."""
    ctx = agency_context(session, agency_id)
    calendars = load_calendars(
        session,
        ctx=ctx,
        first_day=first_day,
        last_day=last_day,
        agent_ids=[agent_id] if agent_id else None,
    )
    rule = ctx.rule_for(activity)
    slots = [
        s
        for cal in calendars
        for s in generate_slots(cal, first_day=first_day, last_day=last_day, rule_for_day=rule)
    ]
    slots.sort(key=lambda s: (s.start, s.agent_id))
    return slots[:limit] if limit is not None else slots


def offer_slots(
    session: Session,
    *,
    decision: OrientationDecisionRef,
    first_day: date | None = None,
    days: int = 28,
    activity: str = "DPA",
    limit: int | None = None,
    now: datetime | None = None,
) -> SlotOffer | PartnerHandoff:
    """Slots of the agency named by the decision, or the hand-off when another body accompanies.
    Without `first_day`, from the day after the agency's own today: the UTC date is another day
    around midnight wherever the agency is (in Paris, from 00:00 to 01:00 it offered slots of the
    day that had begun)."""
    if decision.organisation != FRANCE_TRAVAIL:
        label = ORGANISATIONS.get(decision.organisation)
        if label is None:
            raise InvalidInput(f"organisme référent inconnu : {decision.organisation}")
        return PartnerHandoff(
            decision.organisation,
            label,
            f"Orientation vers {label} : le premier rendez-vous est fixé par cet organisme ; "
            "transmettre le dossier, aucun DPA France Travail n'est à réserver.",
        )
    if decision.agency_id is None:
        raise InvalidInput("la décision d'orientation ne désigne pas d'agence")
    ctx = agency_context(session, decision.agency_id)
    if first_day is None:
        first_day = local_day(now or datetime.now(UTC), ctx.zone) + timedelta(days=1)
    slots = find_slots(
        session,
        agency_id=decision.agency_id,
        activity=activity,
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
        limit=limit,
    )
    return SlotOffer(decision.agency_id, activity, ctx.zone, slots)


def _lock_days(session: Session, keys: Iterable[tuple[str, date]]) -> None:
    """Serialise writers of the same counsellor-days. Always in sorted order: no deadlock."""
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for agent_id, day in sorted(set(keys)):
        session.execute(
            make_insert(CounsellorDayLock)
            .values(agent_id=agent_id, local_day=day, version=0)
            .on_conflict_do_nothing()
        )
        # The UPDATE takes the row lock (PostgreSQL) / the write lock (SQLite) until commit.
        session.execute(
            update(CounsellorDayLock)
            .where(CounsellorDayLock.agent_id == agent_id, CounsellorDayLock.local_day == day)
            .values(version=CounsellorDayLock.version + 1)
        )


def _check_counsellor(session: Session, *, agency_id: str, agent_id: str) -> None:
    """The counsellor must have opening ranges in the agency, checked before anything is written (the
    counsellor-day lock row included): an unknown id from a form is refused, not locked."""
    found = session.scalar(
        select(OpeningRange.range_id)
        .where(OpeningRange.agency_id == agency_id, OpeningRange.agent_id == agent_id)
        .limit(1)
    )
    if found is None:
        raise InvalidInput(
            f"le conseiller {agent_id[:40]} n'a pas de plage d'ouverture dans cette agence"
        )


def _check_bookable(
    session: Session,
    *,
    ctx: AgencyContext,
    agent_id: str,
    activity: str,
    start: datetime,
    exclude_booking_id: str | None = None,
) -> tuple[datetime, datetime, date]:
    """The same rules as the slot listing, read under the lock. Returns (end, break_until, day)."""
    day = local_day(start, ctx.zone)
    rule = ctx.rule_for(activity)(day)
    [cal] = load_calendars(
        session,
        ctx=ctx,
        first_day=day,
        last_day=day,
        agent_ids=[agent_id],
        exclude_booking_id=exclude_booking_id,
    )
    if not cal.ranges:
        raise InvalidInput(
            f"le conseiller {agent_id} n'a pas de plage d'ouverture dans cette agence"
        )
    problems = slot_problems(cal, start=start, rule=rule)
    if problems:
        raise Conflict("Créneau indisponible : " + " ; ".join(problems))
    end = start + timedelta(minutes=rule.minutes)
    return end, end + timedelta(minutes=rule.break_minutes), day


_TAKEN = "Créneau ou rendez-vous déjà pris (réservation concurrente)"


def _flush_or_conflict(session: Session) -> None:
    """A moved booking: its UPDATE meets the same unique indexes as a new one."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(_TAKEN) from exc


def _sync_registry(session: Session, booking: Booking) -> None:
    row = session.get(Appointment, booking.booking_id)
    if row is None:
        row = Appointment(appointment_id=booking.booking_id)
        session.add(row)
    row.de_id, row.agent_id, row.starts_at = booking.de_id, booking.agent_id, booking.starts_at
    row.kind, row.status = booking.activity, _REGISTRY_STATUS[booking.status]


_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"]  # fmt: skip


def french_datetime(moment: datetime, zone: ZoneInfo) -> str:
    """'lundi 2 mars 2026 à 09h00', in the agency's time: no locale needed on the server."""
    t = moment.astimezone(zone)
    return f"{_DAYS[t.weekday()]} {t.day} {_MONTHS[t.month - 1]} {t.year} à {t:%Hh%M}"


def _notify(
    session: Session,
    booking: Booking,
    zone: ZoneInfo,
    contact: Contact | None,
    kind: str,
    text: str,
) -> None:
    """Tell the registrant through the outbox: the contact given now, else the one kept at booking."""
    if contact is not None:
        booking.contact_email = contact.email or booking.contact_email
        booking.contact_phone = contact.phone or booking.contact_phone
    when = french_datetime(booking.starts_at, zone)
    if booking.contact_email:
        enqueue_email(
            session,
            to=booking.contact_email,
            subject=f"Votre rendez-vous France Travail du {when}",
            body=f"Bonjour,\n\n{text}\n\nDate : {when}\n"
            f"Référence : {booking.booking_id}\n\nFrance Travail",
            kind=kind,
            ref=booking.booking_id,
        )
    if booking.contact_phone:
        enqueue_sms(
            session,
            to=booking.contact_phone,
            body=f"France Travail : {text} {when}.",
            kind=kind,
            ref=booking.booking_id,
        )


def book(
    session: Session,
    *,
    decision: OrientationDecisionRef,
    agent_id: str,
    starts_at: datetime,
    actor_id: str,
    activity: str = "DPA",
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book the DPA (or a later interview) that follows an orientation towards France Travail.
    Raises Conflict if the slot is no longer free, InvalidInput for a partner orientation or a
    decision date after `now` or before the law (`check_decision_date`)."""
    if decision.organisation != FRANCE_TRAVAIL or decision.agency_id is None:
        raise InvalidInput("seule une orientation vers France Travail avec une agence donne un DPA")
    check_decision_date(decision.decided_on, now=now)
    return _book(
        session,
        agency_id=decision.agency_id,
        de_id=decision.de_id,
        decision=decision,
        agent_id=agent_id,
        starts_at=starts_at,
        actor_id=actor_id,
        activity=activity,
        contact=contact,
        now=now,
    )


def book_orientation_interview(
    session: Session,
    *,
    agency_id: str,
    de_id: str,
    agent_id: str,
    starts_at: datetime,
    actor_id: str,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book the orientation interview (EDO), which comes before any decision."""
    return _book(
        session,
        agency_id=agency_id,
        de_id=de_id,
        decision=None,
        agent_id=agent_id,
        starts_at=starts_at,
        actor_id=actor_id,
        activity="EDO",
        contact=contact,
        now=now,
    )


def _book(
    session: Session,
    *,
    agency_id: str,
    de_id: str,
    decision: OrientationDecisionRef | None,
    agent_id: str,
    starts_at: datetime,
    actor_id: str,
    activity: str,
    contact: Contact | None,
    now: datetime | None,
) -> Booking:
    if starts_at.tzinfo is None:
        raise InvalidInput("heure de rendez-vous sans fuseau horaire")
    at = now or datetime.now(UTC)
    if starts_at <= at:
        raise InvalidInput("ce créneau est déjà passé")
    ctx = agency_context(session, agency_id)
    _check_counsellor(session, agency_id=agency_id, agent_id=agent_id)
    _lock_days(session, [(agent_id, local_day(starts_at, ctx.zone))])
    existing = session.scalar(
        select(Booking.booking_id).where(
            Booking.de_id == de_id, Booking.activity == activity, Booking.status == BOOKED
        )
    )
    if existing is not None:
        raise Conflict(f"{de_id} a déjà un rendez-vous {activity} ({existing}) : le déplacer")
    end, break_until, day = _check_bookable(
        session, ctx=ctx, agent_id=agent_id, activity=activity, start=starts_at
    )
    booking = Booking(
        booking_id=f"rdv-{uuid.uuid4().hex[:20]}",
        agency_id=agency_id,
        agent_id=agent_id,
        de_id=de_id,
        activity=activity,
        starts_at=starts_at.astimezone(UTC),
        ends_at=end,
        break_until=break_until,
        local_day=day,
        status=BOOKED,
        organisation=decision.organisation if decision else None,
        decided_on=decision.decided_on if decision else None,
        decision_id=decision.decision_id if decision else None,
        contact_email=contact.email if contact else None,
        contact_phone=contact.phone if contact else None,
        created_at=at,
        updated_at=at,
    )
    add_or_conflict(session, booking, _TAKEN)
    session.execute(
        insert(BookingEvent).values(
            booking_id=booking.booking_id,
            at=at,
            action="booked",
            actor_id=actor_id,
            to_agent_id=agent_id,
            to_starts_at=booking.starts_at,
        )
    )
    _sync_registry(session, booking)
    _notify(session, booking, ctx.zone, contact, f"{activity.lower()}_booked",
            "votre rendez-vous France Travail est fixé.")  # fmt: skip
    return booking


def _live_booking(session: Session, booking_id: str) -> Booking:
    booking = session.get(Booking, booking_id, populate_existing=True)
    if booking is None:
        raise NotFound(f"rendez-vous inconnu : {booking_id}")
    if booking.status != BOOKED:
        raise Conflict(f"le rendez-vous {booking_id} est déjà {booking.status}")
    return booking


def _need_reason(reason: str) -> str:
    if not says_something(reason, at_least=3):
        raise InvalidInput("un motif est obligatoire")
    if len(reason.strip()) > MAX_REASON:
        raise InvalidInput(f"le motif tient en {MAX_REASON} caractères au plus")
    return reason.strip()


def reschedule(
    session: Session,
    *,
    booking_id: str,
    starts_at: datetime,
    reason: str,
    actor_id: str,
    agent_id: str | None = None,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking in one step (same or another counsellor of the agency); history keeps the
    previous time and the reason. The old slot is freed only if the new one is taken."""
    reason = _need_reason(reason)
    at = now or datetime.now(UTC)
    if starts_at.tzinfo is None or starts_at <= at:
        raise InvalidInput("le nouveau créneau doit être à venir")
    current = session.get(Booking, booking_id)
    if current is None:
        raise NotFound(f"rendez-vous inconnu : {booking_id}")
    ctx = agency_context(session, current.agency_id)
    target_agent = agent_id or current.agent_id
    _check_counsellor(session, agency_id=current.agency_id, agent_id=target_agent)
    _lock_days(
        session,
        [(current.agent_id, current.local_day), (target_agent, local_day(starts_at, ctx.zone))],
    )
    booking = _live_booking(session, booking_id)
    end, break_until, day = _check_bookable(
        session,
        ctx=ctx,
        agent_id=target_agent,
        activity=booking.activity,
        start=starts_at,
        exclude_booking_id=booking_id,
    )
    previous = (booking.agent_id, booking.starts_at)
    booking.agent_id, booking.starts_at = target_agent, starts_at.astimezone(UTC)
    booking.ends_at, booking.break_until, booking.local_day = end, break_until, day
    booking.updated_at = at
    _flush_or_conflict(session)
    session.add(
        BookingEvent(
            booking_id=booking_id,
            at=at,
            action="rescheduled",
            actor_id=actor_id,
            reason=reason,
            from_agent_id=previous[0],
            from_starts_at=previous[1],
            to_agent_id=target_agent,
            to_starts_at=booking.starts_at,
        )
    )
    _sync_registry(session, booking)
    _notify(session, booking, ctx.zone, contact, f"{booking.activity.lower()}_rescheduled",
            "votre rendez-vous est déplacé. Nouvelle date ci-dessous.")  # fmt: skip
    return booking


def _close(
    session: Session,
    *,
    booking_id: str,
    status: str,
    actor_id: str,
    reason: str | None,
    now: datetime | None,
) -> Booking:
    booking = _live_booking(session, booking_id)
    at = now or datetime.now(UTC)
    booking.status, booking.updated_at = status, at
    session.add(
        BookingEvent(
            booking_id=booking_id,
            at=at,
            action=status,
            actor_id=actor_id,
            reason=reason,
            from_agent_id=booking.agent_id,
            from_starts_at=booking.starts_at,
        )
    )
    _sync_registry(session, booking)
    return booking


def cancel(
    session: Session,
    *,
    booking_id: str,
    reason: str,
    actor_id: str,
    contact: Contact | None = None,
    now: datetime | None = None,
) -> Booking:
    booking = _close(
        session,
        booking_id=booking_id,
        status=CANCELLED,
        actor_id=actor_id,
        reason=_need_reason(reason),
        now=now,
    )
    zone = agency_context(session, booking.agency_id).zone
    _notify(session, booking, zone, contact, f"{booking.activity.lower()}_cancelled",
            "votre rendez-vous est annulé. Un conseiller vous en proposera un autre.")  # fmt: skip
    return booking


def mark_no_show(
    session: Session, *, booking_id: str, actor_id: str, now: datetime | None = None
) -> Booking:
    at = now or datetime.now(UTC)
    booking = _live_booking(session, booking_id)
    if booking.starts_at > at:
        raise InvalidInput("une absence ne peut être constatée avant l'heure du rendez-vous")
    return _close(
        session, booking_id=booking_id, status=NO_SHOW, actor_id=actor_id, reason=None, now=at
    )


def mark_done(
    session: Session, *, booking_id: str, actor_id: str, now: datetime | None = None
) -> Booking:
    at = now or datetime.now(UTC)
    if _live_booking(session, booking_id).starts_at > at:
        raise InvalidInput("un entretien ne peut être déclaré tenu avant son heure")
    return _close(
        session, booking_id=booking_id, status=DONE, actor_id=actor_id, reason=None, now=at
    )


def history(session: Session, booking_id: str) -> list[BookingEvent]:
    return list(
        session.scalars(
            select(BookingEvent)
            .where(BookingEvent.booking_id == booking_id)
            .order_by(BookingEvent.event_id)
        )
    )


def set_activity_override(
    session: Session,
    *,
    agency_id: str,
    activity: str,
    effective_from: date,
    decided_by: str,
    reason: str,
    minutes: int | None = None,
    break_minutes: int | None = None,
    max_per_day: int | None = None,
    now: datetime | None = None,
) -> ActivityOverrideRow:
    """A manager lengthens interviews or lowers their number from a date; existing bookings keep
    their times (the new rule applies to bookings made from now on)."""
    agency_context(session, agency_id)
    check_override(ManagerOverride(activity, effective_from, minutes, break_minutes, max_per_day))
    row = ActivityOverrideRow(
        agency_id=agency_id,
        activity=activity,
        effective_from=effective_from,
        minutes=minutes,
        break_minutes=break_minutes,
        max_per_day=max_per_day,
        decided_by=decided_by,
        reason=_need_reason(reason),
        created_at=now or datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row
