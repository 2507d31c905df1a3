"""Checks every request's text gets before any route sees it.

No text this application stores or looks up may hold the NUL character (U+0000): PostgreSQL refuses it in
text values, so a path, query or form value carrying one made the driver fail mid-request (a 500) where
SQLite quietly stored it. It is refused here, once for every route, with the usual "invalid input" page.
"""

from __future__ import annotations

from starlette.requests import Request

from parcours.errors import InvalidInput

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values: list[str]) -> bool:
    return any(NUL in v for v in values)


async def refuse_nul_characters(request: Request) -> None:
    """App-wide dependency: a request whose path, query string or form holds U+0000 is invalid."""
    texts = [request.url.path, *request.path_params.values()]
    texts += [x for pair in request.query_params.multi_items() for x in pair]
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()  # parsed once: starlette keeps it for the route
        texts += [k for k in form] + [v for v in form.values() if isinstance(v, str)]
    if _has_nul([str(t) for t in texts]):
        raise InvalidInput("La requête contient un caractère nul (U+0000), qui n'est pas accepté.")
