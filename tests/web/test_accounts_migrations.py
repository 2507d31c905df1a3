"""The accounts branch's revisions match the models (the throttle table of accounts_0002 included)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import parcours.models  # noqa: F401
from parcours.db import Base

TABLES = ("users", "web_sessions", "declared_purposes", "login_throttle", "trail_entries")


def _concerns_us(diff: object) -> bool:
    """A table of ours, by name ('users') or as a column's table (<users>, in an index's diff)."""
    text = repr(diff)
    return any(f"'{t}'" in text or f"<{t}>" in text for t in TABLES)


def test_no_difference_between_models_and_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, Base.metadata) if _concerns_us(d)]
    assert diffs == []
