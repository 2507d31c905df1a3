"""consultation buffer

Revision ID: consultlog_0001
Revises: 0001_registry
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "consultlog_0001"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation_buffer",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("de_id", sa.String(length=64), nullable=False),
        sa.Column("application", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_buffer")),
    )
    with op.batch_alter_table("consultation_buffer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_buffer_de_id"), ["de_id"], unique=False)
    op.create_table(
        "consultation_flushes",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.String(length=80), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_consultation_flushes")),
    )


def downgrade() -> None:
    op.drop_table("consultation_flushes")
    with op.batch_alter_table("consultation_buffer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_buffer_de_id"))
    op.drop_table("consultation_buffer")
