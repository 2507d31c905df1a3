"""Permission rules of the alert application and steering routes (see RouteRule in parcours.web.testing)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.config import get_settings
from parcours.consultlog.store import ConsultationEvent, ConsultLog
from parcours.controls import service
from parcours.controls.dispatch import AlertInput
from parcours.controls.report import generate_report
from parcours.registry.models import JobSeeker
from parcours.registry.snapshots import write_snapshots
from parcours.registry.warehouse import REFERENCE_TABLES, Warehouse
from parcours.web.testing import MatrixContext, ParamsFn, RouteRule

ALERT = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL})
AGENTS_OWN = frozenset({Role.CONSEILLER, Role.MANAGER})
EVERYONE = frozenset(Role)
COUNCIL = frozenset({Role.CSE, Role.NATIONAL})
NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


def _control(
    ctx: MatrixContext, agent_id: str, like_de_id: str, *, state: str = "pre_examination"
) -> int:
    """A fresh control on a new file each time (an open control on the same pair would be updated)."""
    n = uuid.uuid4().hex[:8]
    like = ctx.session.get(JobSeeker, like_de_id)
    assert like is not None
    de_id = f"{like_de_id}-P{n}"
    ctx.session.add(
        JobSeeker(
            de_id=de_id, last_name="CONTROLE", birth_name=None, first_names="Test", birth_date=date(1985, 3, 1),
            sex="F", department_code=like.department_code, commune_code=like.commune_code,
            agency_id=like.agency_id, referent_agent_id=None, registered_on=date(2025, 2, 1),
        )
    )  # fmt: skip
    ctx.session.flush()
    alert = AlertInput(
        alert_id=f"perm-{n}", agent_id=agent_id, de_id=de_id, scenarios=("w2_current_agents",),
        level="mandatory", score=80.0, first_seen=NOW - timedelta(days=3), last_seen=NOW,
        consultations=2, reasons=("Aucun contexte",), match_probability=0.99,
    )  # fmt: skip
    _, summary = service.launch_campaign(
        ctx.session, name=f"perm {n}", period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
        scenarios=["w2_current_agents"], levels=["mandatory"], launched_by="test", now=NOW, alerts=[alert],
    )  # fmt: skip
    cid = next(iter(summary.by_establishment.values()))[0]
    steps = {
        "interview": [("schedule_interview", {"pre_examination_notes": "rien"})],
        "finding": [
            ("schedule_interview", {"pre_examination_notes": "rien"}),
            (
                "record_interview",
                {"interview_date": "2026-01-20", "participants": "ELD", "agent_explanation": "x"},
            ),
        ],
    }.get(state, [])
    for name, fields in steps:
        service.transition(
            ctx.session, control_id=cid, name=name, fields=fields, actor="test", now=NOW
        )
    ctx.session.flush()
    return cid


def _in_scope(ctx: MatrixContext) -> dict[str, str]:
    # AG-0002 works in agency AG-A1 of DR-A: in every alert role's scope.
    return {"control_id": str(_control(ctx, "AG-0002", ctx.world.de_same_agency))}


def _other_scope(ctx: MatrixContext) -> dict[str, str]:
    return {"control_id": str(_control(ctx, ctx.world.other_scope_agent, ctx.world.de_other_scope))}


def _in_finding(ctx: MatrixContext) -> dict[str, str]:
    return {"control_id": str(_control(ctx, "AG-0002", ctx.world.de_same_agency, state="finding"))}


def _other_in_finding(ctx: MatrixContext) -> dict[str, str]:
    cid = _control(ctx, ctx.world.other_scope_agent, ctx.world.de_other_scope, state="finding")
    return {"control_id": str(cid)}


def _reported(in_finding: ParamsFn) -> ParamsFn:
    """A control at the finding step whose written report exists."""

    def params(ctx: MatrixContext) -> dict[str, str]:
        found = in_finding(ctx)
        control = service.get_control(ctx.session, int(found["control_id"]))
        fields = {"outcome": "proven", "justification": "j", "rules_reminder_acknowledged": True}
        generate_report(ctx.session, control=control, fields=fields, author="t", now=NOW)
        return found

    return params


def _own(ctx: MatrixContext) -> dict[str, str]:
    agent = {Role.CONSEILLER: "AG-0001", Role.MANAGER: "AG-0003"}.get(ctx.role, "AG-0001")  # type: ignore[arg-type]
    return {"control_id": str(_control(ctx, agent, ctx.world.de_portfolio))}


def _someone_elses(ctx: MatrixContext) -> dict[str, str]:
    return {"control_id": str(_control(ctx, "AG-0002", ctx.world.de_same_agency))}


def _snapshots(ctx: MatrixContext) -> dict[str, str]:
    engine = ctx.session.get_bind()
    assert isinstance(engine, Engine)
    write_snapshots(engine, Warehouse.from_settings(), list(REFERENCE_TABLES))
    # One consultation in the period, so that detection has something to read (an empty period is refused).
    ConsultLog(get_settings().log_dir).append_events(
        [ConsultationEvent(event_id=f"perm-{uuid.uuid4().hex}", ts=NOW, agent_id="AG-0002",
                           de_id=ctx.world.de_portfolio, application="AUDE", action="view")]
    )  # fmt: skip
    return {}


def _with_step(fn):  # type: ignore[no-untyped-def]
    return lambda ctx: fn(ctx) | {"name": "schedule_interview"}


def _closed_to_reopen(in_scope: ParamsFn) -> ParamsFn:
    """A control closed as a false positive, and the step that reopens it (national team only)."""

    def params(ctx: MatrixContext) -> dict[str, str]:
        found = in_scope(ctx)
        service.transition(
            ctx.session, control_id=int(found["control_id"]), name="close_false_positive",
            fields={"fp_reason": "team_cover", "fp_comment": "Portefeuille partagé"}, actor="test",
            now=NOW,
        )  # fmt: skip
        return found | {"name": "reopen"}

    return params


RULES: list[RouteRule] = [
    RouteRule("GET", "/alertes", roles=ALERT),
    RouteRule(
        "GET", "/alertes/{control_id}", roles=ALERT, params=_in_scope, other_scope=_other_scope
    ),
    RouteRule(
        "POST",
        "/alertes/{control_id}/etape/{name}",
        roles=ALERT,
        params=_with_step(_in_scope),
        other_scope=_with_step(_other_scope),
        ok=frozenset({303}),
        form=lambda ctx: {"pre_examination_notes": "Contexte vérifié"},
    ),
    # The same route taking the reopening: reserved to the national team by the protocol (`roles`),
    # refused by the service to the other alert roles (403) as to the roles the route refuses.
    RouteRule(
        "POST",
        "/alertes/{control_id}/etape/{name}",
        roles=frozenset({Role.NATIONAL}),
        params=_closed_to_reopen(_in_scope),
        other_scope=_closed_to_reopen(_other_scope),
        ok=frozenset({303}),
        form=lambda ctx: {"reopen_reason": "Revue des contrôles traités par l'agent concerné"},
    ),
    RouteRule(
        "POST",
        "/alertes/{control_id}/assigner",
        roles=ALERT,
        params=_in_scope,
        other_scope=_other_scope,
        ok=frozenset({303}),
        # Self-assignment: the acting account may handle the control whatever its scope (the national
        # team's "other scope" control lies outside every other account's).
        form=lambda ctx: {"assignee": f"test-{ctx.role.value}" if ctx.role else "test-manager"},
    ),
    RouteRule(
        "POST",
        "/alertes/{control_id}/commentaire",
        roles=ALERT,
        params=_in_scope,
        other_scope=_other_scope,
        ok=frozenset({303}),
        form=lambda ctx: {"body": "Un commentaire"},
    ),
    RouteRule(
        "POST",
        "/alertes/{control_id}/compte-rendu",
        roles=ALERT,
        params=_in_finding,
        other_scope=_other_in_finding,
        ok=frozenset({303}),
        form=lambda ctx: {
            "outcome": "proven",
            "justification": "Aucun motif de service",
            "rules_reminder_acknowledged": "on",
        },
    ),
    RouteRule(
        "GET",
        "/alertes/{control_id}/compte-rendu.pdf",
        roles=ALERT,
        params=_reported(_in_finding),
        other_scope=_reported(_other_in_finding),
    ),
    RouteRule("GET", "/mes-controles", roles=AGENTS_OWN),
    RouteRule(
        "GET",
        "/mes-controles/{control_id}",
        roles=AGENTS_OWN,
        params=_own,
        other_scope=_someone_elses,
    ),
    RouteRule(
        "POST",
        "/mes-controles/{control_id}/explication",
        roles=AGENTS_OWN,
        params=_own,
        other_scope=_someone_elses,
        ok=frozenset({303}),
        form=lambda ctx: {"body": "J'ai traité un appel 3949 ce jour-là."},
    ),
    RouteRule("GET", "/guides", roles=EVERYONE),
    RouteRule("GET", "/guides/{slug}", roles=EVERYONE, params=lambda ctx: {"slug": "principes"}),
    RouteRule("GET", "/campagnes", roles=frozenset({Role.NATIONAL})),
    # Detection runs for real on the world's registry (snapshots written first) and a one-event log.
    RouteRule(
        "POST",
        "/campagnes",
        roles=frozenset({Role.NATIONAL}),
        ok=frozenset({303}),
        params=_snapshots,
        form=lambda ctx: {
            "debut": "2026-01-01",
            "fin": "2026-01-31",
            "situations": "w2_current_agents",
            "niveaux": "mandatory",
        },
    ),
    RouteRule("GET", "/pilotage", roles=ALERT),
    RouteRule("GET", "/pilotage/export.csv", roles=ALERT),
    RouteRule("GET", "/pilotage/export.xlsx", roles=ALERT),
    RouteRule("GET", "/pilotage/cse", roles=COUNCIL),
    # Token-authenticated (not a session): refused without the bearer token, whoever calls.
    RouteRule("POST", "/api/ingestion/consultations", roles=None, ok=frozenset({401, 403})),
]
