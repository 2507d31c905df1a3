"""Tables of the registration interview: interviews, proposals, decisions, benefit claims.

Proposal and decision are separate rows and are never updated nor deleted (a listener refuses it):
the gap between what the algorithm proposed and what the counsellor decided is the evidence the
national report is built on, and a reorientation is a new decision with its own date.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from parcours.db import Base, UtcDateTime, unique_where
from parcours.errors import Conflict


class OrientationInterview(Base):
    __tablename__ = "orientation_interviews"

    interview_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Plain ids, as for appointments: a registrant may come from another region's files.
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    agent_id: Mapped[str] = mapped_column(String(32), index=True)
    agency_id: Mapped[str] = mapped_column(String(32), index=True)
    department_code: Mapped[str] = mapped_column(String(3), index=True)
    msa_experiment: Mapped[bool] = mapped_column(Boolean)  # copied: targets differ (20 min vs 15)
    channel: Mapped[str] = mapped_column(String(16))  # phone|in_person
    # In person because the registrant does not speak French ("DPA Orientation").
    dpa_orientation: Mapped[bool] = mapped_column(Boolean, default=False)
    form_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # draft|complete
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    duration_seconds: Mapped[int | None] = mapped_column(Integer)


class OrientationProposal(Base):
    __tablename__ = "orientation_proposals"

    proposal_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    interview_id: Mapped[str] = mapped_column(
        ForeignKey("orientation_interviews.interview_id"), unique=True
    )
    rule_version: Mapped[str] = mapped_column(String(32))
    algorithm: Mapped[bool] = mapped_column(Boolean)
    evaluated_on: Mapped[date] = mapped_column(Date)
    organisation: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(32))
    modality: Mapped[str] = mapped_column(String(32))
    delegate: Mapped[str | None] = mapped_column(String(200))
    programme_id: Mapped[str | None] = mapped_column(String(64))
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OrientationDecision(Base):
    __tablename__ = "orientation_decisions"
    # Two counsellors may both find "no decision yet" before either commits: the database keeps one
    # initial decision per interview, and one revision per decision (the history stays a chain).
    __table_args__ = (
        unique_where("uq_orientation_decisions_initial", "interview_id", where="kind = 'initial'"),
        Index("uq_orientation_decisions_supersedes", "supersedes_id", unique=True),
    )

    decision_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    interview_id: Mapped[str] = mapped_column(
        ForeignKey("orientation_interviews.interview_id"), index=True
    )
    # The proposal the counsellor saw; a reorientation has none of its own.
    proposal_id: Mapped[str | None] = mapped_column(ForeignKey("orientation_proposals.proposal_id"))
    supersedes_id: Mapped[str | None] = mapped_column(
        ForeignKey("orientation_decisions.decision_id")
    )
    kind: Mapped[str] = mapped_column(String(16))  # initial|reorientation
    organisation: Mapped[str] = mapped_column(String(16), index=True)
    path: Mapped[str] = mapped_column(String(32))
    modality: Mapped[str] = mapped_column(String(32))
    delegate: Mapped[str | None] = mapped_column(String(200))
    programme_id: Mapped[str | None] = mapped_column(String(64))
    changed: Mapped[bool] = mapped_column(
        Boolean
    )  # differs from the proposal (or previous decision)
    change_reason: Mapped[str | None] = mapped_column(String(32))
    change_comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    department_code: Mapped[str] = mapped_column(String(3))
    agency_id: Mapped[str] = mapped_column(String(32))

    @property
    def decided_on(self) -> date:
        """The local (Europe/Paris) day of the decision: deadlines count from it."""
        return self.decided_at.astimezone(ZoneInfo("Europe/Paris")).date()


class BenefitClaim(Base):
    """A claim for unemployment benefit, opened only when the registrant asked for it."""

    __tablename__ = "benefit_claims"

    claim_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    interview_id: Mapped[str] = mapped_column(
        ForeignKey("orientation_interviews.interview_id"), unique=True
    )
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))  # requested (processing belongs to GDD)


def _refuse_change(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    raise Conflict(f"{type(target).__name__} rows are never modified: record a new one instead")


for _immutable in (OrientationProposal, OrientationDecision):
    event.listen(_immutable, "before_update", _refuse_change)
    event.listen(_immutable, "before_delete", _refuse_change)
