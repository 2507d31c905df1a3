"""barometer: survey waves and responses

Revision ID: barometer_0001
Revises: 0001_registry
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "barometer_0001"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "barometer_waves",
        sa.Column("wave_id", sa.String(length=7), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("first_imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_barometer_waves")),
    )
    op.create_table(
        "barometer_responses",
        sa.Column("response_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("wave_id", sa.String(length=7), nullable=False),
        sa.Column("respondent_id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["barometer_waves.wave_id"],
            name=op.f("fk_barometer_responses_wave_id_barometer_waves"),
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_barometer_responses")),
        sa.UniqueConstraint(
            "wave_id", "respondent_id", name=op.f("uq_barometer_responses_wave_id")
        ),
    )
    with op.batch_alter_table("barometer_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_barometer_responses_region"), ["region"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_barometer_responses_wave_id"), ["wave_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("barometer_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_barometer_responses_wave_id"))
        batch_op.drop_index(batch_op.f("ix_barometer_responses_region"))

    op.drop_table("barometer_responses")
    op.drop_table("barometer_waves")
