"""contract

Revision ID: engagement_0001
Revises: 0001_registry
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "engagement_0001"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
# Its contracts refer to the DPA bookings of the scheduling branch.
depends_on: str | Sequence[str] | None = "scheduling_0001"


def upgrade() -> None:
    op.create_table(
        "engagement_contracts",
        sa.Column("contract_id", sa.String(length=40), nullable=False),
        sa.Column("de_id", sa.String(length=32), nullable=False),
        sa.Column("booking_id", sa.String(length=40), nullable=True),
        sa.Column("agency_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=16), nullable=False),
        sa.Column("portfolio", sa.String(length=16), nullable=False),
        sa.Column("modality", sa.String(length=40), nullable=False),
        sa.Column("programme", sa.String(length=8), nullable=False),
        sa.Column("esf_financed", sa.Boolean(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("reoriented_on", sa.Date(), nullable=True),
        sa.Column("signature_due", sa.Date(), nullable=False),
        sa.Column("target_hours", sa.Float(), nullable=False),
        sa.Column("target_difficulties", sa.String(length=200), nullable=False),
        sa.Column("target_justification", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.String(length=32), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["scheduling_bookings.booking_id"],
            name=op.f("fk_engagement_contracts_booking_id_scheduling_bookings"),
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_engagement_contracts")),
    )
    with op.batch_alter_table("engagement_contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_contracts_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_engagement_contracts_de_id"), ["de_id"], unique=False)

    op.create_table(
        "engagement_actions",
        sa.Column("action_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=40), nullable=False),
        sa.Column("activity_code", sa.String(length=40), nullable=False),
        sa.Column("weekly_hours", sa.Float(), nullable=False),
        sa.Column("adjustment_reason", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["engagement_contracts.contract_id"],
            name=op.f("fk_engagement_actions_contract_id_engagement_contracts"),
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_engagement_actions")),
    )
    with op.batch_alter_table("engagement_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_actions_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "engagement_financing_periods",
        sa.Column("period_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=40), nullable=False),
        sa.Column("funder", sa.String(length=8), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("renewal_of", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["engagement_contracts.contract_id"],
            name=op.f("fk_engagement_financing_periods_contract_id_engagement_contracts"),
        ),
        sa.PrimaryKeyConstraint("period_id", name=op.f("pk_engagement_financing_periods")),
    )
    with op.batch_alter_table("engagement_financing_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_financing_periods_contract_id"), ["contract_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("engagement_financing_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_financing_periods_contract_id"))

    op.drop_table("engagement_financing_periods")
    with op.batch_alter_table("engagement_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_actions_contract_id"))

    op.drop_table("engagement_actions")
    with op.batch_alter_table("engagement_contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_contracts_de_id"))
        batch_op.drop_index(batch_op.f("ix_engagement_contracts_booking_id"))

    op.drop_table("engagement_contracts")
