"""controls: a reopened control keeps its written report, superseded; one current report per control

Revision ID: controls_0004
Revises: controls_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "controls_0004"
down_revision: str | Sequence[str] | None = "controls_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = "superseded_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("control_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
    # The unique index on control_id becomes a plain one; uniqueness holds for the current report only.
    op.drop_index("ix_control_reports_control_id", table_name="control_reports")
    op.create_index("ix_control_reports_control_id", "control_reports", ["control_id"])
    op.create_index(
        "uq_control_reports_current",
        "control_reports",
        ["control_id"],
        unique=True,
        sqlite_where=sa.text(CURRENT),
        postgresql_where=sa.text(CURRENT),
    )


def downgrade() -> None:
    # Fails while a control has a superseded report besides its current one (both would be lost).
    op.drop_index("uq_control_reports_current", table_name="control_reports")
    op.drop_index("ix_control_reports_control_id", table_name="control_reports")
    op.create_index("ix_control_reports_control_id", "control_reports", ["control_id"], unique=True)
    with op.batch_alter_table("control_reports", schema=None) as batch_op:
        batch_op.drop_column("superseded_at")
