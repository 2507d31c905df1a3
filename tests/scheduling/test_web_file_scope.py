"""The appointment and contract forms reach the registrant's file only through the logged file view.

A tester found that a counsellor of the agency with no link to a file (not its referent, no
appointment, call or task with the person) could move an appointment and send its notifications to
another address, cancel it, mark it held or missed, and adjust and sign the engagement contract,
without a declared purpose and without a consultation-log entry: the forms checked the agency only,
while the pages that show the same data asked for a purpose. Each form is tried here three ways:
without a purpose (the purpose form, nothing changes, nothing is logged), with a purpose declared for
the file, and as the file's referent (the change is made, one "edit" event is logged with its context).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts.roles import Role
from parcours.consultlog.models import BufferedConsultation
from parcours.db import session_scope
from parcours.engagement.models import ContractAction, EngagementContract
from parcours.engagement.service import create_contract
from parcours.notify.models import OutboxMessage
from parcours.registry.models import Appointment, JobSeeker
from parcours.scheduling.booking import OrientationDecisionRef, book, find_slots
from parcours.scheduling.models import BOOKED, Booking, BookingEvent, OpeningRange
from parcours.web.app import create_app
from parcours.web.testing import World, csrf_token_of, login, seed_world

AGENCY = "AG-A1"
COUNSELLOR = "AG-0001"  # the agent of the logged-in counsellor (test-conseiller)
COLLEAGUE = "AG-0002"  # another counsellor of the same agency, who holds the files used here
PURPOSE = "Remplacement d'un collègue absent"
NEW_EMAIL = "autre.adresse@example.org"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Booked:
    """A DPA booked with the colleague, with or without a contract."""

    booking_id: str
    de_id: str
    contract_id: str | None
    next_slot: str  # a free slot of the same counsellor, for the move form


@dataclass(frozen=True)
class State:
    """Everything a form of these pages could change, plus the file's consultation events."""

    booking: tuple[str, str, datetime, str | None]  # status, counsellor, start, contact e-mail
    events: tuple[tuple[str, str | None], ...]  # booking history: action, reason
    contract: tuple[str, str | None, float, str | None] | None  # status, signer, target, why
    plan: tuple[tuple[str, float, str | None], ...]
    outbox: tuple[tuple[str, str], ...]  # kind, recipient
    log: tuple[tuple[str, str, str | None, str, str | None], ...]  # agent, action, purpose...


@dataclass(frozen=True)
class Change:
    """One form: where it posts (after /rendez-vous/{id}/), on what kind of appointment, the
    consultation context it logs, and how to tell that it was made."""

    path: str
    made: Callable[[State, Booked], bool]
    started: bool = False
    with_contract: bool = True
    context: str = "contrat {contract}, rendez-vous {booking}"

    def form(self, appt: Booked) -> dict[str, str]:
        return {
            "contrat": {
                "portefeuille": "guide",
                "modalite": "parcours_emploi",
                "activites": "atelier_cv",
            },
            "contrat/action": {"activite": "immersion", "heures": "12", "motif": "Demande"},
            "contrat/objectif": {"heures": "20", "justification": "Garde d'enfants le mercredi"},
            "deplacer": {"slot": appt.next_slot, "motif": "Empêchement", "email": NEW_EMAIL},
            "annuler": {"motif": "Reprise d'emploi"},
        }.get(self.path, {})


CHANGES = [
    Change(
        "contrat",
        lambda s, a: s.contract is not None,
        with_contract=False,
        context="contrat, rendez-vous {booking}",
    ),
    Change("contrat/action", lambda s, a: ("immersion", 12.0, "Demande") in s.plan),
    Change("contrat/objectif", lambda s, a: s.contract is not None and s.contract[2] == 20.0),
    Change(
        "contrat/signature",
        lambda s, a: s.contract is not None and s.contract[:2] == ("signed", COUNSELLOR),
    ),
    Change(
        "deplacer",
        lambda s, a: (
            f"{s.booking[1]}|{s.booking[2].isoformat()}" == a.next_slot
            and s.booking[3] == NEW_EMAIL
            and ("dpa_rescheduled", NEW_EMAIL) in s.outbox
        ),
        with_contract=False,
        context="rendez-vous {booking}",
    ),
    Change(
        "annuler",
        lambda s, a: s.booking[0] == "cancelled",
        with_contract=False,
        context="rendez-vous {booking}",
    ),
    Change(
        "absent",
        lambda s, a: s.booking[0] == "no_show",
        started=True,
        with_contract=False,
        context="rendez-vous {booking}",
    ),
    Change(
        "tenu",
        lambda s, a: s.booking[0] == "done",
        started=True,
        with_contract=False,
        context="rendez-vous {booking}",
    ),
]


@pytest.fixture
def world(engine: Engine) -> World:
    with session_scope(engine) as s:
        world = seed_world(s)
        for weekday in range(7):  # open every day: the tests never depend on today's weekday
            s.add(
                OpeningRange(
                    agency_id=AGENCY,
                    agent_id=COLLEAGUE,
                    weekday=weekday,
                    starts=time(8, 0),
                    ends=time(18, 0),
                )
            )
        return world


@pytest.fixture
def counsellor(engine: Engine, world: World) -> Iterator[TestClient]:
    app: FastAPI = create_app(engine=engine)
    with TestClient(app) as client:
        login(client, world.accounts[Role.CONSEILLER], engine=engine)
        yield client


def _person(s: Session, *, referent: str) -> str:
    de_id = f"DE-F3-{next(_serial):04d}"
    s.add(
        JobSeeker(
            de_id=de_id,
            last_name="PORTEE",
            first_names="Test",
            agency_id=AGENCY,
            referent_agent_id=referent,
            department_code="31",
        )
    )
    s.flush()
    return de_id


def _free_slots(s: Session, count: int) -> list[tuple[str, datetime]]:
    first = datetime.now(UTC).date() + timedelta(days=1)
    slots = find_slots(
        s,
        agency_id=AGENCY,
        activity="DPA",
        first_day=first,
        last_day=first + timedelta(days=30),
        agent_id=COLLEAGUE,
        limit=count,
    )
    return [(slot.agent_id, slot.start) for slot in slots]


def _slot_value(slot: tuple[str, datetime]) -> str:
    return f"{slot[0]}|{slot[1].isoformat()}"


def _appointment(engine: Engine, *, referent: str, change: Change) -> Booked:
    """A DPA held by the colleague for a person of the agency whose referent is `referent`."""
    with session_scope(engine) as s:
        de_id = _person(s, referent=referent)
        ref = OrientationDecisionRef(de_id, "FT", AGENCY, datetime.now(UTC).date())
        if change.started:  # written directly, since booking refuses a slot in the past
            start = datetime.now(UTC) - timedelta(minutes=10)
            booking_id = f"rdv-f3-{de_id.lower()}"
            s.add(
                Booking(
                    booking_id=booking_id,
                    agency_id=AGENCY,
                    agent_id=COLLEAGUE,
                    de_id=de_id,
                    activity="DPA",
                    starts_at=start,
                    ends_at=start + timedelta(minutes=45),
                    break_until=start + timedelta(hours=1),
                    local_day=start.date(),
                    status=BOOKED,
                    organisation="FT",
                    decided_on=ref.decided_on,
                    created_at=start,
                    updated_at=start,
                )
            )
            s.add(
                Appointment(
                    appointment_id=booking_id,
                    de_id=de_id,
                    agent_id=COLLEAGUE,
                    starts_at=start,
                    kind="DPA",
                    status="planned",
                )
            )
            s.flush()
        else:
            agent, start = _free_slots(s, 1)[0]
            booking_id = book(
                s, decision=ref, agent_id=agent, starts_at=start, actor_id=COLLEAGUE
            ).booking_id
        contract_id = None
        if change.with_contract:
            contract_id = create_contract(
                s,
                booking_id=booking_id,
                portfolio="suivi",
                modality="parcours_emploi",
                actor_id=COLLEAGUE,
                with_default_plan=["recherche_emploi"],
            ).contract_id
        next_slot = _slot_value(_free_slots(s, 1)[0])
    return Booked(booking_id, de_id, contract_id, next_slot)


def _state(engine: Engine, appt: Booked) -> State:
    with Session(engine) as s:
        b = s.get_one(Booking, appt.booking_id)
        contract = s.scalars(
            select(EngagementContract).where(EngagementContract.booking_id == appt.booking_id)
        ).first()
        plan = (
            s.scalars(
                select(ContractAction)
                .where(ContractAction.contract_id == contract.contract_id)
                .order_by(ContractAction.action_id)
            ).all()
            if contract
            else []
        )
        return State(
            booking=(b.status, b.agent_id, b.starts_at.astimezone(UTC), b.contact_email),
            events=tuple(
                (e.action, e.reason)
                for e in s.scalars(
                    select(BookingEvent)
                    .where(BookingEvent.booking_id == appt.booking_id)
                    .order_by(BookingEvent.event_id)
                )
            ),
            contract=(
                contract.status,
                contract.signed_by,
                contract.target_hours,
                contract.target_justification,
            )
            if contract
            else None,
            plan=tuple((a.activity_code, a.weekly_hours, a.adjustment_reason) for a in plan),
            outbox=tuple(
                (m.kind, m.recipient)
                for m in s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.ref == appt.booking_id)
                    .order_by(OutboxMessage.created_at, OutboxMessage.message_id)
                )
            ),
            log=tuple(
                (c.agent_id, c.action, c.purpose, c.source, c.application)
                for c in s.scalars(
                    select(BufferedConsultation)
                    .where(BufferedConsultation.de_id == appt.de_id)
                    .order_by(BufferedConsultation.id)
                )
            ),
        )


def _post(client: TestClient, appt: Booked, change: Change) -> str:
    """Posts the form as the pages do; returns where the answer (303) sends the browser."""
    r = client.post(
        f"/rendez-vous/{appt.booking_id}/{change.path}",
        data=change.form(appt) | {"csrf_token": csrf_token_of(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def _declare_purpose(client: TestClient, de_id: str, suite: str) -> None:
    r = client.post(
        f"/dossiers/{de_id}/motif",
        data={
            "choice": PURPOSE,
            "suite": suite,
            "csrf_token": csrf_token_of(client),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303


def _back_to(appt: Booked, change: Change) -> str:
    page = "/contrat" if change.path.startswith("contrat") else ""
    return f"/rendez-vous/{appt.booking_id}{page}"


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.path)
def test_outside_scope_without_purpose_changes_nothing(
    engine: Engine, counsellor: TestClient, change: Change
) -> None:
    appt = _appointment(engine, referent=COLLEAGUE, change=change)
    before = _state(engine, appt)

    location = _post(counsellor, appt, change)

    # A form post cannot be replayed as a GET: without a Referer the user comes back to the file.
    assert location == f"/dossiers/{appt.de_id}/motif?suite=/dossiers/{appt.de_id}"
    after = _state(engine, appt)
    assert after == before and not change.made(after, appt)
    assert after.log == ()  # refused before anything was read: no consultation to log


def test_a_purpose_declared_for_another_file_does_not_count(
    engine: Engine, counsellor: TestClient, world: World
) -> None:
    move = next(c for c in CHANGES if c.path == "deplacer")
    appt = _appointment(engine, referent=COLLEAGUE, change=move)
    _declare_purpose(counsellor, world.de_same_agency, f"/dossiers/{world.de_same_agency}")
    before = _state(engine, appt)

    assert _post(counsellor, appt, move).startswith(f"/dossiers/{appt.de_id}/motif?")
    assert _state(engine, appt) == before


@pytest.mark.parametrize("way", ["declared purpose", "referent"])
@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.path)
def test_change_with_purpose_or_relation_is_made_and_logged(
    engine: Engine, counsellor: TestClient, change: Change, way: str
) -> None:
    referent = COUNSELLOR if way == "referent" else COLLEAGUE
    appt = _appointment(engine, referent=referent, change=change)
    if way == "declared purpose":
        _declare_purpose(counsellor, appt.de_id, f"/rendez-vous/{appt.booking_id}")
    before = _state(engine, appt)
    assert not change.made(before, appt)

    location = _post(counsellor, appt, change)

    assert location == _back_to(appt, change)
    after = _state(engine, appt)
    assert change.made(after, appt)
    context = change.context.format(booking=appt.booking_id, contract=appt.contract_id)
    logged = (
        f"{PURPOSE}; contexte : {context}" if way == "declared purpose" else f"contexte : {context}"
    )
    assert after.log == ((COUNSELLOR, "edit", logged, "app", "PARCOURS"),)


def test_booking_a_file_outside_scope_needs_a_purpose(
    engine: Engine, counsellor: TestClient
) -> None:
    with session_scope(engine) as s:
        de_id = _person(s, referent=COLLEAGUE)
        slot = _slot_value(_free_slots(s, 1)[0])
    form = {"slot": slot, "organisation": "FT", "agence": AGENCY, "email": NEW_EMAIL}

    def post() -> str:
        r = counsellor.post(
            f"/rendez-vous/nouveau/{de_id}",
            data=form | {"csrf_token": csrf_token_of(counsellor)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return str(r.headers["location"])

    def bookings_and_log() -> tuple[list[str], list[tuple[str, str, str | None]]]:
        with Session(engine) as s:
            ids = list(s.scalars(select(Booking.booking_id).where(Booking.de_id == de_id)))
            log = [
                (c.agent_id, c.action, c.purpose)
                for c in s.scalars(
                    select(BufferedConsultation).where(BufferedConsultation.de_id == de_id)
                )
            ]
        return ids, log

    assert post() == f"/dossiers/{de_id}/motif?suite=/dossiers/{de_id}"
    assert bookings_and_log() == ([], [])

    _declare_purpose(counsellor, de_id, f"/rendez-vous/nouveau/{de_id}")
    location = post()

    ids, log = bookings_and_log()
    assert location == f"/rendez-vous/{ids[0]}" and len(ids) == 1
    assert log == [(COUNSELLOR, "edit", f"{PURPOSE}; contexte : réservation DPA")]
