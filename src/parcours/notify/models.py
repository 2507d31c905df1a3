"""The transactional outbox table. A row is written in the same transaction as the business change
that caused it, so a message exists if and only if that change was committed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base, UtcDateTime

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# No longer wanted (e.g. the reminder of a control that has closed): never sent, kept for the record.
CANCELLED = "cancelled"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # email|sms
    kind: Mapped[str] = mapped_column(String(40))  # e.g. dpa_booked, alert_dispatched
    ref: Mapped[str] = mapped_column(String(80), index=True)  # the business object it is about
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when a dispatcher claims the row; a claim older than the lease is taken over (crash).
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)
