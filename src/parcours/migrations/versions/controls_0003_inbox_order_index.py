"""controls: an index in the inbox's order, so a page is read in order instead of sorted

Revision ID: controls_0003
Revises: controls_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "controls_0003"
down_revision: str | Sequence[str] | None = "controls_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The national inbox reads this index in order and filters the state; an index led by the state made
    # SQLite sort every open control instead, so it goes.
    op.drop_index("ix_controls_inbox_national", table_name="controls")
    op.create_index(
        "ix_controls_inbox_order",
        "controls",
        ["level", "step_due_on", sa.text("score DESC"), "control_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_controls_inbox_order", table_name="controls")
    op.create_index("ix_controls_inbox_national", "controls", ["state", "level", "step_due_on"])
