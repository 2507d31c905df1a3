"""Shared fixtures. Each test gets its own PARCOURS_HOME; database tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from parcours.config import reset_settings_cache
from parcours.db import get_engine, make_engine
from parcours.errors import Conflict
from parcours.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "PARCOURS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# Browser assertions wait for the page, not for a fixed delay: on this 2-core machine the browser
# suites share it with Spark and the PostgreSQL suites, and a form post followed by a redirect once
# took more than Playwright's default 5 s. A generous ceiling costs nothing when the page is quick.
expect.set_options(timeout=20_000)


@pytest.fixture(autouse=True)
def parcours_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("PARCOURS_HOME", str(home))
    monkeypatch.setenv("PARCOURS_MODE", "development")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    reset_settings_cache()
    get_engine.cache_clear()
    yield home
    reset_settings_cache()
    get_engine.cache_clear()


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL)
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


def _require_pg() -> None:
    if not _pg_available():
        if IN_CI:
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL not available")


def _pg_base() -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0]


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """A database migrated once per test process; each test clones it (CREATE DATABASE ... TEMPLATE)."""
    _require_pg()
    name = f"tmpl_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(f"{_pg_base()}/{name}")
    upgrade(eng)
    eng.dispose()
    try:
        yield name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with eng.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


def _new_pg_database(template: str | None) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )
    admin.dispose()
    return name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, EMPTY PostgreSQL database URL (no schema); dropped afterwards."""
    _require_pg()
    name = _new_pg_database(None)
    try:
        yield f"{_pg_base()}/{name}"
    finally:
        _drop_pg_database(name)


@pytest.fixture
def sqlite_url(parcours_home: Path, _sqlite_template: Path) -> str:
    """A migrated SQLite file inside the test's home (a server process started by the test can share it)."""
    path = parcours_home / "test.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A MIGRATED database (every domain's heads), once on SQLite and once on a real PostgreSQL."""
    if request.param == "sqlite":
        yield str(request.getfixturevalue("sqlite_url"))
        return
    name = _new_pg_database(request.getfixturevalue("_pg_template"))
    try:
        yield f"{_pg_base()}/{name}"
    finally:
        _drop_pg_database(name)


@pytest.fixture
def engine(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The migrated database of `db_url` as an engine; the settings point at it."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    reset_settings_cache()
    get_engine.cache_clear()
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def race(engine: Engine) -> Callable[[Callable[[Session], object]], list[str]]:
    """Two users record the same thing at the same time, each in their own transaction: the first
    holds its transaction open until the second has passed its own checks and is writing, then
    commits. `race(record)` returns each one's outcome: "recorded", "conflict" or the error."""

    def run(record: Callable[[Session], object]) -> list[str]:
        first_flushed, first_may_commit = threading.Event(), threading.Event()
        outcomes: dict[str, str] = {}

        def user(name: str) -> None:
            with Session(engine) as s:
                try:
                    record(s)
                    if name == "first":
                        first_flushed.set()
                        first_may_commit.wait(10)
                    s.commit()
                    outcomes[name] = "recorded"
                except Conflict:
                    s.rollback()
                    outcomes[name] = "conflict"
                except Exception as exc:  # shown in the assertion instead of lost in the thread
                    outcomes[name] = f"error: {exc!r}"
                finally:
                    first_flushed.set()

        first = threading.Thread(target=user, args=("first",))
        first.start()
        assert first_flushed.wait(10)
        second = threading.Thread(target=user, args=("second",))
        second.start()
        second.join(0.5)  # the second one is now blocked on the first one's row (or lock)
        first_may_commit.set()
        first.join(30)
        second.join(30)
        return [outcomes.get("first", "?"), outcomes.get("second", "?")]

    return run
