"""Login (password, then TOTP for the roles that see alerts) and logout.

A new session id is issued at each step (the pre-login cookie and the password-step session are
dropped), so a session id planted before login is worthless after it (session fixation).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from parcours.accounts import service
from parcours.accounts.models import User
from parcours.accounts.sessions import close_all_sessions, close_session, open_session
from parcours.accounts.throttling import UnknownLogins
from parcours.errors import InvalidInput
from parcours.web.cookies import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    delete_cookie,
    session_token,
    set_cookie,
)
from parcours.web.deps import CurrentUser, DbSession, OptionalUser, get_web_session
from parcours.web.rendering import datetime_fr, render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no //host): no open redirect through the login page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    # Browsers drop tabs and newlines inside URLs: "/\t/evil.example" would become "//evil.example".
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    return target


def _start_session(
    request: Request, response: Response, db: DbSession, user: User, *, full: bool
) -> None:
    close_session(db, session_token(request))
    token = open_session(db, user=user, fully_authenticated=full)
    request.state.new_session_token = token
    set_cookie(response, SESSION_COOKIE, token)
    delete_cookie(response, PRESESSION_COOKIE)


def _refusal(outcome: service.LoginOutcome) -> tuple[str, int]:
    if outcome.locked:
        return (
            "Compte verrouillé après 10 échecs : réessayez après "
            f"{datetime_fr(outcome.retry_after)} ou contactez votre administrateur.",
            429,
        )
    if outcome.retry_after is not None:
        return (
            "Trop de tentatives : patientez avant de réessayer (après "
            f"{datetime_fr(outcome.retry_after)}).",
            429,
        )
    return "Identifiant, mot de passe ou code incorrect.", 401


@router.get("/connexion")
def login_form(request: Request, user: OptionalUser, suite: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(suite), status_code=303)
    return render(
        request, "auth/login.html", {"suite": safe_next(suite), "error": None, "login": ""}
    )


@router.post("/connexion")
def login_submit(
    request: Request,
    db: DbSession,
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    suite: Annotated[str, Form()] = "/",
) -> Response:
    # Logins that name no account are counted in the database under the deployment's secret key,
    # like accounts on their rows: every worker, before and after a restart, answers alike.
    unknown = UnknownLogins(request.app.state.settings.secret_key)
    outcome = service.check_password(db, login=login, password=password, unknown_logins=unknown)
    if outcome.user is None:
        message, status = _refusal(outcome)
        return render(
            request,
            "auth/login.html",
            {"suite": safe_next(suite), "error": message, "login": login},
            status_code=status,
        )
    needs_code = outcome.user.totp_secret is not None
    target = f"/connexion/code?suite={safe_next(suite)}" if needs_code else safe_next(suite)
    response = RedirectResponse(target, status_code=303)
    _start_session(request, response, db, outcome.user, full=not needs_code)
    return response


@router.get("/connexion/code")
def code_form(request: Request, db: DbSession, suite: str = "/") -> Response:
    found = get_web_session(request, db)
    if found is None:
        return RedirectResponse("/connexion", status_code=303)
    if found[0].fully_authenticated:
        return RedirectResponse(safe_next(suite), status_code=303)
    return render(request, "auth/code.html", {"suite": safe_next(suite), "error": None})


@router.post("/connexion/code")
def code_submit(
    request: Request,
    db: DbSession,
    code: Annotated[str, Form()],
    suite: Annotated[str, Form()] = "/",
) -> Response:
    found = get_web_session(request, db)
    if found is None:
        return RedirectResponse("/connexion", status_code=303)
    if found[0].fully_authenticated:
        return RedirectResponse(safe_next(suite), status_code=303)
    outcome = service.check_second_factor(db, user=found[1], code=code)
    if outcome.user is None:
        message, status = _refusal(outcome)
        return render(
            request,
            "auth/code.html",
            {"suite": safe_next(suite), "error": message},
            status_code=status,
        )
    response = RedirectResponse(safe_next(suite), status_code=303)
    _start_session(request, response, db, outcome.user, full=True)
    return response


@router.get("/compte/mot-de-passe")
def password_form(request: Request, user: CurrentUser, fait: int = 0) -> Response:
    return render(request, "auth/password.html", {"errors": [], "done": bool(fait)})


@router.post("/compte/mot-de-passe")
def password_submit(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    confirmation: Annotated[str, Form()],
) -> Response:
    try:
        service.change_password(db, user=user, current=current, new=new, confirmation=confirmation)
    except InvalidInput as exc:
        db.commit()  # a wrong current password is a counted failure, even though the change fails
        return render(
            request,
            "auth/password.html",
            {"errors": [i.reason for i in exc.issues], "done": False},
            status_code=422,
        )
    # Every other session of this account ends; this one continues under a new id (the redirect
    # carries the new cookie, so the next page's CSRF tokens derive from it).
    close_all_sessions(db, user_id=user.user_id)
    response = RedirectResponse("/compte/mot-de-passe?fait=1", status_code=303)
    _start_session(request, response, db, user, full=True)
    return response


@router.post("/deconnexion")
def logout(request: Request, db: DbSession) -> Response:
    close_session(db, session_token(request))
    response = RedirectResponse("/connexion", status_code=303)
    delete_cookie(response, SESSION_COOKIE)
    return response
