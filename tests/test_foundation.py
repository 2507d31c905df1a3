from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, inspect

import parcours.models  # noqa: F401
from parcours.config import DEV_SECRET_KEY, Settings
from parcours.db import Base


def test_dev_secret_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="development default"):
        Settings(mode="production", secret_key=DEV_SECRET_KEY)
    Settings(mode="production", secret_key="x" * 40)


def test_default_database_is_sqlite_in_home(parcours_home) -> None:  # type: ignore[no-untyped-def]
    s = Settings()
    assert s.sqlalchemy_url.startswith("sqlite:///")
    assert str(parcours_home.resolve()) in s.sqlalchemy_url


def test_migrations_create_every_model_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    missing = set(Base.metadata.tables) - tables
    assert not missing, f"tables without a migration: {sorted(missing)}"
