"""The one place where errors become responses: an HTML page for the browser, JSON for /api/ routes.

- NotAuthenticated → redirect to the login page (HTMX: an HX-Redirect header), 401 JSON for the API;
- PurposeRequired (a page called open_file on a file outside the user's scope) → the purpose form,
  which comes back to the page once a purpose is declared;
- every other ParcoursError → its status_code (403, 404, 409, 422...) with a French message;
- unknown URLs and wrong methods → the same 404 / 405 pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from parcours.accounts.dossier import PurposeRequired
from parcours.errors import InvalidInput, NotAuthenticated, ParcoursError
from parcours.web.rendering import is_htmx, render

TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    422: "Données invalides",
    428: "Motif requis",
    429: "Trop de tentatives",
    500: "Erreur du serveur",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _redirect(request: Request, url: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_response(
    request: Request, status: int, message: str, details: list[str] | None = None
) -> Response:
    if wants_json(request):
        return JSONResponse({"status": status, "error": message, "details": details or []}, status)
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": TITLES.get(status, "Erreur"),
            "message": message,
            "details": details or [],
        },
        status_code=status,
    )


def next_param(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return quote(target, safe="/")


def return_param(request: Request, fallback: str) -> str:
    """Where to come back after the purpose form. A GET page is shown again; a refused form post
    cannot be replayed as a GET (405), so the page it was sent from (the Referer's path on this
    site only: never an open redirect) or `fallback`."""
    if request.method in ("GET", "HEAD"):
        return next_param(request)
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc in ("", request.url.netloc)
    if same_site and referer.path.startswith("/") and not referer.path.startswith("//"):
        target = referer.path + (f"?{referer.query}" if referer.query else "")
        return quote(target, safe="/")
    return quote(fallback, safe="/")


async def on_parcours_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ParcoursError)
    if isinstance(exc, NotAuthenticated):
        if wants_json(request):
            return JSONResponse({"status": 401, "error": str(exc), "details": []}, 401)
        return _redirect(request, f"/connexion?suite={next_param(request)}")
    if isinstance(exc, PurposeRequired) and not wants_json(request):
        back = return_param(request, f"/dossiers/{exc.de_id}")
        return _redirect(request, f"/dossiers/{quote(exc.de_id)}/motif?suite={back}")
    # An issue about no file (a form's field) is its reason alone, without the empty location.
    details = (
        [str(i) if (i.file or i.line is not None or i.column) else i.reason for i in exc.issues]
        if isinstance(exc, InvalidInput)
        else None
    )
    message = (
        str(exc) if not isinstance(exc, InvalidInput) else "Les données saisies sont invalides."
    )
    return error_response(request, exc.status_code, message, details)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = {404: "Cette page n'existe pas.", 405: "Cette action n'est pas permise ici."}.get(
        exc.status_code, str(exc.detail)
    )
    return error_response(request, exc.status_code, message)


# Where a parameter comes from, and what is wrong with it, in the interface's language (pydantic's own
# messages are English). Unknown kinds keep pydantic's message.
PLACES = {"path": "adresse", "query": "paramètre", "body": "champ", "header": "en-tête"}
PROBLEMS = {
    "missing": "obligatoire",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "bool_parsing": "valeur oui/non attendue",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "greater_than_equal": "doit valoir au moins {ge}",
    "greater_than": "doit valoir plus de {gt}",
    "less_than_equal": "doit valoir au plus {le}",
    "less_than": "doit valoir moins de {lt}",
    "string_too_long": "au plus {max_length} caractères",
    "string_type": "texte attendu",
    "list_type": "liste attendue",
}


def _french(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error.get("loc") or ()]
    where = " ".join([PLACES.get(loc[0], loc[0]), *loc[1:]]) if loc else "requête"
    template = PROBLEMS.get(str(error.get("type", "")))
    ctx = error.get("ctx")
    try:
        what = template.format(**ctx) if template and isinstance(ctx, dict) else template
    except (KeyError, IndexError):
        what = None
    return f"{where} : {what or error.get('msg', '')}"


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [_french(e) for e in exc.errors()]
    return error_response(request, 422, "La requête est incomplète ou invalide.", details)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ParcoursError, on_parcours_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
