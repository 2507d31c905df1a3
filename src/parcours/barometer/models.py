"""Barometer tables: survey waves, responses and the record of each release.

A response holds the respondent's population attributes and Likert answers as JSON, so that the
questionnaire and the attributes stay data (`questionnaire.yaml`, `population.yaml`) without a migration
per question. Responses never leave the database row by row: only suppressed aggregates are published.
A release keeps what one publication of a wave was computed from and what it showed (`releases.py`),
so that publishing the wave again cannot be differenced against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base, UtcDateTime


class BarometerWave(Base):
    __tablename__ = "barometer_waves"

    wave_id: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    label: Mapped[str] = mapped_column(String(40))
    first_imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BarometerResponse(Base):
    __tablename__ = "barometer_responses"

    response_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    wave_id: Mapped[str] = mapped_column(ForeignKey("barometer_waves.wave_id"), index=True)
    # The survey's anonymous token, never an agent id.
    respondent_id: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(8), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)  # item code -> 1..5; absent = no answer
    batch_id: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("wave_id", "respondent_id"),)


class BarometerRelease(Base):
    __tablename__ = "barometer_releases"

    release_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    wave_id: Mapped[str] = mapped_column(ForeignKey("barometer_waves.wave_id"))
    # 1, 2, ... within the wave; unique, so two processes cannot both record "the next" release
    # without the second one seeing the first.
    sequence: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime] = mapped_column(UtcDateTime)
    threshold: Mapped[int] = mapped_column(Integer)
    # Per measure and cell: n, sum, sum of squares, published, identical cells, note (internal:
    # the aggregates of hidden cells never leave the database).
    record: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("wave_id", "sequence"),)
