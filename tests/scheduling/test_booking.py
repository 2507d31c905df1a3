from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from scheduling_factories import decision, make_agency
from sqlalchemy import Engine, func, select

from parcours.db import session_scope
from parcours.errors import Conflict, InvalidInput
from parcours.notify.models import OutboxMessage
from parcours.registry.models import Appointment
from parcours.scheduling.booking import (
    EARLIEST_DECISION,
    Contact,
    PartnerHandoff,
    SlotOffer,
    book,
    cancel,
    check_decision_date,
    find_slots,
    history,
    mark_done,
    mark_no_show,
    offer_slots,
    reschedule,
    set_activity_override,
)
from parcours.scheduling.models import Absence, Booking

# Bookings are made before the appointments they book (past slots are refused).
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 3, 2)


def at(day: date, hh: int, mm: int = 0, zone: ZoneInfo = PARIS) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=zone)


def test_offer_from_decision_and_partner_handoff(engine: Engine) -> None:
    with session_scope(engine) as s:
        make_agency(s)
        offer = offer_slots(s, decision=decision("DE1"), first_day=MONDAY, days=5)
        handoff = offer_slots(s, decision=decision("DE2", organisation="ML"), first_day=MONDAY)
    assert isinstance(offer, SlotOffer)
    assert isinstance(handoff, PartnerHandoff) and handoff.label == "Mission Locale"
    first = offer.slots[0]
    # 08:30 local, 45 min; counsellor afternoons end at 16:30 because the agency closes then.
    assert first.start == at(MONDAY, 8, 30) and first.end - first.start == timedelta(minutes=45)
    assert all(s.end.astimezone(PARIS).time() <= time(16, 30) for s in offer.slots)
    # 6 DPA max per counsellor per day, 2 counsellors, 5 days.
    assert len(offer.slots) == 6 * 2 * 5


@pytest.mark.parametrize(
    ("department", "now", "first_local_day"),
    [
        # 00:30 in Paris on Tuesday 3 March is still Monday in UTC: the offer starts on Wednesday.
        ("31", datetime(2026, 3, 2, 23, 30, tzinfo=UTC), date(2026, 3, 4)),
        # 21:00 in Martinique on Monday is Tuesday in UTC: the offer starts on Tuesday, not Wednesday.
        ("972", datetime(2026, 3, 3, 1, 0, tzinfo=UTC), date(2026, 3, 3)),
    ],
)
def test_the_offer_starts_the_day_after_the_agencys_own_today(
    engine: Engine, department: str, now: datetime, first_local_day: date
) -> None:
    """Old code: the web page searched from the day after the UTC date."""
    with session_scope(engine) as s:
        make_agency(s, agency_id="AGX", department=department)
        offer = offer_slots(s, decision=decision("DE1", agency_id="AGX"), days=3, now=now)
    assert isinstance(offer, SlotOffer) and offer.slots
    assert offer.slots[0].start.astimezone(offer.zone).date() == first_local_day
    assert all(slot.start > now for slot in offer.slots)


def test_book_updates_registry_and_notifies(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, _c1] = make_agency(s)
        b = book(
            s,
            now=BEFORE,
            decision=decision("DE1"),
            agent_id=c0,
            starts_at=at(MONDAY, 9, 30),
            actor_id="AGT9",
            contact=Contact(email="de1@example.org", phone="+33612345678"),
        )
        booking_id = b.booking_id
    with session_scope(engine) as s:
        appt = s.get_one(Appointment, booking_id)
        assert (appt.kind, appt.status, appt.agent_id, appt.de_id) == ("DPA", "planned", c0, "DE1")
        assert appt.starts_at.replace(tzinfo=UTC) == at(MONDAY, 9, 30)
        msgs = s.scalars(select(OutboxMessage).order_by(OutboxMessage.channel)).all()
        assert [m.channel for m in msgs] == ["email", "sms"]
        assert "lundi 2 mars 2026 à 09h30" in msgs[0].subject


def test_booking_enforces_break_limits_hours_holidays_absences(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, _] = make_agency(s)
        book(
            s,
            now=BEFORE,
            decision=decision("DE1"),
            agent_id=c0,
            starts_at=at(MONDAY, 9),
            actor_id="X",
        )
        # 09:45 is inside the 15-minute break after the 09:00 DPA.
        with pytest.raises(Conflict, match="pause"):
            book(
                s,
                now=BEFORE,
                decision=decision("DE2"),
                agent_id=c0,
                starts_at=at(MONDAY, 9, 45),
                actor_id="X",
            )
        book(
            s,
            now=BEFORE,
            decision=decision("DE2"),
            agent_id=c0,
            starts_at=at(MONDAY, 10),
            actor_id="X",
        )
        # Before the DPA that starts at 10:00, ending exactly when it starts but with a break: refused.
        with pytest.raises(Conflict):
            book(
                s,
                now=BEFORE,
                decision=decision("DE3"),
                agent_id=c0,
                starts_at=at(MONDAY, 8, 30),
                actor_id="X",
            )
        # Outside opening hours, on a holiday (Easter Monday 6 April 2026), during an absence.
        with pytest.raises(Conflict, match="plages"):
            book(
                s,
                now=BEFORE,
                decision=decision("DE3"),
                agent_id=c0,
                starts_at=at(MONDAY, 12),
                actor_id="X",
            )
        with pytest.raises(Conflict, match="férié"):
            book(
                s,
                now=BEFORE,
                decision=decision("DE3"),
                agent_id=c0,
                starts_at=at(date(2026, 4, 6), 9),
                actor_id="X",
            )
        s.add(
            Absence(
                agency_id="AG1",
                agent_id=c0,
                starts_at=at(MONDAY, 13),
                ends_at=at(MONDAY, 18),
                reason="formation",
            )
        )
        s.flush()
        with pytest.raises(Conflict, match="absent"):
            book(
                s,
                now=BEFORE,
                decision=decision("DE3"),
                agent_id=c0,
                starts_at=at(MONDAY, 14),
                actor_id="X",
            )
        # A registrant holds one live DPA: the second must be a rescheduling.
        with pytest.raises(Conflict, match="déjà un rendez-vous"):
            book(
                s,
                now=BEFORE,
                decision=decision("DE1"),
                agent_id=c0,
                starts_at=at(MONDAY, 11),
                actor_id="X",
            )
        with pytest.raises(InvalidInput, match="passé"):
            book(s, decision=decision("DE5"), agent_id=c0, starts_at=at(MONDAY, 11), actor_id="X")
        with pytest.raises(InvalidInput):
            book(
                s,
                now=BEFORE,
                decision=decision("DE4", organisation="CD"),
                agent_id=c0,
                starts_at=at(MONDAY, 11),
                actor_id="X",
            )


def test_the_decision_date_is_checked_by_booking_itself(engine: Engine) -> None:
    """Not only by the pages: a decision cannot be dated after the booking's day (one day of margin,
    overseas agencies being ahead of UTC) nor before the law whose decisions a DPA follows (1 January
    2025, when the contract's dated parameters start). Nothing is written for a refused date."""
    booked_on = BEFORE.date()
    future = "La décision d'orientation ne peut pas être datée après aujourd'hui."
    too_old = "ne peut pas être datée avant le 01/01/2025"
    refused = [
        (booked_on + timedelta(days=2), future),
        (date(9999, 12, 31), future),
        (EARLIEST_DECISION - timedelta(days=1), too_old),
        (date(1, 1, 1), too_old),
    ]
    with session_scope(engine) as s:
        [c0, _] = make_agency(s)
        for day, message in refused:
            with pytest.raises(InvalidInput, match=re.escape(message)):
                book(s, now=BEFORE, decision=decision("DE1", decided_on=day), agent_id=c0,
                     starts_at=at(MONDAY, 9), actor_id="X")  # fmt: skip
            with pytest.raises(InvalidInput, match=re.escape(message)):
                check_decision_date(day, now=BEFORE)
        assert s.scalar(select(func.count()).select_from(Booking)) == 0
        for i, day in enumerate((booked_on + timedelta(days=1), booked_on, EARLIEST_DECISION)):
            b = book(s, now=BEFORE, decision=decision(f"DE{i}", decided_on=day), agent_id=c0,
                     starts_at=at(MONDAY, 9 + i), actor_id="X")  # fmt: skip
            assert b.decided_on == day


def test_daily_maximum_and_manager_override(engine: Engine) -> None:
    tuesday = MONDAY + timedelta(days=1)
    with session_scope(engine) as s:
        [c0, _] = make_agency(s)
        set_activity_override(
            s, agency_id="AG1", activity="DPA", effective_from=tuesday, minutes=60, max_per_day=2,
            decided_by="MGR1", reason="Montée en compétence de l'équipe",
        )  # fmt: skip
        # Monday: national rule (45 min); Tuesday: 60 min and 2 per day.
        monday_slots = find_slots(
            s, agency_id="AG1", activity="DPA", first_day=MONDAY, last_day=MONDAY, agent_id=c0
        )
        tuesday_slots = find_slots(
            s, agency_id="AG1", activity="DPA", first_day=tuesday, last_day=tuesday, agent_id=c0
        )
        assert monday_slots[0].end - monday_slots[0].start == timedelta(minutes=45)
        assert len(tuesday_slots) == 2 and tuesday_slots[0].end - tuesday_slots[
            0
        ].start == timedelta(hours=1)
        book(
            s,
            now=BEFORE,
            decision=decision("DE1"),
            agent_id=c0,
            starts_at=at(tuesday, 9),
            actor_id="X",
        )
        b2 = book(
            s,
            now=BEFORE,
            decision=decision("DE2"),
            agent_id=c0,
            starts_at=at(tuesday, 14),
            actor_id="X",
        )
        assert b2.ends_at - b2.starts_at == timedelta(hours=1)
        with pytest.raises(Conflict, match="maximum"):
            book(
                s,
                now=BEFORE,
                decision=decision("DE3"),
                agent_id=c0,
                starts_at=at(tuesday, 15, 30),
                actor_id="X",
            )
        with pytest.raises(InvalidInput, match="cadre national"):
            set_activity_override(
                s, agency_id="AG1", activity="DPA", effective_from=tuesday, minutes=90,
                decided_by="MGR1", reason="trop long",
            )  # fmt: skip


def test_reschedule_in_one_step_keeps_history(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, c1] = make_agency(s)
        b = book(
            s,
            now=BEFORE,
            decision=decision("DE1"),
            agent_id=c0,
            starts_at=at(MONDAY, 9),
            actor_id="X",
        )
        other = book(
            s,
            now=BEFORE,
            decision=decision("DE2"),
            agent_id=c1,
            starts_at=at(MONDAY, 14),
            actor_id="X",
        )
        # Into a taken slot: refused, the original booking untouched.
        with pytest.raises(Conflict):
            reschedule(
                s,
                now=BEFORE,
                booking_id=b.booking_id,
                agent_id=c1,
                starts_at=at(MONDAY, 14),
                reason="demande",
                actor_id="X",
            )
        assert b.starts_at == at(MONDAY, 9)
        # Moving by 30 min overlaps its own old time: allowed, it is the same appointment.
        moved = reschedule(
            s, now=BEFORE, booking_id=b.booking_id, starts_at=at(MONDAY, 9, 30), reason="Retard de transport",
            actor_id="X", contact=Contact(email="de1@example.org"),
        )  # fmt: skip
        assert moved.booking_id == b.booking_id and moved.starts_at == at(MONDAY, 9, 30)
        events = history(s, b.booking_id)
        assert [e.action for e in events] == ["booked", "rescheduled"]
        assert events[1].reason == "Retard de transport" and events[1].from_starts_at == at(
            MONDAY, 9
        )
        assert s.get_one(Appointment, b.booking_id).starts_at.replace(tzinfo=UTC) == at(
            MONDAY, 9, 30
        )
        with pytest.raises(InvalidInput, match="motif"):
            reschedule(
                s,
                now=BEFORE,
                booking_id=b.booking_id,
                starts_at=at(MONDAY, 11),
                reason=" ",
                actor_id="X",
            )
        cancel(s, booking_id=other.booking_id, reason="Reprise d'emploi", actor_id="X")
        assert s.get_one(Appointment, other.booking_id).status == "cancelled"
        with pytest.raises(Conflict):
            cancel(s, booking_id=other.booking_id, reason="deux fois", actor_id="X")
        # The freed slot can be booked again.
        book(
            s,
            now=BEFORE,
            decision=decision("DE3"),
            agent_id=c1,
            starts_at=at(MONDAY, 14),
            actor_id="X",
        )


def test_no_show_and_done(engine: Engine) -> None:
    with session_scope(engine) as s:
        [c0, _] = make_agency(s)
        b1 = book(
            s,
            now=BEFORE,
            decision=decision("DE1"),
            agent_id=c0,
            starts_at=at(MONDAY, 9),
            actor_id="X",
        )
        b2 = book(
            s,
            now=BEFORE,
            decision=decision("DE2"),
            agent_id=c0,
            starts_at=at(MONDAY, 10),
            actor_id="X",
        )
        with pytest.raises(InvalidInput):
            mark_no_show(s, booking_id=b1.booking_id, actor_id="X", now=at(MONDAY, 8))
        mark_no_show(s, booking_id=b1.booking_id, actor_id="X", now=at(MONDAY, 9, 20))
        mark_done(s, booking_id=b2.booking_id, actor_id="X", now=at(MONDAY, 11))
        assert s.get_one(Appointment, b1.booking_id).status == "no_show"
        assert s.get_one(Appointment, b2.booking_id).status == "done"


def test_overseas_agency_books_in_local_time(engine: Engine) -> None:
    reunion = ZoneInfo("Indian/Reunion")
    with session_scope(engine) as s:
        [c0] = make_agency(s, agency_id="AG974", department="974", counsellors=1)
        slots = find_slots(s, agency_id="AG974", activity="DPA", first_day=MONDAY, last_day=MONDAY)
        assert slots[0].start == at(MONDAY, 8, 30, reunion)
        assert slots[0].start.astimezone(UTC).hour == 4
        b = book(
            s,
            now=BEFORE,
            decision=decision("DE1", agency_id="AG974"),
            agent_id=c0,
            starts_at=at(MONDAY, 8, 30, reunion),
            actor_id="X",
        )
        assert b.local_day == MONDAY
