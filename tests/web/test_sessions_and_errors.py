"""Session lifetimes, the HTMX redirect on expiry, and JSON errors for /api/ routes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.accounts.sessions import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    PENDING_TIMEOUT,
    load_session,
    open_session,
)
from parcours.errors import NotFound
from parcours.web.app import create_app
from parcours.web.deps import get_current_user
from parcours.web.testing import World


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def test_session_lifetimes(engine: Engine, world: World) -> None:
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with Session(engine) as s:
        user = s.query(User).filter_by(login=world.accounts[Role.CSE].login).one()
        full = open_session(s, user=user, fully_authenticated=True, now=t0)
        pending = open_session(s, user=user, fully_authenticated=False, now=t0)
        # Activity keeps a full session alive until the absolute limit...
        t = t0
        while t + IDLE_TIMEOUT / 2 < t0 + ABSOLUTE_TIMEOUT:
            t += IDLE_TIMEOUT / 2
            assert load_session(s, full, now=t) is not None, t
        assert load_session(s, full, now=t0 + ABSOLUTE_TIMEOUT) is None
        # ...and the half-authenticated one dies quickly.
        assert load_session(s, pending, now=t0 + PENDING_TIMEOUT) is None
        idle = open_session(s, user=user, fully_authenticated=True, now=t0)
        assert load_session(s, idle, now=t0 + IDLE_TIMEOUT) is None
        assert load_session(s, "not-a-token", now=t0) is None


def test_htmx_request_without_session_gets_hx_redirect(client: TestClient) -> None:
    r = client.get("/dossiers?q=du", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 204
    assert r.headers["HX-Redirect"].startswith("/connexion?suite=")


def test_api_routes_answer_json(engine: Engine, world: World) -> None:
    app = create_app(engine=engine)
    api = APIRouter(prefix="/api")

    @api.get("/ping", dependencies=[Depends(get_current_user)])
    def ping() -> dict[str, str]:
        return {"pong": "ok"}

    @api.get("/missing")
    def missing() -> dict[str, str]:
        raise NotFound("Objet introuvable.")

    @api.post("/ingest")
    def ingest() -> dict[str, str]:
        return {"accepted": "yes"}

    app.include_router(api)
    with TestClient(app) as c:
        r = c.get("/api/ping")
        assert r.status_code == 401 and r.json()["status"] == 401
        r = c.get("/api/missing")
        assert r.status_code == 404 and r.json()["error"] == "Objet introuvable."
        # A bearer-token client has no session cookie: no CSRF token asked.
        c.cookies.clear()
        assert c.post("/api/ingest").status_code == 200


def test_expired_sessions_are_purged_at_login(engine: Engine, world: World) -> None:
    from parcours.accounts.models import WebSession

    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with Session(engine) as s:
        user = s.query(User).filter_by(login=world.accounts[Role.CSE].login).one()
        open_session(s, user=user, fully_authenticated=True, now=t0)
        open_session(s, user=user, fully_authenticated=False, now=t0)
        s.commit()
        live = open_session(s, user=user, fully_authenticated=True, now=t0 + IDLE_TIMEOUT * 2)
        s.commit()
        assert s.query(WebSession).count() == 1
        assert load_session(s, live, now=t0 + IDLE_TIMEOUT * 2) is not None
