"""Rendering: one helper decides between the whole page and an HTMX fragment of it.

`render(request, "dossier/search.html", {...}, fragment="results")` returns the full page for a normal
request and only the template's `{% block results %}` for an HTMX request on the same URL. Every
response says `Vary: HX-Request` so that no cache serves one in place of the other.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from parcours.accounts.roles import LABELS, Role
from parcours.audit.input_report import count_fr
from parcours.web import assets
from parcours.web.csrf import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
PARIS = ZoneInfo("Europe/Paris")


def datetime_fr(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:  # stored in UTC; SQLite hands it back naive
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _date_fr(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _role_label(value: str) -> str:
    try:
        return LABELS[Role(value)]
    except ValueError:
        return value


@cache
def _scenario_titles() -> dict[str, str]:
    from parcours.audit.scenario import load_scenarios

    return {s.id: s.spec.title for s in load_scenarios()}


def scenario_title(scenario_id: str) -> str:
    """A situation's French title (its scenario file's `title`), the id itself for a retired scenario."""
    return _scenario_titles().get(scenario_id, scenario_id)


def int_fr(value: int | None) -> str:
    """A count the French way (990 435), a dash when unknown."""
    return "—" if value is None else count_fr(value)


def _percent_fr(value: float, digits: int = 1) -> str:
    return f"{value * 100:.{digits}f}".replace(".", ",") + "\u202f%"


# French words for the interchange codes shown on pages (the codes stay the contract's, docs/formats.md).
CODE_LABELS: dict[str, dict[str, str]] = {
    "appointment_status": {
        "planned": "prévu", "done": "tenu", "no_show": "absent", "cancelled": "annulé",
    },
    "action": {"view": "consultation", "edit": "modification", "print": "impression", "export": "export"},
}  # fmt: skip


def _code_label(value: str | None, kind: str) -> str:
    """The French word of an interchange code; an unknown code is shown as it is."""
    if value is None:
        return "—"
    return CODE_LABELS[kind].get(value, value)


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a typo in a template fails the test instead of rendering blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime_fr"] = datetime_fr
    env.filters["date_fr"] = _date_fr
    env.filters["role_label"] = _role_label
    env.filters["scenario_title"] = scenario_title
    env.filters["percent_fr"] = _percent_fr
    env.filters["code_label"] = _code_label
    env.filters["int_fr"] = int_fr
    env.globals["assets"] = assets
    return env


ENV = make_environment()


def is_htmx(request: Request) -> bool:
    """An HTMX request that wants a fragment (boosted navigation wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


def base_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    nav = []
    if user is not None:
        nav = [item for item in request.app.state.nav if user.role_enum in item.roles]
    return {
        "request": request,
        "user": user,
        "nav": nav,
        "csrf_token": csrf_token(request),
        "current_path": request.url.path,
    }


def render_text(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
) -> str:
    ctx = base_context(request) | (context or {})
    tmpl = ENV.get_template(template)
    if fragment is not None and is_htmx(request):
        return "".join(tmpl.blocks[fragment](tmpl.new_context(ctx)))
    return tmpl.render(ctx)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    html = render_text(request, template, context, fragment=fragment)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response


# Downloads by file extension; every other header (no-store, CSP...) comes from the middleware.
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment(body: str | bytes, filename: str) -> Response:
    """A file to download, its media type given by the extension of `filename`."""
    media_type = MEDIA_TYPES[filename.rsplit(".", 1)[-1]]
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
