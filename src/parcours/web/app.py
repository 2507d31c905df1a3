"""The application factory. Each domain adds a module `parcours.web.routes.<name>` (discovered by
`route_modules`) exposing `router: APIRouter` (and optionally `NAV: list[NavItem]`), with its templates
in `templates/<name>/`. See docs/web.md."""

from __future__ import annotations

from importlib import import_module

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from parcours.config import Settings, get_settings
from parcours.db import make_engine
from parcours.web import errors
from parcours.web.assets import STATIC_DIR, STATIC_URL
from parcours.web.csrf import csrf_protect
from parcours.web.inputs import refuse_nul_characters
from parcours.web.navigation import NavItem
from parcours.web.security import security_headers


def route_modules() -> list[str]:
    """Every module of `parcours.web.routes` (each exposes `router`, optionally `NAV`): discovered, not
    listed, so that a domain adds its pages without touching a shared file. Sorted for a stable order."""
    import pkgutil

    import parcours.web.routes

    return sorted(
        i.name
        for i in pkgutil.iter_modules(parcours.web.routes.__path__)
        if not i.name.startswith("_")
    )


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Parcours",
        docs_url=None,  # no public API explorer: every route is a page behind the login
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect), Depends(refuse_nul_characters)],
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.sqlalchemy_url)
    nav: list[NavItem] = []
    for name in route_modules():
        module = import_module(f"parcours.web.routes.{name}")
        app.include_router(module.router)
        nav.extend(getattr(module, "NAV", []))
    app.state.nav = sorted(nav, key=lambda item: item.order)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    app.middleware("http")(security_headers)
    errors.install(app)
    return app
