"""Tables of the engagement contract."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parcours.db import Base, UtcDateTime, unique_where

DRAFT, SIGNED = "draft", "signed"


class EngagementContract(Base):
    __tablename__ = "engagement_contracts"
    # One contract in preparation per registrant, even when two counsellors start it at once.
    __table_args__ = (
        unique_where("uq_engagement_contracts_draft", "de_id", where="status = 'draft'"),
    )

    contract_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    de_id: Mapped[str] = mapped_column(String(32), index=True)
    # The DPA appointment in which the contract is drawn up (the context of its consultations).
    booking_id: Mapped[str | None] = mapped_column(
        ForeignKey("scheduling_bookings.booking_id"), index=True
    )
    agency_id: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str] = mapped_column(String(32))  # referent counsellor
    organisation: Mapped[str] = mapped_column(String(16))
    portfolio: Mapped[str] = mapped_column(String(16))  # suivi|guide|renforce|global
    modality: Mapped[str] = mapped_column(String(40))  # e.g. parcours_emploi, cej, aij
    programme: Mapped[str] = mapped_column(String(8), default="none")  # none|CEJ
    esf_financed: Mapped[bool] = mapped_column(default=False)
    decided_on: Mapped[date] = mapped_column(Date)  # orientation decision
    reoriented_on: Mapped[date | None] = mapped_column(Date)
    signature_due: Mapped[date] = mapped_column(Date)
    target_hours: Mapped[float] = mapped_column(Float)
    target_difficulties: Mapped[str] = mapped_column(String(200), default="")  # comma list
    target_justification: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default=DRAFT)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    signed_by: Mapped[str | None] = mapped_column(String(32))
    starts_on: Mapped[date | None] = mapped_column(Date)  # first day of accompaniment = signature
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class ContractAction(Base):
    """One activity of the action plan with this person's weekly hours."""

    __tablename__ = "engagement_actions"

    action_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(
        ForeignKey("engagement_contracts.contract_id"), index=True
    )
    activity_code: Mapped[str] = mapped_column(String(40))
    weekly_hours: Mapped[float] = mapped_column(Float)
    adjustment_reason: Mapped[str | None] = mapped_column(String(400))


class FinancingPeriod(Base):
    """A European Social Fund period (6 months, renewable) financing a contract's accompaniment."""

    __tablename__ = "engagement_financing_periods"

    period_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(
        ForeignKey("engagement_contracts.contract_id"), index=True
    )
    funder: Mapped[str] = mapped_column(String(8), default="FSE")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive
    # A period is renewed once (two simultaneous renewals would both extend it).
    renewal_of: Mapped[int | None] = mapped_column(Integer, unique=True)
