"""Names and flags of the cookies the application sets. Only two, both HttpOnly."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from parcours.config import get_settings

SESSION_COOKIE = "parcours_session"
# A random value given to anonymous visitors so that the login form has a CSRF token too.
PRESESSION_COOKIE = "parcours_presession"


def secure_cookies() -> bool:
    """Secure outside development: the development server runs on plain http://127.0.0.1."""
    return get_settings().mode != "development"


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",  # Lax, not Strict: links from notification e-mails must keep the session
        secure=secure_cookies(),
        path="/",
    )


def delete_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure_cookies())


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)
