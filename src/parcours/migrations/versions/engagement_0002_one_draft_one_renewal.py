"""engagement: one contract in preparation per registrant, one renewal per financing period

Revision ID: engagement_0002
Revises: engagement_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "engagement_0002"
down_revision: str | Sequence[str] | None = "engagement_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Two counsellors could both pass the service's "already there?" check before either committed.
    op.create_index(
        "uq_engagement_contracts_draft",
        "engagement_contracts",
        ["de_id"],
        unique=True,
        sqlite_where=sa.text("status = 'draft'"),
        postgresql_where=sa.text("status = 'draft'"),
    )
    with op.batch_alter_table("engagement_financing_periods") as batch:
        batch.create_unique_constraint("uq_engagement_financing_periods_renewal_of", ["renewal_of"])


def downgrade() -> None:
    with op.batch_alter_table("engagement_financing_periods") as batch:
        batch.drop_constraint("uq_engagement_financing_periods_renewal_of", type_="unique")
    op.drop_index("uq_engagement_contracts_draft", table_name="engagement_contracts")
