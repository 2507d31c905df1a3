"""The alert application: the establishment inbox, a control's three steps, reports, the agent's own
controls and the practical guides. Every page or action on a control is written to the trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from parcours.accounts.dossier import CONTROL_PURPOSE, FileView, open_file
from parcours.accounts.models import User
from parcours.accounts.roles import ROLES_HANDLING_ALERTS, Role
from parcours.accounts.service import active_accounts_within
from parcours.config import get_settings
from parcours.consultlog.buffer import timeline as consultation_timeline
from parcours.consultlog.store import ConsultLog
from parcours.controls import queries, service, trail
from parcours.controls.guides import all_guides, get_guide
from parcours.controls.models import Campaign, Control, ControlReport
from parcours.controls.protocol import OPEN_STATES, is_overdue, load_protocol, needs_reminder
from parcours.controls.report import generate_report
from parcours.controls.scenario_guides import known_scenarios
from parcours.errors import InvalidInput, NotFound
from parcours.web.deps import CurrentUser, DbSession, PostedForm, get_by_id, require_roles
from parcours.web.navigation import NavItem
from parcours.web.rendering import attachment, render

router = APIRouter()

AlertUser = Annotated[User, Depends(require_roles(*ROLES_HANDLING_ALERTS))]

NAV = [
    NavItem("Alertes", "/alertes", ROLES_HANDLING_ALERTS, order=20),
    NavItem(
        "Mes contrôles", "/mes-controles", frozenset({Role.CONSEILLER, Role.MANAGER}), order=60
    ),
    NavItem("Fiches pratiques", "/guides", frozenset(Role), order=80),
]


def _now() -> datetime:
    return datetime.now(UTC)


def _scope_label(user: User) -> str:
    scope = user.scope
    return "/".join(p for p in (scope.establishment_id, scope.agency_id) if p) or "national"


def _load_in_scope(db: DbSession, user: User, control_id: int) -> Control:
    """The control, if the user may handle it: in their scope and not about themselves (a control
    about oneself answers like one of another scope, see `queries.may_act_on`)."""
    control = get_by_id(db, Control, control_id)
    if control is None or not queries.may_act_on(control, scope=user.scope, agent_id=user.agent_id):
        raise NotFound("Contrôle introuvable.")
    return control


def _assignees(db: DbSession, user: User, control: Control) -> list[User]:
    """Whom `user` may assign the control to: the enabled accounts of the alert roles whose scope
    lies within the user's (`accounts.service.active_accounts_within`) and who may handle this very
    control themselves (`queries.may_handle`, the rule `service.assign` checks too)."""
    return [
        u
        for u in active_accounts_within(db, scope=user.scope, roles=ROLES_HANDLING_ALERTS)
        if queries.may_handle(control, u)
    ]


def _guide_slug(control: Control) -> str:
    from parcours.controls.scenario_guides import guide_for

    return guide_for(control.main_scenario)


@router.get("/alertes")
def inbox(
    request: Request,
    db: DbSession,
    user: AlertUser,
    etat: str = "open",
    niveau: str = "",
    situation: str = "",
    en_retard: bool = False,
    page: int = 1,
) -> Response:
    filters = queries.InboxFilters(state=etat, level=niveau, scenario=situation, overdue=en_retard)
    today = load_protocol().local_day(datetime.now(UTC))  # deadlines run in Paris days
    result = queries.inbox(
        db,
        scope=user.scope,
        viewer_agent_id=user.agent_id,
        filters=filters,
        today=today,
        page=page,
    )
    response = render(
        request,
        "controls/inbox.html",
        {
            "result": result,
            "filters": filters,
            "protocol": load_protocol(),
            "today": today,
            "is_overdue": is_overdue,
            "scenarios": known_scenarios(),
        },
        fragment="rows",
    )
    # Traced after rendering: the write (and SQLite's write lock) lasts only until the commit.
    trail.append(
        db, actor=user.login, action="list", object_type="alert_inbox", object_id=_scope_label(user),
        details={"etat": etat, "niveau": niveau, "situation": situation, "page": result.page},
    )  # fmt: skip
    return response


@router.get("/alertes/{control_id}")
def show(request: Request, db: DbSession, user: AlertUser, control_id: int) -> Response:
    control = _load_in_scope(db, user, control_id)
    # The manager's look at the file is itself a consultation: logged, with the control as its purpose.
    view: FileView = open_file(
        db,
        user,
        control.de_id,
        action="view",
        context=f"contrôle {control.control_id}",
        purpose=CONTROL_PURPOSE,
    )
    timeline = consultation_timeline(
        db, ConsultLog(get_settings().log_dir), de_id=control.de_id, limit=500
    )
    trail.append(
        db, actor=user.login, action="view", object_type="control", object_id=str(control_id),
        details={"agent_id": control.agent_id, "de_id": control.de_id},
    )  # fmt: skip
    protocol = load_protocol()
    today = protocol.local_day(datetime.now(UTC))  # deadlines run in Paris days
    reports = queries.reports(db, control_id)
    campaign = db.get(Campaign, control.campaign_id)
    return render(
        request,
        "controls/control.html",
        {
            "c": control,
            "f": view,
            "campaign": campaign,
            "timeline": timeline,
            "agent_events": [e for e in timeline if e["agent_id"] == control.agent_id],
            "notes": service.notes(db, control_id),
            "protocol": protocol,
            # Those the user's role may take: on a closed control, reopening for the national team.
            "transitions": protocol.available(control.state, user.role),
            "overdue": is_overdue(control.step_due_on, today),
            "reminder": needs_reminder(protocol, control.step_due_on, today),
            "guide": get_guide(_guide_slug(control)),
            "report": next((r for r in reports if r.superseded_at is None), None),
            "superseded_reports": [r for r in reports if r.superseded_at is not None],
            "past_examinations": service.past_examinations(control),
            "is_open": control.state in OPEN_STATES,
            "may_comment": service.may_comment(control, user.role),
            "assignees": _assignees(db, user, control),
        },
    )


def _fields_from_form(form: dict[str, Any]) -> dict[str, Any]:
    fields = {
        k: (v.strip() if isinstance(v, str) else v)
        for k, v in form.items()
        if k not in {"csrf_token", "version"}
    }
    if "rules_reminder_acknowledged" in fields:
        fields["rules_reminder_acknowledged"] = fields["rules_reminder_acknowledged"] in {
            "on",
            "true",
            "1",
        }
    return fields


def _expected_version(posted: object, control: Control) -> int:
    """The version of the control the form was drawn from (the page's hidden field), or the current
    one when the form sends none."""
    raw = posted.strip() if isinstance(posted, str) else ""
    if not raw:
        return control.version
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(
            "Version du contrôle illisible : rechargez la page avant de réessayer."
        ) from None


@router.post("/alertes/{control_id}/etape/{name}")
def transition(
    request: Request, db: DbSession, user: AlertUser, control_id: int, name: str, posted: PostedForm
) -> Response:
    control = _load_in_scope(db, user, control_id)
    form = dict(posted)
    version = _expected_version(form.get("version"), control)
    before = control.state
    service.transition(
        db, control_id=control_id, name=name, fields=_fields_from_form(form), actor=user.login, now=_now(),
        expected_version=version,
    )  # fmt: skip
    trail.append(
        db, actor=user.login, action="status", object_type="control", object_id=str(control_id),
        details=service.step_details(control, transition=name, before=before),
    )  # fmt: skip
    return RedirectResponse(f"/alertes/{control_id}", status_code=303)


@router.post("/alertes/{control_id}/assigner")
def assign(
    request: Request,
    db: DbSession,
    user: AlertUser,
    control_id: int,
    assignee: Annotated[str, Form()],
) -> Response:
    control = _load_in_scope(db, user, control_id)
    # A choice among the accounts offered by the page, checked again here: a login typed by hand,
    # an agent id, an account of another scope or the agent concerned are all refused.
    chosen = assignee.strip()
    if chosen not in {u.login for u in _assignees(db, user, control)}:
        raise InvalidInput(
            "Ce contrôle ne peut pas être assigné à cette personne : choisissez un compte dans la "
            "liste (les comptes habilités à le traiter, hors l'agent concerné)."
        )
    service.assign(db, control_id=control_id, assignee=chosen, actor=user.login, now=_now())
    trail.append(
        db, actor=user.login, action="assign", object_type="control", object_id=str(control_id),
        details={"assignee": chosen},
    )  # fmt: skip
    return RedirectResponse(f"/alertes/{control_id}", status_code=303)


@router.post("/alertes/{control_id}/commentaire")
def add_comment(
    request: Request, db: DbSession, user: AlertUser, control_id: int, body: Annotated[str, Form()]
) -> Response:
    _load_in_scope(db, user, control_id)
    service.comment(db, control_id=control_id, body=body, actor=user.login, now=_now())
    trail.append(
        db, actor=user.login, action="comment", object_type="control", object_id=str(control_id)
    )
    return RedirectResponse(f"/alertes/{control_id}", status_code=303)


@router.post("/alertes/{control_id}/compte-rendu")
def create_report(
    request: Request, db: DbSession, user: AlertUser, control_id: int, form: PostedForm
) -> Response:
    control = _load_in_scope(db, user, control_id)
    fields = _fields_from_form(dict(form))
    report = generate_report(db, control=control, fields=fields, author=user.login, now=_now())
    trail.append(
        db, actor=user.login, action="report", object_type="control", object_id=str(control_id),
        details={"sha256": report.sha256, "template": report.template_version},
    )  # fmt: skip
    return RedirectResponse(f"/alertes/{control_id}", status_code=303)


@router.get("/alertes/{control_id}/compte-rendu.pdf")
def download_report(
    request: Request, db: DbSession, user: AlertUser, control_id: int, rapport: int | None = None
) -> Response:
    """The control's current report, or with `rapport` one of its reports by id (a superseded one:
    the control was reopened after it)."""
    _load_in_scope(db, user, control_id)
    if rapport is None:
        report = queries.current_report(db, control_id)
    else:
        report = get_by_id(db, ControlReport, rapport)
        if report is not None and report.control_id != control_id:
            report = None
    if report is None:
        raise NotFound("Aucun compte rendu pour ce contrôle.")
    superseded = report.superseded_at is not None
    trail.append(
        db, actor=user.login, action="export", object_type="control_report", object_id=str(control_id),
        details={"sha256": report.sha256} | ({"superseded": True} if superseded else {}),
    )  # fmt: skip
    suffix = f"-remplace-{report.report_id}" if superseded else ""
    return attachment(report.pdf, f"compte-rendu-controle-{control_id}{suffix}.pdf")


# -- the agent concerned -------------------------------------------------------------------------


AgentUser = Annotated[User, Depends(require_roles(Role.CONSEILLER, Role.MANAGER))]


def _own_control(db: DbSession, user: User, control_id: int) -> Control:
    control = get_by_id(db, Control, control_id)
    if control is None or not user.agent_id or control.agent_id != user.agent_id:
        raise NotFound("Contrôle introuvable.")
    return control


@router.get("/mes-controles")
def my_controls(request: Request, db: DbSession, user: AgentUser) -> Response:
    rows = queries.controls_about_agent(db, user.agent_id) if user.agent_id else []
    response = render(request, "controls/mine.html", {"rows": rows, "protocol": load_protocol()})
    trail.append(
        db,
        actor=user.login,
        action="list_own",
        object_type="control",
        object_id=user.agent_id or "",
    )
    return response


@router.get("/mes-controles/{control_id}")
def my_control(request: Request, db: DbSession, user: AgentUser, control_id: int) -> Response:
    control = _own_control(db, user, control_id)
    trail.append(
        db, actor=user.login, action="view_own", object_type="control", object_id=str(control_id)
    )
    explanations = [n for n in service.notes(db, control_id) if n.kind == "agent_explanation"]
    return render(
        request,
        "controls/mine_detail.html",
        {
            "c": control,
            "guide": get_guide(_guide_slug(control)),
            "protocol": load_protocol(),
            "explanations": explanations,
            "is_open": control.state in OPEN_STATES,
        },
    )


@router.post("/mes-controles/{control_id}/explication")
def my_explanation(
    request: Request, db: DbSession, user: AgentUser, control_id: int, body: Annotated[str, Form()]
) -> Response:
    control = _own_control(db, user, control_id)
    service.record_agent_explanation(
        db, control_id=control_id, agent_id=control.agent_id, body=body, now=_now()
    )
    trail.append(
        db, actor=user.login, action="explain", object_type="control", object_id=str(control_id)
    )
    return RedirectResponse(f"/mes-controles/{control_id}", status_code=303)


# -- practical guides ----------------------------------------------------------------------------


@router.get("/guides")
def guides(request: Request, user: CurrentUser) -> Response:
    return render(request, "controls/guides.html", {"guides": list(all_guides().values())})


@router.get("/guides/{slug}")
def guide(request: Request, user: CurrentUser, slug: str) -> Response:
    return render(request, "controls/guide.html", {"g": get_guide(slug)})
