"""controls: indexes serving the inbox (scope + state, ordered by level and due date)

Revision ID: controls_0002
Revises: controls_0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "controls_0002"
down_revision: str | Sequence[str] | None = "controls_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_controls_inbox_national": ["state", "level", "step_due_on"],
    "ix_controls_inbox_establishment": ["establishment_id", "state", "level", "step_due_on"],
    "ix_controls_inbox_agency": ["agency_id", "state", "level", "step_due_on"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "controls", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="controls")
