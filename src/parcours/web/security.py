"""Response headers on every response: a strict Content-Security-Policy (nothing but this server),
no caching of pages that may hold personal data, no framing, and the pre-session cookie for anonymous
visitors (the basis of the login form's CSRF token)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from parcours.web.assets import STATIC_URL
from parcours.web.cookies import PRESESSION_COOKIE, SESSION_COOKIE, set_cookie

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if SESSION_COOKIE not in request.cookies and PRESESSION_COOKIE not in request.cookies:
        request.state.new_presession = secrets.token_urlsafe(32)
    response = await call_next(request)
    new_presession = getattr(request.state, "new_presession", None)
    if new_presession and not request.url.path.startswith(STATIC_URL):
        set_cookie(response, PRESESSION_COOKIE, new_presession)
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not request.url.path.startswith(STATIC_URL):
        h.setdefault("Cache-Control", "no-store")
    return response
