"""orientation: one initial decision per interview, one revision per decision

Revision ID: orientation_0002
Revises: orientation_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "orientation_0002"
down_revision: str | Sequence[str] | None = "orientation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Two counsellors could both pass the service's "no decision yet" check before either committed.
    op.create_index(
        "uq_orientation_decisions_initial",
        "orientation_decisions",
        ["interview_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'initial'"),
        postgresql_where=sa.text("kind = 'initial'"),
    )
    op.create_index(
        "uq_orientation_decisions_supersedes",
        "orientation_decisions",
        ["supersedes_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_orientation_decisions_supersedes", table_name="orientation_decisions")
    op.drop_index("uq_orientation_decisions_initial", table_name="orientation_decisions")
