"""Interview to decision on SQLite and PostgreSQL: drafts, proposal, decision, claims."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from parcours.errors import Conflict, InvalidInput
from parcours.orientation import service
from parcours.orientation.models import (
    BenefitClaim,
    OrientationDecision,
    OrientationInterview,
    OrientationProposal,
)
from parcours.registry.models import JobSeeker

from .factories import agency, answers

T0 = datetime(2025, 5, 12, 9, 0)  # naive: Europe/Paris
DONE = T0 + timedelta(minutes=14)  # when `_completed` completes the interview


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        agency(s)
        yield s


def _completed(session: Session, **overrides: object) -> OrientationProposal:
    interview = service.start_interview(
        session, de_id="DE1", agent_id="AG1", agency_id="A31001", channel="phone", started_at=T0
    )
    service.save_answers(
        session, interview_id=interview.interview_id, answers=answers(**overrides), saved_at=T0
    )
    return service.complete_interview(
        session, interview_id=interview.interview_id, completed_at=DONE
    )


def test_draft_autosave_keeps_partial_answers_and_refuses_wrong_ones(session: Session) -> None:
    interview = service.start_interview(
        session, de_id="DE1", agent_id="AG1", agency_id="A31001", channel="phone", started_at=T0
    )
    assert interview.department_code == "31"
    assert interview.form_version == "edo-2025-01"
    service.save_answers(
        session, interview_id=interview.interview_id, answers={"age": 40}, saved_at=T0
    )
    service.save_answers(
        session, interview_id=interview.interview_id, answers={"rsa": "oui"}, saved_at=T0
    )
    with pytest.raises(InvalidInput, match="qualification"):
        service.save_answers(
            session,
            interview_id=interview.interview_id,
            answers={"qualification": "doctorat"},
            saved_at=T0,
        )
    session.commit()
    session.expire_all()
    stored = session.get(OrientationInterview, interview.interview_id)
    assert stored is not None
    assert stored.status == "draft"
    assert stored.answers == {"age": 40, "rsa": True}
    with pytest.raises(InvalidInput, match="réponse manquante"):
        service.complete_interview(
            session, interview_id=interview.interview_id, completed_at=T0 + timedelta(minutes=5)
        )


def test_completion_stores_proposal_with_trace_and_duration(session: Session) -> None:
    proposal = _completed(session, age=24, qualification="bac3plus")
    session.commit()
    assert (proposal.organisation, proposal.modality) == ("FT", "apec_jeunes_diplomes")
    assert proposal.rule_version == "2025-04"
    assert proposal.programme_id == "apec_jeunes_diplomes_31"
    assert proposal.trace[-1]["text"].startswith("Jeune diplômé")
    interview = session.get(OrientationInterview, proposal.interview_id)
    assert interview is not None
    assert interview.status == "complete"
    assert interview.duration_seconds == 14 * 60
    assert interview.answers["difficulty_other_detail"] == ""  # hidden question filled
    with pytest.raises(Conflict):
        service.save_answers(
            session, interview_id=interview.interview_id, answers={"age": 30}, saved_at=T0
        )


def test_registration_never_creates_an_unasked_benefit_claim(session: Session) -> None:
    _completed(session, benefit_claim_requested=False)
    session.commit()
    assert session.scalar(select(func.count()).select_from(BenefitClaim)) == 0
    asked = _completed(session, benefit_claim_requested=True)
    session.commit()
    claims = session.scalars(select(BenefitClaim)).all()
    assert [c.interview_id for c in claims] == [asked.interview_id]


def test_confirm_and_change_are_separate_from_the_proposal(session: Session) -> None:
    proposal = _completed(session, difficulty_childcare="strong")
    assert (proposal.organisation, proposal.path, proposal.modality) == (
        "FT",
        "socio_professional",
        "global",
    )
    with pytest.raises(InvalidInput) as err:
        service.decide(
            session,
            interview_id=proposal.interview_id,
            agent_id="AG1",
            decided_at=DONE,
            modality="renforce",
        )
    assert {i.column for i in err.value.issues} == {"change_reason", "change_comment"}
    decision = service.decide(
        session,
        interview_id=proposal.interview_id,
        agent_id="AG1",
        decided_at=T0 + timedelta(minutes=15),
        modality="renforce",
        change_reason="situation_changed",
        change_comment="Solution de garde trouvée pendant l'entretien.",
    )
    session.commit()
    assert decision.changed and decision.proposal_id == proposal.proposal_id
    session.expire_all()
    kept = session.get(OrientationProposal, proposal.proposal_id)
    assert kept is not None and kept.modality == "global"  # the proposal is untouched
    with pytest.raises(Conflict):
        service.decide(session, interview_id=proposal.interview_id, agent_id="AG1", decided_at=DONE)


def test_confirmation_needs_no_reason(session: Session) -> None:
    proposal = _completed(session)
    decision = service.decide(
        session, interview_id=proposal.interview_id, agent_id="AG1", decided_at=DONE
    )
    assert not decision.changed and decision.change_reason is None
    assert decision.modality == proposal.modality


def test_a_decision_cannot_precede_its_interview(session: Session) -> None:
    proposal = _completed(session)
    for before in (T0 - timedelta(days=1), DONE - timedelta(minutes=1)):  # before it, during it
        with pytest.raises(InvalidInput, match="ne peut pas précéder l'entretien") as err:
            service.decide(
                session, interview_id=proposal.interview_id, agent_id="AG1", decided_at=before
            )
        assert [i.column for i in err.value.issues] == ["decided_at"]
        assert "12/05/2025 à 09:14" in err.value.issues[0].reason  # local time of completion
    assert session.scalar(select(func.count()).select_from(OrientationDecision)) == 0
    # The same moment in another zone is not earlier: 07:14 UTC is 09:14 in Paris.
    decision = service.decide(
        session,
        interview_id=proposal.interview_id,
        agent_id="AG1",
        decided_at=datetime(2025, 5, 12, 7, 14, tzinfo=UTC),
    )
    assert decision.decided_at == datetime(2025, 5, 12, 7, 14, tzinfo=UTC)


def test_reorientation_is_a_new_decision_and_nothing_is_overwritten(session: Session) -> None:
    proposal = _completed(session, rsa=True)
    first = service.decide(
        session, interview_id=proposal.interview_id, agent_id="AG1", decided_at=DONE
    )
    later = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
    second = service.reorient(
        session,
        de_id="DE1",
        agent_id="AG2",
        decided_at=later,
        organisation="CD",
        path="social",
        modality="parcours_social",
        change_reason="situation_changed",
        change_comment="Perte de logement.",
    )
    session.commit()
    assert second.supersedes_id == first.decision_id and second.kind == "reorientation"
    current = service.current_decision(session, de_id="DE1")
    assert current is not None and current.decision_id == second.decision_id
    assert [d.decision_id for d in service.decision_history(session, de_id="DE1")] == [
        first.decision_id,
        second.decision_id,
    ]
    first.modality = "guide"
    with pytest.raises(Conflict, match="never modified"):
        session.flush()
    session.rollback()
    with pytest.raises(Conflict):
        service.reorient(
            session,
            de_id="DE1",
            agent_id="AG2",
            decided_at=later - timedelta(days=1),
            organisation="FT",
            path="professional",
            modality="guide",
            change_reason="other",
            change_comment="x",
        )
    assert session.scalar(select(func.count()).select_from(OrientationDecision)) == 2


def test_dpa_orientation_is_held_in_person(session: Session) -> None:
    with pytest.raises(InvalidInput, match="sur place"):
        service.start_interview(
            session,
            de_id="DE9",
            agent_id="AG1",
            agency_id="A31001",
            channel="phone",
            dpa_orientation=True,
            started_at=T0,
        )
    interview = service.start_interview(
        session,
        de_id="DE9",
        agent_id="AG1",
        agency_id="A31001",
        channel="in_person",
        dpa_orientation=True,
        started_at=T0,
    )
    assert service.target_minutes(interview) == 15
    agency(session, agency_id="A12001", department="12", msa=True)
    msa = service.start_interview(
        session, de_id="DE10", agent_id="AG1", agency_id="A12001", channel="phone", started_at=T0
    )
    assert msa.msa_experiment and service.target_minutes(msa) == 20


def test_two_simultaneous_decisions_record_one(
    session: Session, race: Callable[..., list[str]]
) -> None:
    """Both counsellors pass the 'no decision yet' check before either commits: the database
    keeps one initial decision per interview and one revision per decision, the other one is told."""
    proposal = _completed(session)
    session.commit()
    outcomes = race(
        lambda s: service.decide(
            s, interview_id=proposal.interview_id, agent_id="AG1", decided_at=DONE
        ),
    )
    assert outcomes == ["recorded", "conflict"]
    assert session.scalar(select(func.count()).select_from(OrientationDecision)) == 1

    def revise(s: Session) -> object:
        return service.reorient(
            s,
            de_id="DE1",
            agent_id="AG2",
            decided_at=T0 + timedelta(days=30),
            organisation="CD",
            path="social",
            modality="parcours_social",
            change_reason="situation_changed",
            change_comment="Perte de logement.",
        )

    assert race(revise) == ["recorded", "conflict"]
    assert session.scalar(select(func.count()).select_from(OrientationDecision)) == 2


def test_text_answers_and_comments_say_something_and_stay_short(session: Session) -> None:
    """Old code: a trade of 100,000 characters was stored with the interview, an answer of spaces or
    invisible characters answered a required question, and a change of organisation was recorded
    with a comment made of one zero-width space."""
    interview = service.start_interview(
        session, de_id="DE1", agent_id="AG1", agency_id="A31001", channel="phone", started_at=T0
    )
    with pytest.raises(InvalidInput, match="300 caractères au plus"):
        service.save_answers(
            session, interview_id=interview.interview_id, answers={"trade": "x" * 301}, saved_at=T0
        )
    service.save_answers(
        session, interview_id=interview.interview_id, answers=answers(trade="\u200b "), saved_at=T0
    )
    with pytest.raises(InvalidInput, match="réponse manquante"):
        service.complete_interview(session, interview_id=interview.interview_id, completed_at=DONE)
    session.delete(interview)  # another person's interview below: DE1 keeps a draft
    session.flush()
    proposal = _completed(session)
    with pytest.raises(InvalidInput) as err:
        service.decide(
            session, interview_id=proposal.interview_id, agent_id="AG1", decided_at=DONE,
            modality="renforce", change_reason="situation_changed", change_comment="\u200b",
        )  # fmt: skip
    assert [i.column for i in err.value.issues] == ["change_comment"]


def test_a_decision_names_a_modality_its_organisation_delivers(session: Session) -> None:
    """Old code: each field was checked against its own list only, so the CD was recorded with a
    CEJ on the professional path, a combination no chart and no organisation offers."""
    proposal = _completed(session)
    with pytest.raises(InvalidInput) as err:
        service.decide(
            session, interview_id=proposal.interview_id, agent_id="AG1", decided_at=DONE,
            organisation="CD", path="professional", modality="cej",
            change_reason="situation_changed", change_comment="Suivi par le département.",
        )  # fmt: skip
    assert [(i.column, i.reason) for i in err.value.issues] == [
        ("modality", "« Contrat d'engagement jeune (CEJ) » n'est pas une modalité de "
                     "« Conseil départemental »")
    ]  # fmt: skip


def test_one_initial_orientation_per_registration(session: Session) -> None:
    """Old code: a second interview could be opened beside a draft (three drafts by repeated
    submits), and a new interview after the decision recorded a second initial decision that
    replaced the one in force with no reason nor comment, counted twice in the national report."""
    session.add(JobSeeker(de_id="DE1", last_name="NOM", first_names="Prénom", agency_id="A31001",
                          registered_on=date(2025, 5, 2)))  # fmt: skip
    session.flush()
    draft = service.start_interview(
        session, de_id="DE1", agent_id="AG1", agency_id="A31001", channel="phone", started_at=T0
    )
    with pytest.raises(Conflict, match="déjà en cours"):
        service.start_interview(
            session, de_id="DE1", agent_id="AG2", agency_id="A31001", channel="phone", started_at=T0
        )
    session.delete(draft)
    session.flush()
    proposal = _completed(session)
    service.decide(session, interview_id=proposal.interview_id, agent_id="AG1", decided_at=DONE)
    later = T0 + timedelta(days=30)
    with pytest.raises(Conflict, match="réorientation"):
        service.start_interview(
            session, de_id="DE1", agent_id="AG1", agency_id="A31001", channel="phone",
            started_at=later,
        )  # fmt: skip
    # Registered again after leaving: a new registration, a new initial orientation.
    seeker = session.get(JobSeeker, "DE1")
    assert seeker is not None
    seeker.registered_on = date(2025, 6, 10)
    session.flush()
    again = service.start_interview(
        session, de_id="DE1", agent_id="AG1", agency_id="A31001", channel="phone", started_at=later
    )
    assert again.status == "draft"
