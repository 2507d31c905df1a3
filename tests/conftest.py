"""Shared fixtures. Each test gets its own PARCOURS_HOME; database tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from parcours.config import reset_settings_cache
from parcours.db import get_engine, make_engine
from parcours.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "PARCOURS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


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


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema-isolated database URL; dropped afterwards."""
    if not _pg_available():
        if IN_CI:
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL not available")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, parcours_home: Path) -> str:
    """Run the test once on SQLite and once on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{parcours_home / 'test.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated database (every domain's heads) on each backend; the settings point at it."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    reset_settings_cache()
    get_engine.cache_clear()
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()
