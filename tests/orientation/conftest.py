"""Web fixtures for the orientation pages, built on the shell's helpers (`parcours.web.testing`)."""

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
def web_app(engine: Engine, world: World) -> FastAPI:
    return create_app(engine=engine)


@pytest.fixture
def client_as(
    web_app: FastAPI, engine: Engine, world: World
) -> Iterator[Callable[[Role | None], TestClient]]:
    """A client logged in as the test account of a role (None: anonymous)."""
    opened: list[TestClient] = []

    def make(role: Role | None) -> TestClient:
        c = TestClient(web_app)
        opened.append(c)
        if role is not None:
            login(c, world.accounts[role], engine=engine)
        return c

    yield make
    for c in opened:
        c.close()
