"""Job-seeker files: search by name (not a consultation), then open a file (a logged consultation).

Opening a file outside one's scope goes through the purpose form first; the purpose is stored with the
consultation events of that file.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from parcours.accounts.dossier import FileView, purposes_for, search_job_seekers, validate_purpose
from parcours.accounts.models import User
from parcours.accounts.roles import ROLES_READING_FILES
from parcours.errors import InvalidInput, NotFound
from parcours.registry.models import JobSeeker
from parcours.web.deps import DbSession, require_roles
from parcours.web.files import declare_purpose, open_file_for_request
from parcours.web.navigation import NavItem
from parcours.web.rendering import PARIS, attachment, render
from parcours.web.routes.auth import safe_next

router = APIRouter(prefix="/dossiers")
FileReader = Annotated[User, Depends(require_roles(*ROLES_READING_FILES))]

NAV = [NavItem("Dossiers", "/dossiers", ROLES_READING_FILES, order=10)]


@router.get("")
def search(request: Request, db: DbSession, user: FileReader, q: str = "") -> Response:
    hits = search_job_seekers(db, user, q) if q else []
    return render(request, "dossier/search.html", {"q": q, "hits": hits}, fragment="results")


@router.get("/{de_id}")
def show(request: Request, db: DbSession, user: FileReader, de_id: str) -> Response:
    view = open_file_for_request(db, request, user, de_id, action="view")
    return render(request, "dossier/file.html", {"f": view})


@router.get("/{de_id}/impression")
def print_view(request: Request, db: DbSession, user: FileReader, de_id: str) -> Response:
    view = open_file_for_request(db, request, user, de_id, action="print")
    now_fr = datetime.now(PARIS).strftime("%d/%m/%Y à %H:%M")
    return render(request, "dossier/print.html", {"f": view, "now_fr": now_fr})


@router.get("/{de_id}/export")
def export(request: Request, db: DbSession, user: FileReader, de_id: str) -> Response:
    view = open_file_for_request(db, request, user, de_id, action="export")
    body = json.dumps(_as_dict(view), ensure_ascii=False, indent=2, default=str)
    return attachment(body, f"dossier-{de_id}.json")


@router.get("/{de_id}/motif")
def purpose_form(
    request: Request, db: DbSession, user: FileReader, de_id: str, suite: str = ""
) -> Response:
    if db.get(JobSeeker, de_id) is None:
        raise NotFound(f"Dossier {de_id} introuvable.")
    return render(
        request,
        "dossier/purpose.html",
        {
            "de_id": de_id,
            "purposes": purposes_for(user.role_enum),
            "suite": safe_next(suite or f"/dossiers/{de_id}"),
            "error": None,
        },
    )


@router.post("/{de_id}/motif")
def purpose_submit(
    request: Request,
    db: DbSession,
    user: FileReader,
    de_id: str,
    choice: Annotated[str, Form()],
    detail: Annotated[str, Form()] = "",
    suite: Annotated[str, Form()] = "",
) -> Response:
    if db.get(JobSeeker, de_id) is None:
        raise NotFound(f"Dossier {de_id} introuvable.")
    target = safe_next(suite or f"/dossiers/{de_id}")
    try:
        purpose = validate_purpose(choice, detail, user.role_enum)
    except InvalidInput as exc:  # the form comes back with the reason, nothing is recorded
        return render(
            request,
            "dossier/purpose.html",
            {
                "de_id": de_id,
                "purposes": purposes_for(user.role_enum),
                "suite": target,
                "error": exc.issues[0].reason,
            },
            status_code=422,
        )
    declare_purpose(db, request, de_id, purpose)
    return RedirectResponse(target, status_code=303)


def _as_dict(view: FileView) -> dict[str, object]:
    js = view.job_seeker
    return {
        "de_id": js.de_id,
        "nom": js.last_name,
        "nom_de_naissance": js.birth_name,
        "prenoms": js.first_names,
        "date_de_naissance": js.birth_date,
        "departement": js.department_code,
        "commune": js.commune_code,
        "agence": view.agency.name if view.agency else None,
        "referent": view.referent.agent_id if view.referent else None,
        "inscription": js.registered_on,
        "sortie": js.deregistered_on,
        "rendez_vous": [
            {
                "id": a.appointment_id,
                "debut": a.starts_at,
                "type": a.kind,
                "statut": a.status,
                "agent": a.agent_id,
            }
            for a in view.appointments
        ],
        "appels": [
            {"id": c.call_id, "debut": c.started_at, "fin": c.ended_at, "agent": c.agent_id}
            for c in view.calls
        ],
        "taches": [
            {
                "id": t.task_id,
                "creee": t.created_at,
                "close": t.closed_at,
                "type": t.kind,
                "agent": t.agent_id,
            }
            for t in view.tasks
        ],
    }
