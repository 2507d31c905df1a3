"""Web fixtures: a migrated database (SQLite and PostgreSQL through `engine`), the seeded world, the app,
and clients logged in as each role through the real login routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts.roles import Role
from parcours.db import session_scope
from parcours.web.app import create_app
from parcours.web.testing import World, login, seed_world


@pytest.fixture
def world(engine: Engine) -> World:
    with session_scope(engine) as s:
        return seed_world(s)


@pytest.fixture
def app(engine: Engine, world: World) -> FastAPI:
    return create_app(engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def client_as(app: FastAPI, engine: Engine, world: World) -> Iterator[Callable[[Role], TestClient]]:
    """A new client logged in as the test account of a role."""
    opened: list[TestClient] = []

    def make(role: Role) -> TestClient:
        c = TestClient(app)
        opened.append(c)
        login(c, world.accounts[role], engine=engine)
        return c

    yield make
    for c in opened:
        c.close()
