"""Blocking database work stays off the event loop.

A route that used the database as `async def` ran its queries on the event loop. When two requests
wrote at once (an HTMX autosave and the "terminer" button, say), the second one waited for SQLite's
write lock on the loop itself, so the first could never get back to commit: the server froze until
the 30 s busy timeout and answered 500 "database is locked" (on PostgreSQL a row lock would wait for
ever). CI caught it once in the orientation browser journey.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.web.deps import get_db
from parcours.web.testing import World, api_routes, csrf_token_of, login


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def _async_users_of_the_database(dependant: Dependant, where: str) -> Iterator[str]:
    uses_db = any(d.call is get_db for d in dependant.dependencies)
    if uses_db and dependant.call is not None and inspect.iscoroutinefunction(dependant.call):
        yield where
    for sub in dependant.dependencies:
        yield from _async_users_of_the_database(
            sub, f"{where} <- {getattr(sub.call, '__name__', sub.call)}"
        )


def test_no_async_route_or_dependency_uses_the_database(app: FastAPI) -> None:
    routes = api_routes(app)
    assert len(routes) > 50  # the walk did reach the routers
    offenders = [
        found
        for prefix, route in routes
        for found in _async_users_of_the_database(
            route.dependant, f"{sorted(route.methods)} {prefix}{route.path}"
        )
    ]
    assert offenders == [], "make these plain `def` (read the form through PostedForm)"


def test_concurrent_autosaves_and_completion_all_answer(
    app: FastAPI, engine: Engine, world: World
) -> None:
    with TestClient(app) as c:  # one event loop serves every request, as under uvicorn
        login(c, world.accounts[Role.CONSEILLER], engine=engine)
        token = csrf_token_of(c)
        started = c.post(
            "/orientation/entretiens",
            data={"csrf_token": token, "de_id": world.de_portfolio, "channel": "phone"},
            follow_redirects=False,
        )
        assert started.status_code == 303
        url = started.headers["location"]
        headers = {"HX-Request": "true", "X-CSRF-Token": token}

        def autosave(age: int) -> int:
            return c.post(f"{url}/reponses", data={"age": str(age)}, headers=headers).status_code

        def complete() -> int:
            # Answers are missing: the server keeps the draft and answers 422, after its own write.
            return c.post(f"{url}/terminer", data={"csrf_token": token, "rsa": "false"}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            saves = [pool.submit(autosave, 20 + i) for i in range(12)]
            completions = [pool.submit(complete) for _ in range(4)]
            assert [f.result(timeout=60) for f in saves] == [200] * 12
            assert [f.result(timeout=60) for f in completions] == [422] * 4
