"""Detection results: one row per campaign run and one per alert (situation to examine).

The alert application (controls/) builds its controls on `alerts`; `establishment_id` is the agent's
establishment at detection time, which dispatch routes on.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base


class DetectionRun(Base):
    __tablename__ = "detection_runs"

    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    naive: Mapped[bool] = mapped_column(Boolean, default=False)
    engine: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(400))
    identity_resolver: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # running|done|failed
    consultations: Mapped[int] = mapped_column(Integer, default=0)
    situations: Mapped[int] = mapped_column(Integer, default=0)
    mandatory: Mapped[int] = mapped_column(Integer, default=0)
    optional: Mapped[int] = mapped_column(Integer, default=0)
    share_explained: Mapped[float | None] = mapped_column(Float)
    # JSON: input quality counts, explanation shares, hours basis, timings (see CampaignResult).
    report: Mapped[str] = mapped_column(Text, default="{}")


class Alert(Base):
    __tablename__ = "alerts"

    alert_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("detection_runs.run_id"), index=True)
    scenario: Mapped[str] = mapped_column(String(64))  # the main scenario
    scenarios: Mapped[str] = mapped_column(
        String(400)
    )  # every scenario that fired, comma-separated
    level: Mapped[str] = mapped_column(String(16))  # mandatory|optional
    score: Mapped[float] = mapped_column(Float)
    agent_id: Mapped[str] = mapped_column(String(32), index=True)
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    establishment_id: Mapped[str | None] = mapped_column(String(32), index=True)
    target_kind: Mapped[str | None] = mapped_column(String(16))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consultations: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(Text)  # plain French, one reason per line
    match_probability: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(String(8))  # none|weak|strong
    explanation_summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_alerts_agent_de", "agent_id", "de_id"),)
