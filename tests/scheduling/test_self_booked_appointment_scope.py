"""An appointment the job seeker booked themselves lets the counsellor who holds it open the file around
that appointment only, and the consultation names the appointment as its purpose.

Before, any appointment ever recorded between the agent and the person (`registry.appointments`, which
every booking writes, whoever booked it) put the file in the agent's scope for ever and without a
purpose: a registrant booking a DPA online gave the counsellor a lasting, untraced access to their
file. The window is detection's own (10 days before, 3 days after: audit/explain/explanations.yaml), so
what the application lets through is what detection counts as explained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts import dossier
from parcours.accounts.dossier import PurposeRequired, file_relation, open_file, related_files
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.audit.explain.contexts import load_explanation_settings
from parcours.consultlog.models import BufferedConsultation
from parcours.db import session_scope
from parcours.registry.models import JobSeeker
from parcours.scheduling.booking import OrientationDecisionRef, book, cancel, find_slots
from parcours.scheduling.models import BookingEvent, OpeningRange
from parcours.web.app import create_app
from parcours.web.testing import World, login, seed_world

AGENCY = "AG-A1"
COUNSELLOR = "AG-0001"  # the agent of the world's counsellor account (test-conseiller)
SELF = "DE-SELF-001"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def world(engine: Engine) -> World:
    with session_scope(engine) as s:
        return seed_world(s)


@pytest.fixture
def client_as(engine: Engine, world: World) -> Iterator[Callable[[Role], TestClient]]:
    app = create_app(engine=engine)
    opened: list[TestClient] = []

    def make(role: Role) -> TestClient:
        c = TestClient(app)
        opened.append(c)
        login(c, world.accounts[role], engine=engine)
        return c

    yield make
    for c in opened:
        c.close()


@pytest.fixture
def booked(engine: Engine, world: World) -> tuple[str, datetime]:
    """A DPA the registrant booked themselves (their own id as the actor) with the counsellor, who is
    not their referent: (booking id, start)."""
    with session_scope(engine) as s:
        for weekday in range(7):
            s.add(OpeningRange(agency_id=AGENCY, agent_id=COUNSELLOR, weekday=weekday,
                               starts=time(8, 0), ends=time(18, 0)))  # fmt: skip
        s.add(JobSeeker(de_id=SELF, last_name="AUTONOME", first_names="Léa", agency_id=AGENCY,
                        referent_agent_id="AG-0002", department_code="31"))  # fmt: skip
        s.flush()
        first = datetime.now(UTC).date() + timedelta(days=1)
        slot = find_slots(s, agency_id=AGENCY, activity="DPA", first_day=first,
                          last_day=first + timedelta(days=8), agent_id=COUNSELLOR, limit=1)[0]  # fmt: skip
        ref = OrientationDecisionRef(SELF, "FT", AGENCY, datetime.now(UTC).date())
        b = book(s, decision=ref, agent_id=COUNSELLOR, starts_at=slot.start, actor_id=SELF)
        return b.booking_id, b.starts_at


def _counsellor(s: Session, world: World) -> User:
    return s.scalars(select(User).where(User.login == world.accounts[Role.CONSEILLER].login)).one()


def test_the_window_is_detections_own() -> None:
    windows = load_explanation_settings().windows
    assert windows.appointment_days_before == dossier.APPOINTMENT_DAYS_BEFORE
    assert windows.appointment_days_after == dossier.APPOINTMENT_DAYS_AFTER


def test_the_appointment_opens_the_file_only_around_its_date(
    engine: Engine, world: World, booked: tuple[str, datetime]
) -> None:
    booking_id, start = booked
    with Session(engine) as s:
        actors = s.scalars(
            select(BookingEvent.actor_id).where(BookingEvent.booking_id == booking_id)
        )
        assert list(actors) == [SELF]  # booked by the registrant themselves
        user = _counsellor(s, world)
        inside = [
            start - timedelta(days=dossier.APPOINTMENT_DAYS_BEFORE),
            start - timedelta(hours=1),
            start + timedelta(days=dossier.APPOINTMENT_DAYS_AFTER),
        ]
        outside = [
            start - timedelta(days=dossier.APPOINTMENT_DAYS_BEFORE, seconds=1),
            start + timedelta(days=dossier.APPOINTMENT_DAYS_AFTER, seconds=1),
            start + timedelta(days=365),
        ]
        for now in inside:
            relation = file_relation(s, user=user, de_id=SELF, now=now)
            assert relation is not None and booking_id in relation, now
            assert related_files(s, user=user, de_ids=[SELF], now=now) == {SELF}
            view = open_file(s, user, SELF, action="view", now=now)
            assert view.relation == relation and view.purpose is None
        for now in outside:
            assert file_relation(s, user=user, de_id=SELF, now=now) is None, now
            assert related_files(s, user=user, de_ids=[SELF], now=now) == set()
            with pytest.raises(PurposeRequired):
                open_file(s, user, SELF, action="view", now=now)
        s.rollback()


def test_each_opening_names_the_appointment_as_its_purpose(
    engine: Engine, world: World, booked: tuple[str, datetime],
    client_as: Callable[[Role], TestClient],
) -> None:  # fmt: skip
    booking_id, _ = booked
    c = client_as(Role.CONSEILLER)
    page = c.get(f"/dossiers/{SELF}")
    assert (
        page.status_code == 200 and f"rendez-vous avec vous : rendez-vous {booking_id}" in page.text
    )
    assert c.get(f"/rendez-vous/{booking_id}").status_code == 200
    with Session(engine) as s:
        purposes = list(
            s.scalars(
                select(BufferedConsultation.purpose)
                .where(BufferedConsultation.de_id == SELF)
                .order_by(BufferedConsultation.ts)
            )
        )
    assert len(purposes) == 2
    assert all(p and p.startswith(f"rendez-vous {booking_id} (DPA) du ") for p in purposes)
    assert purposes[1].endswith(f"; contexte : rendez-vous {booking_id}")  # type: ignore[union-attr]
    # Someone without an appointment with the person still needs a purpose.
    correspondent = client_as(Role.CORRESPONDANT)
    assert correspondent.get(f"/dossiers/{SELF}", follow_redirects=False).status_code == 303


def test_a_cancelled_appointment_still_covers_its_follow_up_only(
    engine: Engine, world: World, booked: tuple[str, datetime]
) -> None:
    """Cancelled by the registrant: the counsellor may follow it up (a new date is to be offered)
    within the same window, and no longer after it."""
    booking_id, start = booked
    with session_scope(engine) as s:
        cancel(s, booking_id=booking_id, reason="Empêchement", actor_id=SELF)
    with Session(engine) as s:
        user = _counsellor(s, world)
        assert file_relation(s, user=user, de_id=SELF, now=start) is not None
        later = start + timedelta(days=dossier.APPOINTMENT_DAYS_AFTER + 1)
        assert file_relation(s, user=user, de_id=SELF, now=later) is None
