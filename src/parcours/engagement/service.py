"""The contract's life: drawn up during the DPA, action plan and intensity, individual signature,
reorientation deadlines, financing periods. Keyword-only, in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.db import add_or_conflict
from parcours.engagement.dates import add_months
from parcours.engagement.financing import (
    FinancingWarning,
    Period,
    cej_period,
    esf_period_after,
    financing_warnings,
)
from parcours.engagement.intensity import DIFFICULTIES, Intensity, intensity
from parcours.engagement.models import (
    DRAFT,
    SIGNED,
    ContractAction,
    EngagementContract,
    FinancingPeriod,
)
from parcours.engagement.reference_data import catalogue, parameter
from parcours.errors import Conflict, Forbidden, InvalidInput, NotFound
from parcours.registry.models import Agency
from parcours.scheduling.activities import activity_types
from parcours.scheduling.models import BOOKED, DONE, Booking
from parcours.text import says_something

PORTFOLIOS = {"suivi": "Suivi", "guide": "Guidé", "renforce": "Renforcé", "global": "Global"}
SessionKind = Literal["individual", "collective"]


def signature_deadline(*, decided_on: date, reoriented_on: date | None = None) -> date:
    """One month after the orientation decision; a new month after a reorientation."""
    if reoriented_on is not None:
        months = int(parameter("reorientation_deadline_months", reoriented_on).value)
        return add_months(reoriented_on, months)
    return add_months(decided_on, int(parameter("signature_deadline_months", decided_on).value))


def _contract(session: Session, contract_id: str, *, draft: bool = False) -> EngagementContract:
    c = session.get(EngagementContract, contract_id)
    if c is None:
        raise NotFound(f"contrat inconnu : {contract_id}")
    if draft and c.status != DRAFT:
        raise Conflict("le contrat est signé : il ne peut plus être modifié")
    return c


def create_contract(
    session: Session,
    *,
    booking_id: str,
    portfolio: str,
    modality: str,
    actor_id: str,
    programme: Literal["none", "CEJ"] = "none",
    esf_financed: bool = False,
    with_default_plan: Sequence[str] = (),
    now: datetime | None = None,
) -> EngagementContract:
    """Draw up the contract during the registrant's DPA appointment."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"rendez-vous inconnu : {booking_id}")
    if booking.activity != "DPA" or booking.status not in (BOOKED, DONE):
        raise InvalidInput("le contrat d'engagement s'établit pendant un rendez-vous DPA tenu")
    if booking.decided_on is None or booking.organisation is None:
        raise InvalidInput("le rendez-vous DPA ne porte pas de décision d'orientation")
    if portfolio not in PORTFOLIOS:
        raise InvalidInput(
            f"portefeuille inconnu : {portfolio} (attendu : {', '.join(PORTFOLIOS)})"
        )
    if not says_something(modality):
        raise InvalidInput("la modalité d'accompagnement est obligatoire")
    existing = session.scalar(
        select(EngagementContract.contract_id).where(
            EngagementContract.de_id == booking.de_id, EngagementContract.status == DRAFT
        )
    )
    if existing is not None:
        raise Conflict(f"un contrat en préparation existe déjà : {existing}")
    at = now or datetime.now(UTC)
    target = float(parameter("intensity_target_hours", booking.decided_on).value)
    contract = EngagementContract(
        contract_id=f"ce-{uuid.uuid4().hex[:20]}",
        de_id=booking.de_id,
        booking_id=booking_id,
        agency_id=booking.agency_id,
        agent_id=booking.agent_id,
        organisation=booking.organisation,
        portfolio=portfolio,
        modality=modality.strip(),
        programme=programme,
        esf_financed=esf_financed,
        decided_on=booking.decided_on,
        signature_due=signature_deadline(decided_on=booking.decided_on),
        target_hours=target,
        target_difficulties="",
        status=DRAFT,
        created_at=at,
        created_by=actor_id,
    )
    add_or_conflict(
        session, contract, "un contrat en préparation vient d'être créé pour cette personne"
    )
    for code in with_default_plan:
        set_action(session, contract_id=contract.contract_id, activity_code=code)
    return contract


def set_action(
    session: Session,
    *,
    contract_id: str,
    activity_code: str,
    weekly_hours: float | None = None,
    adjustment_reason: str | None = None,
) -> ContractAction:
    """Add an activity from the catalogue, or change its hours; hours other than the default
    need a reason (the adjustment is personal and must be explained)."""
    _contract(session, contract_id, draft=True)
    item = catalogue().get(activity_code)
    if item is None:
        raise InvalidInput(f"activité absente du catalogue : {activity_code}")
    hours = item.default_weekly_hours if weekly_hours is None else weekly_hours
    if not 0 < hours <= 35:
        raise InvalidInput("les heures hebdomadaires d'une activité vont de 0 à 35")
    if hours != item.default_weekly_hours and not says_something(adjustment_reason):
        raise InvalidInput("ajuster les heures par rapport au catalogue demande un motif")
    action = session.scalar(
        select(ContractAction).where(
            ContractAction.contract_id == contract_id, ContractAction.activity_code == activity_code
        )
    )
    if action is None:
        action = ContractAction(contract_id=contract_id, activity_code=activity_code)
        session.add(action)
    action.weekly_hours = hours
    action.adjustment_reason = (adjustment_reason or "").strip() or None
    session.flush()
    return action


def remove_action(session: Session, *, contract_id: str, activity_code: str) -> None:
    _contract(session, contract_id, draft=True)
    action = session.scalar(
        select(ContractAction).where(
            ContractAction.contract_id == contract_id, ContractAction.activity_code == activity_code
        )
    )
    if action is None:
        raise NotFound(f"activité {activity_code} absente du plan")
    session.delete(action)
    session.flush()


def actions(session: Session, contract_id: str) -> list[ContractAction]:
    return list(
        session.scalars(
            select(ContractAction)
            .where(ContractAction.contract_id == contract_id)
            .order_by(ContractAction.action_id)
        )
    )


def set_intensity_target(
    session: Session,
    *,
    contract_id: str,
    hours: float,
    difficulties: Sequence[str],
    justification: str,
) -> EngagementContract:
    """Lower the 15-hour target for documented difficulties, or raise it with a justification."""
    c = _contract(session, contract_id, draft=True)
    legal = float(parameter("intensity_target_hours", c.decided_on).value)
    low = float(parameter("intensity_min_hours", c.decided_on).value)
    high = float(parameter("intensity_max_hours", c.decided_on).value)
    unknown = [d for d in difficulties if d not in DIFFICULTIES]
    if unknown:
        raise InvalidInput(f"difficultés inconnues : {', '.join(unknown)}")
    if not low <= hours <= high:
        raise InvalidInput(f"objectif hebdomadaire hors bornes ({low:g} à {high:g} h)")
    if hours < legal and not difficulties:
        raise InvalidInput("abaisser l'objectif de 15 h demande au moins une difficulté documentée")
    if hours != legal and not says_something(justification, at_least=10):
        raise InvalidInput("ajuster l'objectif demande une justification écrite")
    c.target_hours = hours
    c.target_difficulties = ",".join(sorted(set(difficulties)))
    c.target_justification = justification.strip() or None
    session.flush()
    return c


def contract_intensity(session: Session, contract_id: str) -> Intensity:
    c = _contract(session, contract_id)
    legal = float(parameter("intensity_target_hours", c.decided_on).value)
    return intensity(
        (a.weekly_hours for a in actions(session, contract_id)),
        target=c.target_hours,
        legal_target=legal,
    )


def record_reorientation(
    session: Session, *, contract_id: str, reoriented_on: date
) -> EngagementContract:
    """A reorientation opens a new one-month signature period."""
    c = _contract(session, contract_id, draft=True)
    if reoriented_on < c.decided_on:
        raise InvalidInput("la réorientation suit la décision d'orientation")
    c.reoriented_on = reoriented_on
    c.signature_due = signature_deadline(decided_on=c.decided_on, reoriented_on=reoriented_on)
    session.flush()
    return c


@dataclass(frozen=True)
class SigningSession:
    """Where the signature happens: an individual interview, never a collective session."""

    kind: SessionKind
    booking_id: str | None = None


def sign_contract(
    session: Session,
    *,
    contract_id: str,
    signer_agent_id: str,
    signing: SigningSession,
    now: datetime | None = None,
) -> EngagementContract:
    c = _contract(session, contract_id, draft=True)
    collective = signing.kind != "individual"
    if signing.booking_id is not None:
        booking = session.get(Booking, signing.booking_id)
        if booking is None or booking.de_id != c.de_id:
            raise InvalidInput("le rendez-vous de signature n'est pas celui de cette personne")
        if booking.status not in (BOOKED, DONE):
            # The signature is the interview's: none in an appointment cancelled or missed.
            raise InvalidInput(
                "le rendez-vous de signature a été annulé ou manqué : le contrat se signe "
                "lors d'un rendez-vous tenu"
            )
        collective = collective or not activity_types()[booking.activity].individual
    if collective:
        raise Forbidden(
            "Le contrat d'engagement se signe individuellement : signature refusée dans une séance collective."
        )
    plan = actions(session, contract_id)
    if not plan:
        raise InvalidInput("le plan d'action est vide : ajouter au moins une activité")
    at = now or datetime.now(UTC)
    c.status, c.signed_at, c.signed_by = SIGNED, at, signer_agent_id
    c.starts_on = at.date()
    if c.esf_financed:
        months = int(parameter("esf_period_months", c.starts_on).value)
        first = esf_period_after(None, c.starts_on, months)
        session.add(
            FinancingPeriod(
                contract_id=contract_id,
                funder="FSE",
                starts_on=first.starts_on,
                ends_on=first.ends_on,
            )
        )
    session.flush()
    return c


def renew_esf_period(session: Session, *, contract_id: str) -> FinancingPeriod:
    c = _contract(session, contract_id)
    periods = financing_periods(session, contract_id)
    if c.status != SIGNED or not periods:
        raise Conflict("seul un contrat signé et financé par le FSE se renouvelle")
    last = periods[-1]
    months = int(parameter("esf_period_months", last.ends_on).value)
    nxt = esf_period_after(last.ends_on, last.ends_on, months)
    row = FinancingPeriod(
        contract_id=contract_id,
        funder="FSE",
        starts_on=nxt.starts_on,
        ends_on=nxt.ends_on,
        renewal_of=last.period_id,
    )
    add_or_conflict(session, row, "cette période de financement vient d'être renouvelée")
    return row


def financing_periods(session: Session, contract_id: str) -> list[FinancingPeriod]:
    return list(
        session.scalars(
            select(FinancingPeriod)
            .where(FinancingPeriod.contract_id == contract_id)
            .order_by(FinancingPeriod.starts_on)
        )
    )


@dataclass(frozen=True)
class DeadlineStatus:
    due: date
    signed_on: date | None
    days_left: int | None  # None once signed
    late: bool


def deadline_status(contract: EngagementContract, *, today: date) -> DeadlineStatus:
    signed_on = contract.signed_at.date() if contract.signed_at else None
    if signed_on is not None:
        return DeadlineStatus(
            contract.signature_due, signed_on, None, signed_on > contract.signature_due
        )
    days_left = (contract.signature_due - today).days
    return DeadlineStatus(contract.signature_due, None, days_left, days_left < 0)


def cej_clock(contract: EngagementContract) -> Period | None:
    if contract.programme != "CEJ" or contract.starts_on is None:
        return None
    return cej_period(
        contract.starts_on, int(parameter("cej_duration_months", contract.starts_on).value)
    )


def contract_warnings(session: Session, contract_id: str, *, today: date) -> list[FinancingWarning]:
    c = _contract(session, contract_id)
    out: list[FinancingWarning] = []
    if c.status == DRAFT:
        status = deadline_status(c, today=today)
        if status.late or (status.days_left is not None and status.days_left <= 7):
            out.append(
                FinancingWarning(
                    "signature_due",
                    c.signature_due,
                    f"Contrat à signer au plus tard le {c.signature_due:%d/%m/%Y}"
                    + (" : délai dépassé." if status.late else "."),
                )
            )
        return out
    warn_days = int(parameter("financing_warning_days", today).value)
    periods = [Period(p.starts_on, p.ends_on) for p in financing_periods(session, contract_id)]
    return out + financing_warnings(
        today=today,
        warn_days=warn_days,
        cej=cej_clock(c),
        esf_periods=periods,
        esf_financed=c.esf_financed,
    )


def contracts_needing_attention(
    session: Session, *, agency_id: str, today: date
) -> list[tuple[EngagementContract, list[FinancingWarning]]]:
    """For the manager's list: every contract of the agency with something to do before a deadline."""
    if session.get(Agency, agency_id) is None:
        raise NotFound(f"agence inconnue : {agency_id}")
    horizon = today + timedelta(days=400)
    out = []
    for c in session.scalars(
        select(EngagementContract).where(
            EngagementContract.agency_id == agency_id, EngagementContract.signature_due <= horizon
        )
    ):
        warnings = contract_warnings(session, c.contract_id, today=today)
        if warnings:
            out.append((c, warnings))
    return out
