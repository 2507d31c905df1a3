"""Permission rules of the orientation pages for the application-wide matrix
(tests/web/test_permission_matrix.py; see RouteRule in parcours.web.testing)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from parcours.accounts.roles import Role
from parcours.orientation import service
from parcours.registry.models import JobSeeker
from parcours.web.testing import MatrixContext, RouteRule

INTERVIEWERS = frozenset({Role.CONSEILLER, Role.MANAGER})
STEERING = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL})
COUNCIL = frozenset({Role.CSE, Role.NATIONAL})
SEE_OTHER = frozenset({303})

ANSWERS: dict[str, str] = {
    "work_situation": "within_2_years",
    "inactivity_months": "6",
    "trade": "Vendeur",
    "age": "35",
    "asks_mission_locale": "false",
    "boeth": "false",
    "rsa": "false",
    "qualification": "bac",
    "aspiration": "ready_now",
    "benefit_claim_requested": "false",
    **{
        f"difficulty_{name}": "none"
        for name in (
            "health",
            "housing",
            "mobility",
            "childcare",
            "caregiving",
            "language",
            "digital",
            "financial",
            "other",
        )
    },
}


def _fresh_file(ctx: MatrixContext, like: str) -> str:
    """A new registrant like `like` (same agency, referent and scope): a person has one initial
    orientation, and the rules each interview someone."""
    source = ctx.session.get(JobSeeker, like)
    assert source is not None
    copy = JobSeeker(**{a.key: getattr(source, a.key) for a in inspect(JobSeeker).column_attrs})
    copy.de_id = f"{like}-{uuid.uuid4().hex[:8]}"
    ctx.session.add(copy)
    # Committed at once: a form's callable runs after the harness's commit, right before the request.
    ctx.session.commit()
    return copy.de_id


def _interview(ctx: MatrixContext, agency_id: str, like: str, *, complete: bool) -> str:
    # Held two minutes ago: a decision a minute ago (`_decide`) comes after it.
    now = datetime.now(UTC) - timedelta(minutes=2)
    interview = service.start_interview(
        ctx.session,
        de_id=_fresh_file(ctx, like),
        agent_id="AG-X",
        agency_id=agency_id,
        channel="phone",
        started_at=now,
    )
    if complete:
        service.save_answers(
            ctx.session, interview_id=interview.interview_id, answers=ANSWERS, saved_at=now
        )
        service.complete_interview(
            ctx.session, interview_id=interview.interview_id, completed_at=now
        )
    return interview.interview_id


def _draft(ctx: MatrixContext) -> dict[str, str]:
    return {"interview_id": _interview(ctx, "AG-A1", ctx.world.de_portfolio, complete=False)}


def _completed(ctx: MatrixContext) -> dict[str, str]:
    return {"interview_id": _interview(ctx, "AG-A1", ctx.world.de_portfolio, complete=True)}


def _other_draft(ctx: MatrixContext) -> dict[str, str]:
    return {"interview_id": _interview(ctx, "AG-B1", ctx.world.de_other_scope, complete=False)}


def _other_completed(ctx: MatrixContext) -> dict[str, str]:
    return {"interview_id": _interview(ctx, "AG-B1", ctx.world.de_other_scope, complete=True)}


def _decide(ctx: MatrixContext, interview_id: str) -> dict[str, str]:
    # Decided a minute ago, so that a reorientation "now" comes after it.
    service.decide(
        ctx.session,
        interview_id=interview_id,
        agent_id="AG-X",
        decided_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    return {"interview_id": interview_id}


def _decided(ctx: MatrixContext) -> dict[str, str]:
    return _decide(ctx, _completed(ctx)["interview_id"])


def _other_decided(ctx: MatrixContext) -> dict[str, str]:
    return _decide(ctx, _other_completed(ctx)["interview_id"])


RULES: list[RouteRule] = [
    RouteRule("GET", "/orientation", roles=INTERVIEWERS),
    # Without a registrant id the page sends back to the list (the id comes in the query string).
    RouteRule("GET", "/orientation/nouveau", roles=INTERVIEWERS, ok=SEE_OTHER),
    RouteRule(
        "POST",
        "/orientation/entretiens",
        roles=INTERVIEWERS,
        form=lambda ctx: {"de_id": _fresh_file(ctx, ctx.world.de_portfolio), "channel": "phone"},
        ok=SEE_OTHER,
    ),
    RouteRule(
        "GET",
        "/orientation/entretiens/{interview_id}",
        roles=INTERVIEWERS,
        params=_draft,
        other_scope=_other_draft,
    ),
    RouteRule(
        "POST",
        "/orientation/entretiens/{interview_id}/reponses",
        roles=INTERVIEWERS,
        params=_draft,
        other_scope=_other_draft,
        form=lambda ctx: {"age": "40"},
        ok=SEE_OTHER,
    ),
    RouteRule(
        "POST",
        "/orientation/entretiens/{interview_id}/terminer",
        roles=INTERVIEWERS,
        params=_draft,
        other_scope=_other_draft,
        form=lambda ctx: ANSWERS,
        ok=SEE_OTHER,
    ),
    RouteRule(
        "GET",
        "/orientation/entretiens/{interview_id}/proposition",
        roles=INTERVIEWERS,
        params=_completed,
        other_scope=_other_completed,
    ),
    RouteRule(
        "POST",
        "/orientation/entretiens/{interview_id}/decision",
        roles=INTERVIEWERS,
        params=_completed,
        other_scope=_other_completed,
        form=lambda ctx: {"action": "confirmer"},
        ok=SEE_OTHER,
    ),
    RouteRule(
        "POST",
        "/orientation/entretiens/{interview_id}/reorientation",
        roles=INTERVIEWERS,
        params=_decided,
        other_scope=_other_decided,
        form=lambda ctx: {
            "organisation": "FT",
            "path": "socio_professional",
            "modality": "renforce",
            "change_reason": "situation_changed",
            "change_comment": "Perte d'emploi du conjoint.",
        },
        ok=SEE_OTHER,
    ),
    RouteRule("GET", "/orientation/pilotage", roles=STEERING),
    RouteRule("GET", "/orientation/pilotage/ecarts.csv", roles=STEERING),
    RouteRule("GET", "/orientation/pilotage/ecarts-motifs.csv", roles=STEERING),
    RouteRule("GET", "/orientation/pilotage/ecarts.json", roles=STEERING),
    RouteRule("GET", "/orientation/cse", roles=COUNCIL),
]
