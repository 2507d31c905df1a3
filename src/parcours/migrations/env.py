"""Alembic environment. The URL comes from the one settings object unless a connection is passed in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import parcours.models  # noqa: F401  (registers every table)
from parcours.config import get_settings
from parcours.db import Base, make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
