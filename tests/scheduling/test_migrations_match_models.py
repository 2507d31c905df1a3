"""The hand-pruned revisions of scheduling, engagement and notify still match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import parcours.models  # noqa: F401
from parcours.db import Base

OURS = ("scheduling_", "engagement_", "outbox_")


def _concerns_us(diff: object) -> bool:
    text = repr(diff)
    return any(prefix in text for prefix in OURS)


def test_no_difference_between_models_and_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, Base.metadata) if _concerns_us(d)]
    assert diffs == []
