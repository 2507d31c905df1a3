"""Tables of the appointment book. Times are UTC; opening ranges are local wall-clock times of the
agency (its zone comes from its département)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base, UtcDateTime, unique_where

BOOKED, CANCELLED, NO_SHOW, DONE = "booked", "cancelled", "no_show", "done"


class OpeningRange(Base):
    """A recurring weekly opening: of a counsellor, or of the agency itself when agent_id is null."""

    __tablename__ = "scheduling_opening_ranges"

    range_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # Monday = 0
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Absence(Base):
    """A counsellor's absence, or the agency's closure when agent_id is null."""

    __tablename__ = "scheduling_absences"

    absence_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")


class ActivityOverrideRow(Base):
    """A local manager's decision: longer interviews or fewer per day, from an effective date."""

    __tablename__ = "scheduling_activity_overrides"

    override_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    activity: Mapped[str] = mapped_column(String(8))
    effective_from: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int | None] = mapped_column(Integer)
    break_minutes: Mapped[int | None] = mapped_column(Integer)
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    decided_by: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Booking(Base):
    """One appointment of a registrant with a counsellor. Its id is also the registry appointment id.
    Rescheduling moves this row; `scheduling_booking_events` keeps every previous time and reason."""

    __tablename__ = "scheduling_bookings"

    booking_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.agency_id"), index=True)
    agent_id: Mapped[str] = mapped_column(String(32))
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    activity: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    break_until: Mapped[datetime] = mapped_column(UtcDateTime)
    local_day: Mapped[date] = mapped_column(
        Date
    )  # in the agency's zone: the daily maximum counts it
    status: Mapped[str] = mapped_column(String(10), default=BOOKED)
    # From the orientation decision; empty for the orientation interview (EDO) itself.
    organisation: Mapped[str | None] = mapped_column(String(16))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_id: Mapped[str | None] = mapped_column(String(40))
    # Where the registrant asked to be told of changes (given at booking, used again on changes).
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_scheduling_bookings_agent_day", "agent_id", "local_day"),
        # Last line of defence behind the counsellor-day lock: one live booking per counsellor and start,
        # and one live booking per registrant and activity.
        unique_where(
            "uq_scheduling_bookings_live_slot", "agent_id", "starts_at", where="status = 'booked'"
        ),
        unique_where(
            "uq_scheduling_bookings_live_person", "de_id", "activity", where="status = 'booked'"
        ),
    )


class BookingEvent(Base):
    """The history of a booking: booked, rescheduled (from, to, reason), cancelled, no-show, done."""

    __tablename__ = "scheduling_booking_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_id: Mapped[str] = mapped_column(
        ForeignKey("scheduling_bookings.booking_id"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(400))
    from_agent_id: Mapped[str | None] = mapped_column(String(32))
    from_starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    to_agent_id: Mapped[str | None] = mapped_column(String(32))
    to_starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CounsellorDayLock(Base):
    """One row per counsellor and local day, updated first by every booking transaction that touches
    that day: bookings of one counsellor-day are serialised on both SQLite and PostgreSQL."""

    __tablename__ = "scheduling_counsellor_day_locks"

    agent_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    local_day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
