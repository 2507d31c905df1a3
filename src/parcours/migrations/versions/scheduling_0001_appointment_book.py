"""appointment_book

Revision ID: scheduling_0001
Revises: 0001_registry
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scheduling_0001"
down_revision: str | Sequence[str] | None = "0001_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduling_counsellor_day_locks",
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "agent_id", "local_day", name=op.f("pk_scheduling_counsellor_day_locks")
        ),
    )
    op.create_table(
        "scheduling_absences",
        sa.Column("absence_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.agency_id"],
            name=op.f("fk_scheduling_absences_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("absence_id", name=op.f("pk_scheduling_absences")),
    )
    with op.batch_alter_table("scheduling_absences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_absences_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduling_absences_agent_id"), ["agent_id"], unique=False
        )

    op.create_table(
        "scheduling_activity_overrides",
        sa.Column("override_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_id", sa.String(length=32), nullable=False),
        sa.Column("activity", sa.String(length=8), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("break_minutes", sa.Integer(), nullable=True),
        sa.Column("max_per_day", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.agency_id"],
            name=op.f("fk_scheduling_activity_overrides_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("override_id", name=op.f("pk_scheduling_activity_overrides")),
    )
    with op.batch_alter_table("scheduling_activity_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_activity_overrides_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "scheduling_bookings",
        sa.Column("booking_id", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("de_id", sa.String(length=32), nullable=False),
        sa.Column("activity", sa.String(length=8), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("break_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("organisation", sa.String(length=16), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_id", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.agency_id"],
            name=op.f("fk_scheduling_bookings_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_scheduling_bookings")),
    )
    with op.batch_alter_table("scheduling_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_bookings_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            "ix_scheduling_bookings_agent_day", ["agent_id", "local_day"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_scheduling_bookings_de_id"), ["de_id"], unique=False)
        batch_op.create_index(
            "uq_scheduling_bookings_live_person",
            ["de_id", "activity"],
            unique=True,
            sqlite_where=sa.text("status = 'booked'"),
            postgresql_where=sa.text("status = 'booked'"),
        )
        batch_op.create_index(
            "uq_scheduling_bookings_live_slot",
            ["agent_id", "starts_at"],
            unique=True,
            sqlite_where=sa.text("status = 'booked'"),
            postgresql_where=sa.text("status = 'booked'"),
        )

    op.create_table(
        "scheduling_opening_ranges",
        sa.Column("range_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.agency_id"],
            name=op.f("fk_scheduling_opening_ranges_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("range_id", name=op.f("pk_scheduling_opening_ranges")),
    )
    with op.batch_alter_table("scheduling_opening_ranges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_opening_ranges_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduling_opening_ranges_agent_id"), ["agent_id"], unique=False
        )

    op.create_table(
        "scheduling_booking_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("booking_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=True),
        sa.Column("from_agent_id", sa.String(length=32), nullable=True),
        sa.Column("from_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("to_agent_id", sa.String(length=32), nullable=True),
        sa.Column("to_starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["scheduling_bookings.booking_id"],
            name=op.f("fk_scheduling_booking_events_booking_id_scheduling_bookings"),
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_scheduling_booking_events")),
    )
    with op.batch_alter_table("scheduling_booking_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_booking_events_booking_id"), ["booking_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scheduling_booking_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduling_booking_events_booking_id"))

    op.drop_table("scheduling_booking_events")
    with op.batch_alter_table("scheduling_opening_ranges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduling_opening_ranges_agent_id"))
        batch_op.drop_index(batch_op.f("ix_scheduling_opening_ranges_agency_id"))

    op.drop_table("scheduling_opening_ranges")
    with op.batch_alter_table("scheduling_bookings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_scheduling_bookings_live_slot",
            sqlite_where=sa.text("status = 'booked'"),
            postgresql_where=sa.text("status = 'booked'"),
        )
        batch_op.drop_index(
            "uq_scheduling_bookings_live_person",
            sqlite_where=sa.text("status = 'booked'"),
            postgresql_where=sa.text("status = 'booked'"),
        )
        batch_op.drop_index(batch_op.f("ix_scheduling_bookings_de_id"))
        batch_op.drop_index("ix_scheduling_bookings_agent_day")
        batch_op.drop_index(batch_op.f("ix_scheduling_bookings_agency_id"))

    op.drop_table("scheduling_bookings")
    with op.batch_alter_table("scheduling_activity_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduling_activity_overrides_agency_id"))

    op.drop_table("scheduling_activity_overrides")
    with op.batch_alter_table("scheduling_absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduling_absences_agent_id"))
        batch_op.drop_index(batch_op.f("ix_scheduling_absences_agency_id"))

    op.drop_table("scheduling_absences")
    op.drop_table("scheduling_counsellor_day_locks")
