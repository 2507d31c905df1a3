"""The internal barometer dashboard: a region against the nation, or the nation and its regions, from
suppressed aggregates only (no respondent, no group under 10, no figure derivable by difference)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.barometer.dashboard import cached_results, dashboard_context, readable_scopes
from parcours.barometer.report import chart_data, render_pdf, report_context
from parcours.errors import NotFound
from parcours.web.deps import DbSession, require_roles
from parcours.web.navigation import NavItem
from parcours.web.rendering import attachment, render

router = APIRouter(prefix="/barometre")
BAROMETER_ROLES = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL, Role.CSE})
Reader = Annotated[User, Depends(require_roles(*BAROMETER_ROLES))]
NAV = [NavItem("Baromètre", "/barometre", BAROMETER_ROLES, order=40)]


def _scopes(db: DbSession, user: User) -> list[str]:
    return readable_scopes(
        db, establishment_id=user.scope.establishment_id, national=user.role == Role.NATIONAL
    )


@router.get("")
def home(db: DbSession, user: Reader) -> Response:
    """Straight to the account's own region when it has one, else to the nation."""
    scopes = _scopes(db, user)
    target = scopes[1] if len(scopes) == 2 else scopes[0]
    return RedirectResponse(f"/barometre/{target}", status_code=303)


def _checked_scope(db: DbSession, user: User, scope: str) -> list[str]:
    scopes = _scopes(db, user)
    if scope not in scopes:
        raise NotFound(
            "Périmètre introuvable."
        )  # another region: its existence does not matter, 404
    return scopes


@router.get("/{scope}")
def dashboard(request: Request, db: DbSession, user: Reader, scope: str) -> Response:
    scopes = _checked_scope(db, user, scope)
    engine = request.app.state.engine
    results = cached_results(engine)
    if not results.waves:
        return render(request, "barometer/empty.html", {})
    context = dashboard_context(results, scope)
    context["scopes"] = [(s, results.group_label_short(s)) for s in scopes]
    return render(request, "barometer/dashboard.html", context)


@router.get("/{scope}/rapport.pdf")
def report_pdf(request: Request, db: DbSession, user: Reader, scope: str) -> Response:
    _checked_scope(db, user, scope)
    results = cached_results(request.app.state.engine)
    if not results.waves or scope == "FR":
        raise NotFound("Rapport disponible pour une région ayant des réponses.")
    pdf = render_pdf(report_context(results, scope), chart_data(results, scope))
    return attachment(pdf, f"barometre-{scope.lower()}.pdf")
