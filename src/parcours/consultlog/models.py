"""The consultations the application itself logs, held in the database until they are flushed to
the day-partitioned Parquet log (`consultlog.buffer`).

Writing a Parquet file per page view would leave millions of tiny files a day; a row in the request's
own transaction is durable (committed before the response leaves: no view without its log line) and
costs one insert.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base, UtcDateTime

# SQLite only auto-increments an INTEGER primary key; elsewhere 64 bits (ids are never reused).
BufferId = BigInteger().with_variant(Integer(), "sqlite")


class BufferedConsultation(Base):
    __tablename__ = "consultation_buffer"

    id: Mapped[int] = mapped_column(BufferId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(80))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    agent_id: Mapped[str] = mapped_column(String(64))
    de_id: Mapped[str] = mapped_column(String(64), index=True)
    application: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))


class LogFlush(Base):
    """The flush in progress (one row at most): the id range it took and its Parquet batch name.

    A flusher that died leaves its row; the next one, once the lease has passed, redoes the same batch
    under the same name, so the files are overwritten, never doubled."""

    __tablename__ = "consultation_flushes"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(80))
    first_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
