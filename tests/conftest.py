"""Shared fixtures. Each test gets its own PARCOURS_HOME; database tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import queue
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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep `--dist loadgroup` grouping: each `xdist_group` on one worker (the Spark tests share one
    JVM). pytest-xdist 3.8 groups by appending `@group` to the node id through `item._nodeid`, which
    pytest 9.2's structured node ids ignore: the Spark tests were spread over both workers, each
    starting its own JVM (pytest-dev/pytest-xdist#1386). Same suffix, on the structured id."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers under loadgroup only
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # an older pytest: xdist's own suffix works
        return
    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default"))
            for m in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = NodeId.parse(item.nodeid + suffix)


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


class _PgClones:
    """The template's clones, made one test ahead and dropped after their test on a background thread:
    a PostgreSQL test no longer waits for CREATE DATABASE ... TEMPLATE (about 0.3 s) nor for DROP
    DATABASE (about 0.1 s). Each test still gets its own fresh clone of the migrated template."""

    def __init__(self, template: str) -> None:
        self._template = template
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._drop_errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._work, name="pg-clones", daemon=True)
        self._thread.start()
        self._jobs.put(("create", template))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            kind, name = job
            # A failure is reported by the test that takes the clone, or at the end of the session.
            try:
                if kind == "create":
                    self._ready.put(_new_pg_database(name))
                else:
                    _drop_pg_database(name)
            except BaseException as exc:
                if kind == "create":
                    self._ready.put(exc)
                else:
                    self._drop_errors.append(exc)

    def take(self) -> str:
        got = self._ready.get(timeout=600)
        # The next test's clone, made while this one runs.
        self._jobs.put(("create", self._template))
        if isinstance(got, BaseException):
            raise got
        return got

    def give_back(self, name: str) -> None:
        self._jobs.put(("drop", name))

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()
        while not self._ready.empty():
            left = self._ready.get_nowait()
            if isinstance(left, str):
                _drop_pg_database(left)
        if self._drop_errors:
            raise self._drop_errors[0]


@pytest.fixture(scope="session")
def _pg_clones(_pg_template: str) -> Iterator[_PgClones]:
    clones = _PgClones(_pg_template)
    try:
        yield clones
    finally:
        clones.close()


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
    clones: _PgClones = request.getfixturevalue("_pg_clones")
    name = clones.take()
    try:
        yield f"{_pg_base()}/{name}"
    finally:
        clones.give_back(name)


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
