"""CSRF protection of every unsafe request (POST, PUT, PATCH, DELETE).

The token is an HMAC of the visitor's session cookie (or, before login, of a random pre-session cookie)
under the secret key: nothing to store, it changes with every new session, and a page of another site
can neither read the cookie nor compute the token. Forms carry it in a hidden `csrf_token` field and
HTMX requests in the `X-CSRF-Token` header (set once on <body> by the base template).
As defence in depth, an unsafe request whose Origin header names another site is refused.

Routes under /api/ called without any session cookie are exempt: they authenticate by a bearer token,
which a foreign page cannot attach.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.requests import Request

from parcours.config import get_settings
from parcours.errors import Forbidden
from parcours.web.cookies import PRESESSION_COOKIE, SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def _basis(request: Request) -> str | None:
    return (
        request.cookies.get(SESSION_COOKIE)
        or getattr(request.state, "new_presession", None)
        or request.cookies.get(PRESESSION_COOKIE)
    )


def token_for(basis: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf|{basis}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token to embed in the page being rendered for this request."""
    # A session opened during this very request (login) is the basis of the next page's forms.
    basis = getattr(request.state, "new_session_token", None) or _basis(request)
    return token_for(basis) if basis else ""


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuses an unsafe request without the right token."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise Forbidden("Requête refusée : origine étrangère.")
    if request.url.path.startswith("/api/") and SESSION_COOKIE not in request.cookies:
        return
    basis = _basis(request)
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(FORM_FIELD)
            sent = value if isinstance(value, str) else None
    if not basis or not sent or not hmac.compare_digest(sent, token_for(basis)):
        raise Forbidden("Jeton de sécurité (CSRF) absent ou invalide : rechargez la page.")
