"""Campaigns and controls. A control gathers every scenario that fired on one agent × job-seeker file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base, UtcDateTime, unique_where


class Campaign(Base):
    __tablename__ = "campaigns"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    scenarios: Mapped[list[str]] = mapped_column(JSON)
    levels: Mapped[list[str]] = mapped_column(JSON)
    mode: Mapped[str] = mapped_column(String(16), default="campaign")  # campaign|flow
    launched_by: Mapped[str] = mapped_column(String(120))
    launched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    alerts_received: Mapped[int] = mapped_column(Integer, default=0)
    controls_created: Mapped[int] = mapped_column(Integer, default=0)
    controls_updated: Mapped[int] = mapped_column(Integer, default=0)


class Control(Base):
    """One control of one situation (agent × file). State changes go through `protocol.transition`."""

    __tablename__ = "controls"

    control_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    establishment_id: Mapped[str] = mapped_column(String(32), index=True)
    agency_id: Mapped[str | None] = mapped_column(String(32), index=True)
    agent_id: Mapped[str] = mapped_column(String(32), index=True)
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    scenarios: Mapped[list[str]] = mapped_column(JSON)
    main_scenario: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[str] = mapped_column(String(16), index=True)  # mandatory|optional
    score: Mapped[float] = mapped_column()
    match_probability: Mapped[float | None] = mapped_column()
    reasons: Mapped[list[str]] = mapped_column(JSON)
    alert_ids: Mapped[list[str]] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    consultations: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(24), index=True)
    step_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    assignee: Mapped[str | None] = mapped_column(String(120), index=True)
    outcome: Mapped[str | None] = mapped_column(String(24), index=True)
    closing_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Step data, filled as the protocol advances; required fields are checked by the protocol.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_controls_agent_file_state", "agent_id", "de_id", "state"),
        # The inbox: filter by scope and state, order by level then due date (100k controls, p95 < 200 ms).
        Index(
            "ix_controls_inbox_establishment", "establishment_id", "state", "level", "step_due_on"
        ),
        Index("ix_controls_inbox_agency", "agency_id", "state", "level", "step_due_on"),
        # The inbox's order itself: a page of the national inbox is read in order, not sorted.
        Index("ix_controls_inbox_order", "level", "step_due_on", text("score DESC"), "control_id"),
    )


class ControlNote(Base):
    """Comments, the agent's own explanation and every state change, in order."""

    __tablename__ = "control_notes"

    note_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("controls.control_id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    author: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(24))  # comment|agent_explanation|transition|assignment
    body: Mapped[str] = mapped_column(Text)


class ControlReport(Base):
    """The written report of a proven misuse: the PDF and its SHA-256 (also written to the trail).

    A control has at most one current report. Reopening the control supersedes it (`superseded_at`):
    it stays stored, as the trail holds its hash, and a new conclusion needs a new report."""

    __tablename__ = "control_reports"

    report_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    control_id: Mapped[int] = mapped_column(ForeignKey("controls.control_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    template_version: Mapped[str] = mapped_column(String(40))
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        # Two managers writing the report at once store one (`db.add_or_conflict`).
        unique_where("uq_control_reports_current", "control_id", where="superseded_at IS NULL"),
    )


# The trail's table is defined beside its logic; importing it here registers it with the other tables.
from parcours.controls.trail import TrailEntry  # noqa: E402, F401
