"""Web fixtures: a migrated database (SQLite and PostgreSQL through `engine`), the seeded world, the app,
and clients logged in as each role through the real login routes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
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


# -- a real server process and a real headless Chromium (browser tests; a module that uses them overrides
# `db_url` with a SQLite file shared by the test and the served process) ----------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(engine: Engine, world: World, parcours_home: Path, db_url: str) -> Iterator[str]:
    port = _free_port()
    env = os.environ | {
        "PARCOURS_HOME": str(parcours_home),
        "DATABASE_URL": db_url,
        "PARCOURS_MODE": "development",
        "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    # The server's output goes to a file: a pipe nobody reads fills up and freezes the server.
    log_path = parcours_home / "serve.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "parcours",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-watch",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # generous: CI machines may be loaded
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"server did not start:\n{log_path.read_text(errors='replace')[-4000:]}"
                )
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture
def browser_page(server: str) -> Iterator[tuple[object, list[str], list[str]]]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    csp_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="fr-FR")
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                csp_errors.append(m.text)
                if "Content Security Policy" in m.text or "Refused to" in m.text
                else None
            ),
        )
        yield page, requests, csp_errors
        context.close()
        browser.close()
