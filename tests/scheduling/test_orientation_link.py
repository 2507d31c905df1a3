"""Booking reads the orientation decision in force (the orientation domain's model)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from scheduling_factories import make_agency
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.db import session_scope
from parcours.orientation.models import OrientationDecision, OrientationInterview
from parcours.scheduling.booking import PartnerHandoff, SlotOffer, offer_slots
from parcours.scheduling.orientation_link import current_decision_ref


def _decide(s: Session, n: int, organisation: str, at: datetime, kind: str = "initial") -> None:
    s.add(OrientationInterview(
        interview_id=f"I{n}", de_id="DE1", agent_id="AG1-C00", agency_id="AG1", department_code="974",
        msa_experiment=False, channel="phone", form_version="2025-01", status="complete", answers={},
        started_at=at, saved_at=at,
    ))  # fmt: skip
    s.flush()
    s.add(OrientationDecision(
        decision_id=f"D{n}", de_id="DE1", interview_id=f"I{n}", kind=kind, organisation=organisation,
        path="professional", modality="guide", changed=False, decided_by="AG1-C00", decided_at=at,
        department_code="974", agency_id="AG1",
    ))  # fmt: skip
    s.flush()


def test_the_decision_in_force_drives_the_offer(engine: Engine) -> None:
    with session_scope(engine) as s:
        make_agency(s, department="974", counsellors=1)
        assert current_decision_ref(s, de_id="DE1") is None
        # 21:30 UTC on 2 March is already 3 March in La Réunion: the deadline counts from there.
        _decide(s, 1, "ML", datetime(2026, 3, 2, 21, 30, tzinfo=UTC))
        ref = current_decision_ref(s, de_id="DE1")
        assert ref is not None and ref.decided_on == date(2026, 3, 3) and ref.decision_id == "D1"
        assert isinstance(offer_slots(s, decision=ref, first_day=date(2026, 3, 9)), PartnerHandoff)
        # A reorientation towards France Travail: the same person now gets DPA slots.
        _decide(s, 2, "FT", datetime(2026, 3, 20, 8, 0, tzinfo=UTC), kind="reorientation")
        ref = current_decision_ref(s, de_id="DE1")
        assert ref is not None and ref.organisation == "FT" and ref.decision_id == "D2"
        offer = offer_slots(s, decision=ref, first_day=date(2026, 3, 23), days=1)
        assert isinstance(offer, SlotOffer) and len(offer.slots) == 6
