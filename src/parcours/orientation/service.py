"""The registration interview, from the first answer to the counsellor's decision.

A draft keeps every autosaved answer; completing it evaluates the rules and stores the proposal;
the counsellor then confirms or changes it (a change needs a reason code and a comment). Proposals
and decisions are only ever inserted. A benefit claim is opened only when the registrant asked.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from parcours.config import get_settings
from parcours.db import add_or_conflict
from parcours.errors import Conflict, InvalidInput, Issue, NotFound
from parcours.orientation.change_reasons import load_change_reasons
from parcours.orientation.evaluator import CD, evaluate
from parcours.orientation.form import form_at, get_form
from parcours.orientation.library import RuleLibrary, default_library
from parcours.orientation.models import (
    BenefitClaim,
    OrientationDecision,
    OrientationInterview,
    OrientationProposal,
)
from parcours.registry.models import Agency, JobSeeker
from parcours.text import says_something

CHANNELS = ("phone", "in_person")


@cache
def change_reasons() -> dict[str, str]:
    """The fixed list of reasons for changing a proposal: code -> French label (checked, with
    file and line, by `change_reasons.load_change_reasons`)."""
    return load_change_reasons()


def to_utc(moment: datetime) -> datetime:
    """Input timestamps: naive means Europe/Paris (the product's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(get_settings().timezone))
    return moment.astimezone(UTC)


def stored_utc(moment: datetime) -> datetime:
    """Timestamps read back: SQLite drops the zone of values that were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def _interview(session: Session, interview_id: str, *, fresh: bool = False) -> OrientationInterview:
    """`fresh`: read what is committed now, not what this session loaded before."""
    interview = session.get(OrientationInterview, interview_id, populate_existing=fresh)
    if interview is None:
        raise NotFound(f"interview {interview_id} not found")
    return interview


def start_interview(
    session: Session,
    *,
    de_id: str,
    agent_id: str,
    agency_id: str,
    channel: str,
    started_at: datetime,
    dpa_orientation: bool = False,
    department_code: str | None = None,
    msa_experiment: bool | None = None,
) -> OrientationInterview:
    """Open a draft interview. The agency's département and MSA flag come from the registry;
    `department_code`/`msa_experiment` are only for agencies absent from it (standalone demo)."""
    if channel not in CHANNELS:
        raise InvalidInput([Issue("interview", None, "channel", f"one of {', '.join(CHANNELS)}")])
    if dpa_orientation and channel != "in_person":
        # A "DPA Orientation" is the in-person interview for registrants who do not speak French.
        raise InvalidInput(
            [Issue("interview", None, "channel", "une DPA Orientation se tient sur place")]
        )
    agency = session.get(Agency, agency_id)
    if agency is not None:
        department_code, msa_experiment = agency.department_code, agency.msa_experiment
    if department_code is None or msa_experiment is None:
        raise NotFound(f"agency {agency_id} not found")
    _check_no_orientation_under_way(session, de_id)
    started = to_utc(started_at)
    interview = OrientationInterview(
        interview_id=_new_id(),
        de_id=de_id,
        agent_id=agent_id,
        agency_id=agency_id,
        department_code=department_code,
        msa_experiment=msa_experiment,
        channel=channel,
        dpa_orientation=dpa_orientation,
        form_version=form_at(started.date()).version,
        status="draft",
        answers={},
        started_at=started,
        saved_at=started,
    )
    session.add(interview)
    session.flush()
    return interview


def _check_no_orientation_under_way(session: Session, de_id: str) -> None:
    """One orientation per registration: no second draft beside an open one, and no new initial
    interview once a decision is in force for the current registration (a new interview would
    replace it as an initial decision, without the reason and comment a reorientation needs). A
    decision older than the registration (the person left and registered again) is no obstacle."""
    draft = session.scalar(
        select(OrientationInterview.interview_id).where(
            OrientationInterview.de_id == de_id, OrientationInterview.status == "draft"
        )
    )
    if draft is not None:
        raise Conflict(f"un entretien d'orientation est déjà en cours pour {de_id} : {draft}")
    decision = current_decision(session, de_id=de_id)
    if decision is None:
        return
    registered_on = session.scalar(select(JobSeeker.registered_on).where(JobSeeker.de_id == de_id))
    decided = stored_utc(decision.decided_at).astimezone(ZoneInfo(get_settings().timezone))
    if registered_on is None or decided.date() >= registered_on:
        raise Conflict(
            f"une orientation est déjà décidée pour {de_id} (le {decided:%d/%m/%Y}) : "
            "la changer est une réorientation, avec son motif"
        )


_SAVE_ATTEMPTS = 5


def _update_draft(
    session: Session, interview_id: str, *conditions: ColumnElement[bool], **values: Any
) -> bool:
    """Compare-and-set: write `values` only if the interview is still a draft (and `conditions`
    hold); False when a concurrent request changed it first."""
    result = session.execute(
        update(OrientationInterview)
        .where(
            OrientationInterview.interview_id == interview_id,
            OrientationInterview.status == "draft",
            *conditions,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


def save_answers(
    session: Session, *, interview_id: str, answers: Mapping[str, Any], saved_at: datetime
) -> OrientationInterview:
    """Autosave: merge answers into the draft (a wrong answer is refused, a missing one is not).

    Two saves of one draft may run at once (two requests, two workers): the write is a
    compare-and-set on the draft as it was read (still a draft, same `saved_at`), so a save never
    overwrites a merge it did not see, nor a completed interview; on a concurrent change it merges
    again from what is stored now."""
    for _ in range(_SAVE_ATTEMPTS):
        interview = _interview(session, interview_id, fresh=True)
        if interview.status != "draft":
            raise Conflict("this interview is complete: its answers can no longer change")
        merged = {**interview.answers, **answers}
        merged = {k: v for k, v in merged.items() if v is not None and v != ""}
        typed = get_form(interview.form_version).validate(merged, partial=True)
        # Keep what was answered, typed ("oui" -> true); hidden defaults are filled on completion.
        kept = {k: typed[k] for k in merged if k in typed}
        unchanged = OrientationInterview.saved_at == interview.saved_at
        if _update_draft(session, interview_id, unchanged, answers=kept, saved_at=to_utc(saved_at)):
            session.refresh(interview)
            return interview
    raise Conflict("the draft keeps changing: save again")


def complete_interview(
    session: Session,
    *,
    interview_id: str,
    completed_at: datetime,
    library: RuleLibrary | None = None,
) -> OrientationProposal:
    """Close the interview, evaluate the rules in force that day and store the proposal."""
    interview = _interview(session, interview_id)
    if interview.status != "draft":
        raise Conflict("this interview is already complete")
    form = get_form(interview.form_version)
    answers = form.validate(interview.answers)
    completed = to_utc(completed_at)
    local_day = completed.astimezone(ZoneInfo(get_settings().timezone)).date()
    proposal = evaluate(
        answers,
        at=local_day,
        department=interview.department_code,
        library=library or default_library(),
    )
    # Claimed with a compare-and-set: of two completions at once, only one records a proposal.
    if not _update_draft(session, interview_id, status="complete"):
        raise Conflict("this interview is already complete")
    interview.answers = answers
    interview.status = "complete"
    interview.completed_at = completed
    interview.saved_at = completed
    interview.duration_seconds = int((completed - stored_utc(interview.started_at)).total_seconds())
    row = OrientationProposal(
        proposal_id=_new_id(),
        interview_id=interview.interview_id,
        rule_version=proposal.rule_version,
        algorithm=proposal.algorithm,
        evaluated_on=local_day,
        organisation=proposal.organisation,
        path=proposal.path,
        modality=proposal.modality,
        delegate=proposal.delegate,
        programme_id=proposal.programme_id,
        trace=[step for step in proposal.to_json()["trace"]],
        created_at=completed,
    )
    session.add(row)
    # Only an explicit request opens a claim: automatic registrations used to create unasked ones.
    if answers.get("benefit_claim_requested") is True:
        session.add(
            BenefitClaim(
                claim_id=_new_id(),
                de_id=interview.de_id,
                interview_id=interview.interview_id,
                requested_at=completed,
                status="requested",
            )
        )
    session.flush()
    return row


def target_minutes(interview: OrientationInterview, library: RuleLibrary | None = None) -> int:
    """The interview's target duration: 15 minutes, 20 in agencies of the MSA experiment."""
    library = library or default_library()
    name = "edo_target_minutes_msa" if interview.msa_experiment else "edo_target_minutes"
    day = stored_utc(interview.started_at).astimezone(ZoneInfo(get_settings().timezone)).date()
    return int(library.parameters.resolve(name, at=day, department=interview.department_code).value)


def proposal_of(session: Session, *, interview_id: str) -> OrientationProposal:
    found = session.scalar(
        select(OrientationProposal).where(OrientationProposal.interview_id == interview_id)
    )
    if found is None:
        raise NotFound(f"no proposal for interview {interview_id}: is it complete?")
    return found


def _check_outcome(
    library: RuleLibrary, organisation: str, path: str, modality: str
) -> list[Issue]:
    vocab = library.vocabulary
    issues = []
    for field, value, allowed in (
        ("organisation", organisation, vocab.organisations),
        ("path", path, vocab.paths),
        ("modality", modality, vocab.modalities),
    ):
        if value not in allowed:
            issues.append(Issue("decision", None, field, f"valeur inconnue {value!r}"))
    if not issues and modality not in vocab.offers.get(organisation, ()):
        reason = (
            f"« {vocab.label('modality', modality)} » n'est pas une modalité de "
            f"« {vocab.label('organisation', organisation)} »"
        )
        issues.append(Issue("decision", None, "modality", reason))
    return issues


def _check_date(
    interview: OrientationInterview, proposal: OrientationProposal, decided: datetime
) -> list[Issue]:
    completed = stored_utc(interview.completed_at or proposal.created_at)
    if decided >= completed:
        return []
    local = completed.astimezone(ZoneInfo(get_settings().timezone))
    reason = f"la décision ne peut pas précéder l'entretien (terminé le {local:%d/%m/%Y à %H:%M})"
    return [Issue("decision", None, "decided_at", reason)]


def _check_reason(changed: bool, reason: str | None, comment: str | None) -> list[Issue]:
    if not changed:
        return []
    issues = []
    if reason not in change_reasons():
        issues.append(Issue("decision", None, "change_reason", "motif obligatoire (liste fixe)"))
    if not says_something(comment):
        issues.append(Issue("decision", None, "change_comment", "commentaire obligatoire"))
    return issues


def decide(
    session: Session,
    *,
    interview_id: str,
    agent_id: str,
    decided_at: datetime,
    organisation: str | None = None,
    path: str | None = None,
    modality: str | None = None,
    change_reason: str | None = None,
    change_comment: str | None = None,
    library: RuleLibrary | None = None,
) -> OrientationDecision:
    """The counsellor's decision on a completed interview: confirm (no outcome given) or change.

    It cannot be dated before the interview was completed: the proposal it confirms or changes
    did not exist yet (and the deadlines that count from the decision would start too early)."""
    library = library or default_library()
    interview = _interview(session, interview_id)
    proposal = proposal_of(session, interview_id=interview_id)
    decided = to_utc(decided_at)
    existing = session.scalar(
        select(OrientationDecision.decision_id).where(
            OrientationDecision.interview_id == interview_id,
            OrientationDecision.kind == "initial",
        )
    )
    if existing is not None:
        raise Conflict("this interview already has its decision: record a reorientation instead")
    organisation = organisation or proposal.organisation
    path = path or proposal.path
    modality = modality or proposal.modality
    changed = (organisation, path, modality) != (
        proposal.organisation,
        proposal.path,
        proposal.modality,
    )
    issues = _check_date(interview, proposal, decided)
    issues += _check_outcome(library, organisation, path, modality)
    issues += _check_reason(changed, change_reason, change_comment)
    if issues:
        raise InvalidInput(issues)
    same_org = organisation == proposal.organisation
    decision = OrientationDecision(
        decision_id=_new_id(),
        de_id=interview.de_id,
        interview_id=interview_id,
        proposal_id=proposal.proposal_id,
        supersedes_id=None,
        kind="initial",
        organisation=organisation,
        path=path,
        modality=modality,
        delegate=proposal.delegate
        if same_org
        else _delegate(library, organisation, interview.department_code, decided),
        programme_id=proposal.programme_id if modality == proposal.modality else None,
        changed=changed,
        change_reason=change_reason if changed else None,
        change_comment=change_comment.strip() if changed and change_comment else None,
        decided_by=agent_id,
        decided_at=decided,
        department_code=interview.department_code,
        agency_id=interview.agency_id,
    )
    add_or_conflict(
        session, decision, "this interview already has its decision: record a reorientation instead"
    )
    return decision


def _delegate(
    library: RuleLibrary, organisation: str, department: str, decided: datetime
) -> str | None:
    """The Conseil départemental's delegate, when the counsellor (re)orients towards it."""
    if organisation != CD or "rsa_delegate" not in library.parameters:
        return None
    day = decided.astimezone(ZoneInfo(get_settings().timezone)).date()
    value = library.parameters.resolve("rsa_delegate", at=day, department=department).value
    return str(value) or None


def current_decision(session: Session, *, de_id: str) -> OrientationDecision | None:
    """The orientation in force for a registrant: their latest decision (what DPA booking reads)."""
    return session.scalar(
        select(OrientationDecision)
        .where(OrientationDecision.de_id == de_id)
        .order_by(OrientationDecision.decided_at.desc(), OrientationDecision.kind.desc())
        .limit(1)
    )


def decision_history(session: Session, *, de_id: str) -> list[OrientationDecision]:
    return list(
        session.scalars(
            select(OrientationDecision)
            .where(OrientationDecision.de_id == de_id)
            .order_by(OrientationDecision.decided_at)
        )
    )


def reorient(
    session: Session,
    *,
    de_id: str,
    agent_id: str,
    decided_at: datetime,
    organisation: str,
    path: str,
    modality: str,
    change_reason: str,
    change_comment: str,
    library: RuleLibrary | None = None,
) -> OrientationDecision:
    """A later change of orientation: a new decision superseding the one in force (which stays)."""
    library = library or default_library()
    previous = current_decision(session, de_id=de_id)
    if previous is None:
        raise NotFound(f"job seeker {de_id} has no orientation decision to revise")
    decided = to_utc(decided_at)
    if decided <= stored_utc(previous.decided_at):
        raise Conflict("a reorientation must be dated after the decision it revises")
    issues = _check_outcome(library, organisation, path, modality)
    issues += _check_reason(True, change_reason, change_comment)
    if issues:
        raise InvalidInput(issues)
    decision = OrientationDecision(
        decision_id=_new_id(),
        de_id=de_id,
        interview_id=previous.interview_id,
        proposal_id=None,
        supersedes_id=previous.decision_id,
        kind="reorientation",
        organisation=organisation,
        path=path,
        modality=modality,
        delegate=_delegate(library, organisation, previous.department_code, decided),
        programme_id=None,
        changed=(organisation, path, modality)
        != (previous.organisation, previous.path, previous.modality),
        change_reason=change_reason,
        change_comment=change_comment.strip(),
        decided_by=agent_id,
        decided_at=decided,
        department_code=previous.department_code,
        agency_id=previous.agency_id,
    )
    add_or_conflict(
        session,
        decision,
        "La décision en vigueur vient d'être révisée par ailleurs : rechargez la page avant de réorienter.",
    )
    return decision
