"""Registration interview pages (counsellors) and orientation steering (managers, region, nation).

- /orientation                                  interviews of my agency; start one
- /orientation/nouveau?de_id=...                open the registrant's file (logged), choose the channel
- /orientation/entretiens/{id}                  the one-screen scripted form; autosave on each change
- /orientation/entretiens/{id}/proposition      the proposal with its trace; confirm or change it
- /orientation/pilotage (+ exports)             dashboards and the national deviation report
- /orientation/cse                              the works council's suppressed monthly counts

Pages that show the registrant go through the logged file view, with the interview as context.
An interview belongs to an agency: other agencies get a 404.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from parcours.accounts.dossier import actor_id
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.controls import steering, trail
from parcours.dates import parse_day
from parcours.errors import Conflict, InvalidInput, NotFound
from parcours.orientation import service
from parcours.orientation.council import council_table
from parcours.orientation.deviation import (
    MATRIX_COLUMNS,
    REASON_COLUMNS,
    DeviationReport,
    deviation_report,
    to_csv,
)
from parcours.orientation.form import get_form
from parcours.orientation.library import default_library
from parcours.orientation.models import OrientationDecision, OrientationInterview
from parcours.orientation.reports import (
    GroupBy,
    activity,
    capacity_status,
    orientation_table,
)
from parcours.registry.models import Agency
from parcours.web.deps import DbSession, PostedForm, require_roles
from parcours.web.files import open_file_for_request
from parcours.web.navigation import NavItem
from parcours.web.rendering import PARIS, attachment, is_htmx, render

router = APIRouter(prefix="/orientation")

INTERVIEW_ROLES = frozenset({Role.CONSEILLER, Role.MANAGER})
# Not the works council: these dashboards count interviews and changes per agency and week, groups
# far under 10 people (with health reasons among the changes); the council reads suppressed
# aggregates only (Synthèse CSE, barometer).
STEERING_ROLES = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL})
COUNCIL_ROLES = frozenset({Role.CSE, Role.NATIONAL})
Interviewer = Annotated[User, Depends(require_roles(*INTERVIEW_ROLES))]
Steering = Annotated[User, Depends(require_roles(*STEERING_ROLES))]
Council = Annotated[User, Depends(require_roles(*COUNCIL_ROLES))]

NAV = [
    NavItem("Orientation", "/orientation", INTERVIEW_ROLES, order=20),
    NavItem("Pilotage de l'orientation", "/orientation/pilotage", STEERING_ROLES, order=30),
    NavItem("Orientations (CSE)", "/orientation/cse", COUNCIL_ROLES, order=32),
]


def _interview_in_scope(db: Session, user: User, interview_id: str) -> OrientationInterview:
    interview = db.get(OrientationInterview, interview_id)
    if interview is None or interview.agency_id != user.agency_id:
        raise NotFound("Entretien introuvable.")
    return interview


def _context_label(interview: OrientationInterview) -> str:
    return f"entretien d'orientation {interview.interview_id}"


def _interview_to_change(
    db: Session, request: Request, user: User, interview_id: str
) -> OrientationInterview:
    """An interview the user may change: in their agency, and its file reached through the logged
    path (scope, or a purpose declared for it), like the pages that show it. The agency alone let a
    colleague with no link to the file answer, complete or decide it unseen and untraced."""
    interview = _interview_in_scope(db, user, interview_id)
    open_file_for_request(
        db, request, user, interview.de_id, action="edit", context=_context_label(interview)
    )
    return interview


# --- counsellor pages ---------------------------------------------------------------------------


@router.get("")
def interviews_page(request: Request, db: DbSession, user: Interviewer) -> Response:
    rows = db.execute(
        select(OrientationInterview, OrientationDecision)
        .outerjoin(
            OrientationDecision,
            (OrientationDecision.interview_id == OrientationInterview.interview_id)
            & (OrientationDecision.kind == "initial"),
        )
        .where(OrientationInterview.agency_id == user.agency_id)
        .order_by(OrientationInterview.started_at.desc())
        .limit(50)
    ).all()
    return render(request, "orientation/index.html", {"rows": rows})


@router.get("/nouveau")
def new_interview(request: Request, db: DbSession, user: Interviewer, de_id: str = "") -> Response:
    if not de_id.strip():
        return RedirectResponse("/orientation", status_code=303)
    view = open_file_for_request(
        db, request, user, de_id.strip(), action="view", context="entretien d'orientation"
    )
    return render(request, "orientation/new.html", {"f": view})


@router.post("/entretiens")
def start(request: Request, db: DbSession, user: Interviewer, form: PostedForm) -> Response:
    de_id = str(form.get("de_id", "")).strip()
    # Checks scope (or the declared purpose) and logs the opening before anything is recorded.
    open_file_for_request(
        db, request, user, de_id, action="edit", context="entretien d'orientation"
    )
    if user.agency_id is None or db.get(Agency, user.agency_id) is None:
        raise NotFound("Votre agence est introuvable.")
    interview = service.start_interview(
        db,
        de_id=de_id,
        agent_id=actor_id(user),
        agency_id=user.agency_id,
        channel="in_person"
        if form.get("dpa_orientation") == "on"
        else str(form.get("channel", "phone")),
        # A DPA Orientation (registrant who does not speak French) is always held in person.
        dpa_orientation=form.get("dpa_orientation") == "on",
        started_at=datetime.now(UTC),
    )
    return RedirectResponse(f"/orientation/entretiens/{interview.interview_id}", status_code=303)


def _interview_page(
    request: Request,
    db: Session,
    user: User,
    interview: OrientationInterview,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    view = open_file_for_request(
        db, request, user, interview.de_id, action="edit", context=_context_label(interview)
    )
    return render(
        request,
        "orientation/interview.html",
        {
            "f": view,
            "interview": interview,
            "form": get_form(interview.form_version),
            "answers": interview.answers,
            "errors": errors or [],
            "saved_at": interview.saved_at,
            "target_minutes": service.target_minutes(interview),
        },
        status_code=status_code,
    )


@router.get("/entretiens/{interview_id}")
def interview_page(
    request: Request, db: DbSession, user: Interviewer, interview_id: str
) -> Response:
    interview = _interview_in_scope(db, user, interview_id)
    if interview.status == "complete":
        return RedirectResponse(f"/orientation/entretiens/{interview_id}/proposition", 303)
    return _interview_page(request, db, user, interview)


def _posted_answers(form: FormData, interview: OrientationInterview) -> dict[str, Any]:
    questions = {q.id for q in get_form(interview.form_version).questions}
    return {k: str(v) for k, v in form.items() if k in questions}


@router.post("/entretiens/{interview_id}/reponses")
def autosave(
    request: Request, db: DbSession, user: Interviewer, interview_id: str, form: PostedForm
) -> Response:
    """Autosave (HTMX, on every change) or the "save draft" button without JavaScript."""
    interview = _interview_to_change(db, request, user, interview_id)
    answers = _posted_answers(form, interview)
    error = None
    try:
        service.save_answers(
            db, interview_id=interview_id, answers=answers, saved_at=datetime.now(UTC)
        )
    except InvalidInput as exc:
        error = "; ".join(f"{i.column} : {i.reason}" for i in exc.issues)
    except Conflict:
        error = "l'entretien est terminé, ses réponses ne changent plus"
    if not is_htmx(request):
        if error:
            return _interview_page(request, db, user, interview, errors=[error], status_code=422)
        return RedirectResponse(f"/orientation/entretiens/{interview_id}", status_code=303)
    # Only the status line comes back: the form keeps the focus and what is being typed.
    return render(
        request,
        "orientation/_autosave.html",
        {"saved_at": interview.saved_at, "error": error},
    )


@router.post("/entretiens/{interview_id}/terminer")
def complete(
    request: Request, db: DbSession, user: Interviewer, interview_id: str, form: PostedForm
) -> Response:
    interview = _interview_to_change(db, request, user, interview_id)
    if interview.status == "complete":
        return RedirectResponse(f"/orientation/entretiens/{interview_id}/proposition", 303)
    answers = _posted_answers(form, interview)
    now = datetime.now(UTC)
    labels = {q.id: q.spec.label for q in get_form(interview.form_version).questions}
    try:
        service.save_answers(db, interview_id=interview_id, answers=answers, saved_at=now)
        # Validation happens before any change: on a missing answer the draft keeps what was saved.
        service.complete_interview(db, interview_id=interview_id, completed_at=now)
    except InvalidInput as exc:
        errors = [f"{labels.get(i.column or '', i.column)} — {i.reason}" for i in exc.issues]
        return _interview_page(request, db, user, interview, errors=errors, status_code=422)
    except Conflict:
        # A second "terminer" (double submit) while the first completed it: show the proposal.
        # Nothing was written by the refused attempt (both checks come before any change).
        db.refresh(interview)
        if interview.status != "complete":
            raise
    return RedirectResponse(f"/orientation/entretiens/{interview_id}/proposition", 303)


def _proposal_page(
    request: Request,
    db: Session,
    user: User,
    interview: OrientationInterview,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    view = open_file_for_request(
        db, request, user, interview.de_id, action="view", context=_context_label(interview)
    )
    proposal = service.proposal_of(db, interview_id=interview.interview_id)
    decision = db.scalar(
        select(OrientationDecision).where(
            OrientationDecision.interview_id == interview.interview_id,
            OrientationDecision.kind == "initial",
        )
    )
    history = service.decision_history(db, de_id=interview.de_id) if decision else []
    library = default_library()
    day = proposal.evaluated_on
    warnings = [
        s
        for s in capacity_status(db, at=day, library=library)
        if s.level != "ok"
        and interview.department_code in s.departments
        and (s.capacity_id == proposal.programme_id or proposal.organisation == "CD")
    ]
    return render(
        request,
        "orientation/proposal.html",
        {
            "f": view,
            "interview": interview,
            "proposal": proposal,
            "decision": decision,
            "history": [d for d in history if d.kind == "reorientation"],
            "current": history[-1] if history else None,
            "vocab": library.vocabulary,
            "reasons": service.change_reasons(),
            "warnings": warnings,
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("/entretiens/{interview_id}/proposition")
def proposal_page(
    request: Request, db: DbSession, user: Interviewer, interview_id: str
) -> Response:
    interview = _interview_in_scope(db, user, interview_id)
    if interview.status != "complete":
        return RedirectResponse(f"/orientation/entretiens/{interview_id}", 303)
    return _proposal_page(request, db, user, interview)


@router.post("/entretiens/{interview_id}/decision")
def decide(
    request: Request, db: DbSession, user: Interviewer, interview_id: str, form: PostedForm
) -> Response:
    interview = _interview_to_change(db, request, user, interview_id)
    changing = form.get("action") == "modifier"

    def field(name: str) -> str | None:
        return (str(form.get(name, "")).strip() or None) if changing else None

    try:
        service.decide(
            db,
            interview_id=interview_id,
            agent_id=actor_id(user),
            decided_at=datetime.now(UTC),
            organisation=field("organisation"),
            path=field("path"),
            modality=field("modality"),
            change_reason=field("change_reason"),
            change_comment=field("change_comment"),
        )
    except InvalidInput as exc:
        labels = {
            "change_reason": "Motif",
            "change_comment": "Commentaire",
            "decided_at": "Date de la décision",
        }
        errors = [f"{labels.get(i.column or '', i.column)} : {i.reason}" for i in exc.issues]
        return _proposal_page(request, db, user, interview, errors=errors, status_code=422)
    except Conflict:  # answered here: the page shows the decision already recorded
        errors = [
            "Une décision est déjà enregistrée pour cet entretien (une réorientation la remplacera)."
        ]
        return _proposal_page(request, db, user, interview, errors=errors, status_code=409)
    return RedirectResponse(f"/orientation/entretiens/{interview_id}/proposition", 303)


@router.post("/entretiens/{interview_id}/reorientation")
def reorient(
    request: Request, db: DbSession, user: Interviewer, interview_id: str, form: PostedForm
) -> Response:
    """A later change of orientation: a new decision with its own date; the earlier ones stay."""
    interview = _interview_to_change(db, request, user, interview_id)
    try:
        service.reorient(
            db,
            de_id=interview.de_id,
            agent_id=actor_id(user),
            decided_at=datetime.now(UTC),
            organisation=str(form.get("organisation", "")),
            path=str(form.get("path", "")),
            modality=str(form.get("modality", "")),
            change_reason=str(form.get("change_reason", "")),
            change_comment=str(form.get("change_comment", "")),
        )
    except (InvalidInput, NotFound, Conflict) as exc:
        errors = (
            [f"{i.column} : {i.reason}" for i in exc.issues]
            if isinstance(exc, InvalidInput)
            else [str(exc)]
        )
        return _proposal_page(request, db, user, interview, errors=errors, status_code=422)
    return RedirectResponse(f"/orientation/entretiens/{interview_id}/proposition", 303)


# --- steering -----------------------------------------------------------------------------------


def _scope_agencies(db: Session, user: User) -> list[str] | None:
    """The agencies whose orientations this user may see in aggregate (None: all)."""
    scope = user.scope
    if scope.establishment_id is None:
        return None
    if scope.agency_id is not None:
        return [scope.agency_id]
    return list(
        db.scalars(
            select(Agency.agency_id).where(Agency.establishment_id == scope.establishment_id)
        )
    )


def _period(db: Session, agencies: list[str] | None, debut: str, fin: str) -> tuple[date, date]:
    """The requested period, or the calendar month of the latest decision in scope."""
    if debut and fin:
        first, last = parse_day(debut, "début"), parse_day(fin, "fin")
        if last < first:
            raise InvalidInput(f"Période vide : fin {last:%d/%m/%Y} avant début {first:%d/%m/%Y}.")
        return first, last
    query = select(OrientationDecision.decided_at).order_by(OrientationDecision.decided_at.desc())
    if agencies is not None:
        query = query.where(OrientationDecision.agency_id.in_(agencies))
    latest = db.scalar(query.limit(1))
    day = latest.astimezone(PARIS).date() if latest else datetime.now(PARIS).date()
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def _group(par: str) -> list[GroupBy]:
    choices: dict[str, list[GroupBy]] = {
        "departement": ["department"],
        "agence": ["department", "agency"],
        "semaine": ["week"],
        "agence-semaine": ["agency", "week"],
    }
    return choices.get(par, ["department"])


@router.get("/pilotage")
def steering_page(
    request: Request,
    db: DbSession,
    user: Steering,
    debut: str = "",
    fin: str = "",
    par: str = "departement",
) -> Response:
    agencies = _scope_agencies(db, user)
    start, end = _period(db, agencies, debut, fin)
    by = _group(par)
    library = default_library()
    report = deviation_report(db, start=start, end=end, agencies=agencies)
    return render(
        request,
        "orientation/steering.html",
        {
            "start": start,
            "end": end,
            "par": par,
            "by": by,
            "organisations": orientation_table(
                db, start=start, end=end, by=by, agencies=agencies, library=library
            ),
            "modalities": orientation_table(
                db,
                start=start,
                end=end,
                by=by,
                dimension="modality",
                agencies=agencies,
                library=library,
            ),
            "activity": activity(db, start=start, end=end, by=by, agencies=agencies),
            "capacities": capacity_status(db, at=min(end, datetime.now(PARIS).date()))
            if end >= library.charts[0].effective_from
            else [],
            "report": report,
            "org_matrix": _organisation_matrix(report),
            "vocab": library.vocabulary,
            "query": f"debut={start.isoformat()}&fin={end.isoformat()}",
        },
        fragment="tables",
    )


@router.get("/cse")
def council_page(request: Request, db: DbSession, user: Council) -> Response:
    """Monthly counts for the works council: complete months, no group under the threshold, not
    even by difference (`orientation.council`)."""
    table = council_table(
        db,
        today=datetime.now(PARIS).date(),
        threshold=int(steering.steering_config()["works_council"]["min_group_size"]),
        agencies=_scope_agencies(db, user),
    )
    trail.append(db, actor=user.login, action="view", object_type="orientation", object_id="cse")
    return render(
        request,
        "orientation/council.html",
        {"table": table, "vocab": default_library().vocabulary},
    )


def _organisation_matrix(report: DeviationReport) -> dict[tuple[str, str], int]:
    cells: dict[tuple[str, str], int] = {}
    for key, count in report.matrix.items():
        pair = (key[4], key[5])  # proposed, decided organisation
        cells[pair] = cells.get(pair, 0) + count
    return cells


def _export(db: Session, user: User, debut: str, fin: str) -> tuple[DeviationReport, str]:
    agencies = _scope_agencies(db, user)
    start, end = _period(db, agencies, debut, fin)
    report = deviation_report(db, start=start, end=end, agencies=agencies)
    return report, f"ecarts-orientation-{start.isoformat()}-{end.isoformat()}"


@router.get("/pilotage/ecarts.csv")
def export_matrix(
    request: Request, db: DbSession, user: Steering, debut: str = "", fin: str = ""
) -> Response:
    report, name = _export(db, user, debut, fin)
    return attachment(to_csv(report.matrix_rows(), MATRIX_COLUMNS), f"{name}.csv")


@router.get("/pilotage/ecarts-motifs.csv")
def export_reasons(
    request: Request, db: DbSession, user: Steering, debut: str = "", fin: str = ""
) -> Response:
    report, name = _export(db, user, debut, fin)
    return attachment(to_csv(report.reason_rows(), REASON_COLUMNS), f"{name}-motifs.csv")


@router.get("/pilotage/ecarts.json")
def export_json(
    request: Request, db: DbSession, user: Steering, debut: str = "", fin: str = ""
) -> Response:
    report, name = _export(db, user, debut, fin)
    return attachment(json.dumps(report.to_json(), ensure_ascii=False, indent=2), f"{name}.json")
