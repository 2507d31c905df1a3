"""barometer: the record of each release of a wave

Revision ID: barometer_0002
Revises: barometer_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "barometer_0002"
down_revision: str | Sequence[str] | None = "barometer_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "barometer_releases",
        sa.Column("release_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("wave_id", sa.String(length=7), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["barometer_waves.wave_id"],
            name=op.f("fk_barometer_releases_wave_id_barometer_waves"),
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_barometer_releases")),
        sa.UniqueConstraint("wave_id", "sequence", name=op.f("uq_barometer_releases_wave_id")),
    )


def downgrade() -> None:
    op.drop_table("barometer_releases")
