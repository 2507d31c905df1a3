"""The appointment book and the engagement contract, for counsellors and local managers.

Every page that shows a registrant, and every form that changes their appointment or contract, opens
the file through the logged file view (`_booking_file`) with the appointment as its context
("rendez-vous rdv-..."), so that detection explains these consultations and a file outside one's
scope needs a declared purpose before anything is shown or changed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.accounts.dossier import Action, FileView, actor_id
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.dates import year_error
from parcours.engagement.intensity import DIFFICULTIES
from parcours.engagement.models import EngagementContract
from parcours.engagement.pdf import contract_pdf
from parcours.engagement.reference_data import catalogue
from parcours.engagement.service import (
    PORTFOLIOS,
    SigningSession,
    actions,
    contract_intensity,
    create_contract,
    deadline_status,
    set_action,
    set_intensity_target,
    sign_contract,
)
from parcours.errors import InvalidInput, NotFound
from parcours.registry.models import Agency
from parcours.scheduling.booking import (
    ORGANISATIONS,
    Contact,
    OrientationDecisionRef,
    PartnerHandoff,
    book,
    cancel,
    check_decision_date,
    find_slots,
    french_datetime,
    history,
    mark_done,
    mark_no_show,
    offer_slots,
    reschedule,
)
from parcours.scheduling.calendars import agency_context
from parcours.scheduling.models import BOOKED, Booking
from parcours.scheduling.orientation_link import current_decision_ref
from parcours.scheduling.slots import Slot
from parcours.scheduling.territory import zone_for_department
from parcours.web.deps import DbSession, require_roles
from parcours.web.files import open_file_for_request
from parcours.web.navigation import NavItem
from parcours.web.rendering import attachment, render

router = APIRouter(prefix="/rendez-vous")
BOOKING_ROLES = frozenset({Role.CONSEILLER, Role.MANAGER})
Booker = Annotated[User, Depends(require_roles(*BOOKING_ROLES))]
NAV = [NavItem("Rendez-vous", "/rendez-vous", BOOKING_ROLES, order=15)]
SEARCH_DAYS = 28
SHOWN_SLOTS = 40


def _agency_in_scope(db: Session, user: User, agency_id: str) -> Agency:
    agency = db.get(Agency, agency_id)
    if agency is None or not user.scope.covers(
        establishment_id=agency.establishment_id, agency_id=agency.agency_id
    ):
        raise NotFound("Agence introuvable.")
    return agency


def _booking_in_scope(db: Session, user: User, booking_id: str) -> Booking:
    booking = db.get(Booking, booking_id)
    if booking is None:
        raise NotFound("Rendez-vous introuvable.")
    agency = db.get(Agency, booking.agency_id)
    if agency is None or not user.scope.covers(
        establishment_id=agency.establishment_id, agency_id=booking.agency_id
    ):
        raise NotFound("Rendez-vous introuvable.")
    return booking


def _booking_file(
    db: Session,
    request: Request,
    user: User,
    booking_id: str,
    *,
    action: Action,
    context: str | None = None,
) -> tuple[Booking, FileView]:
    """The booking and its registrant's file, reached only through the logged path: a booking of
    another agency answers 404, then the file must be in the user's scope or have a purpose declared
    for it (the purpose form otherwise), and one consultation event is recorded. Changes go through
    here too, before they touch anything: the agency alone let a colleague with no link to the file
    move, cancel, redirect the notifications of, or sign the contract of an appointment, unseen and
    untraced."""
    booking = _booking_in_scope(db, user, booking_id)
    view = open_file_for_request(
        db,
        request,
        user,
        booking.de_id,
        action=action,
        context=context or f"rendez-vous {booking_id}",
    )
    return booking, view


def _contract_of(db: Session, booking_id: str) -> EngagementContract | None:
    return db.scalars(
        select(EngagementContract)
        .where(EngagementContract.booking_id == booking_id)
        .order_by(EngagementContract.created_at.desc())
    ).first()


def _contract_file(
    db: Session, request: Request, user: User, booking_id: str, *, action: Action
) -> tuple[Booking, EngagementContract, FileView]:
    """The booking's contract, through `_booking_file`; whether it exists is said only to someone
    who may open the file."""
    contract = _contract_of(db, booking_id)
    context = (
        f"contrat {contract.contract_id}, rendez-vous {booking_id}"
        if contract
        else f"contrat, rendez-vous {booking_id}"
    )
    booking, view = _booking_file(db, request, user, booking_id, action=action, context=context)
    if contract is None:
        raise NotFound("Aucun contrat pour ce rendez-vous.")
    return booking, contract, view


def _parse_slot(value: str) -> tuple[str, datetime]:
    agent_id, _, start = value.partition("|")
    try:
        moment = datetime.fromisoformat(start)
    except ValueError as exc:
        raise InvalidInput("créneau invalide") from exc
    if not agent_id or moment.tzinfo is None or year_error(moment) is not None:
        raise InvalidInput("créneau invalide")
    return agent_id, moment


def _slot_choices(db: Session, agency_id: str, activity: str) -> list[dict[str, str]]:
    zone = agency_context(db, agency_id).zone
    today = datetime.now(zone).date() + timedelta(days=1)
    slots = find_slots(
        db, agency_id=agency_id, activity=activity, first_day=today,
        last_day=today + timedelta(days=SEARCH_DAYS - 1), limit=SHOWN_SLOTS,
    )  # fmt: skip
    return _choices(slots, zone)


def _choices(slots: list[Slot], zone: ZoneInfo) -> list[dict[str, str]]:
    """Slot options: the value names the counsellor and the UTC start; the label is local time."""
    return [
        {
            "value": f"{s.agent_id}|{s.start.isoformat()}",
            "label": f"{french_datetime(s.start, zone)} — {s.agent_id}",
        }
        for s in slots
    ]


def _agency_today(db: Session, agency_id: str) -> date:
    """Today where the agency is (the UTC date is another day around midnight); metropolitan
    France's for an agency not known here (refused further on)."""
    agency = db.get(Agency, agency_id) if agency_id else None
    return datetime.now(zone_for_department(agency.department_code if agency else "")).date()


def _decision_day(value: str, *, today: date) -> date:
    """The orientation decision's date given by the query or the form (AAAA-MM-JJ); `today` (the
    agency's) if none. Its bounds are the domain's (`booking.check_decision_date`: not after today,
    not before the law), checked here too so that the slot page refuses what booking would."""
    value = value.strip()
    if not value:
        return today
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"Date de décision d'orientation invalide : « {value[:40]} » (attendu : AAAA-MM-JJ)."
        ) from None
    check_decision_date(day)
    return day


# The contract's columns that keep free text typed in these forms (engagement.models): a longer value
# was refused by PostgreSQL mid-transaction (a 500) and silently kept by SQLite.
MAX_MODALITY = 40
MAX_ADJUSTMENT_REASON = 400


def _bounded(value: str, limit: int, what: str) -> str:
    if len(value.strip()) > limit:
        raise InvalidInput(f"{what} : {limit} caractères au plus.")
    return value


def _contact(email: str, phone: str) -> Contact | None:
    email, phone = email.strip(), phone.strip()
    return Contact(email=email or None, phone=phone or None) if email or phone else None


@router.get("")
def agenda(request: Request, db: DbSession, user: Booker) -> Response:
    """The agency's coming appointments (identifiers only: opening one goes through the file view)."""
    now = datetime.now(UTC)
    rows = db.scalars(
        select(Booking)
        .where(
            Booking.agency_id == user.agency_id, Booking.status == BOOKED, Booking.ends_at >= now
        )
        .order_by(Booking.starts_at)
        .limit(200)
    ).all()
    zone = agency_context(db, user.agency_id).zone if user.agency_id else None
    items = [
        {"b": b, "when": french_datetime(b.starts_at, zone) if zone else b.starts_at.isoformat()}
        for b in rows
    ]
    return render(request, "scheduling/agenda.html", {"items": items})


@router.get("/nouveau/{de_id}")
def new_booking(
    request: Request,
    db: DbSession,
    user: Booker,
    de_id: str,
    organisation: str = "",
    agence: str = "",
    decision: str = "",
) -> Response:
    """From the orientation decision in force (or the one given in the query): the slots of its
    agency, or the hand-off to the partner organisation."""
    view = open_file_for_request(db, request, user, de_id, action="view", context="réservation DPA")
    recorded = None if organisation else current_decision_ref(db, de_id=de_id)
    if recorded is not None:
        ref = recorded
    else:
        ref = OrientationDecisionRef(
            de_id,
            organisation or "FT",
            agence or user.agency_id or "",
            _decision_day(decision, today=_agency_today(db, agence or user.agency_id or "")),
        )
    _agency_in_scope(db, user, ref.agency_id or "")
    offer = offer_slots(db, decision=ref, days=SEARCH_DAYS, limit=SHOWN_SLOTS)
    handoff = offer if isinstance(offer, PartnerHandoff) else None
    slots = [] if isinstance(offer, PartnerHandoff) else _choices(offer.slots, offer.zone)
    return render(
        request,
        "scheduling/new.html",
        {
            "f": view,
            "ref": ref,
            "recorded": recorded is not None,
            "handoff": handoff,
            "slots": slots,
            "organisations": ORGANISATIONS,
        },
        fragment="offer",
    )


@router.post("/nouveau/{de_id}")
def create_booking(
    request: Request,
    db: DbSession,
    user: Booker,
    de_id: str,
    slot: Annotated[str, Form()],
    organisation: Annotated[str, Form()] = "FT",
    agence: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    telephone: Annotated[str, Form()] = "",
) -> Response:
    agency_id = agence or user.agency_id or ""
    _agency_in_scope(db, user, agency_id)
    open_file_for_request(db, request, user, de_id, action="edit", context="réservation DPA")
    agent_id, start = _parse_slot(slot)
    decided_on = _decision_day(decision, today=_agency_today(db, agency_id))
    recorded = current_decision_ref(db, de_id=de_id)
    booking = book(
        db,
        decision=OrientationDecisionRef(
            de_id,
            organisation,
            agency_id,
            decided_on,
            # Link the booking to the decision in force when the form describes that decision.
            recorded.decision_id
            if recorded and (recorded.organisation, recorded.agency_id) == (organisation, agency_id)
            else None,
        ),
        agent_id=agent_id,
        starts_at=start,
        actor_id=actor_id(user),
        contact=_contact(email, telephone),
    )
    return RedirectResponse(f"/rendez-vous/{booking.booking_id}", status_code=303)


@router.get("/{booking_id}")
def show(request: Request, db: DbSession, user: Booker, booking_id: str) -> Response:
    booking, view = _booking_file(db, request, user, booking_id, action="view")
    zone = agency_context(db, booking.agency_id).zone
    events = [
        {
            "e": e,
            "at": french_datetime(e.at, zone),
            "from": french_datetime(e.from_starts_at, zone) if e.from_starts_at else "",
            "to": french_datetime(e.to_starts_at, zone) if e.to_starts_at else "",
        }
        for e in history(db, booking_id)
    ]
    live = booking.status == BOOKED
    return render(
        request,
        "scheduling/booking.html",
        {
            "f": view,
            "b": booking,
            "when": french_datetime(booking.starts_at, zone),
            "events": events,
            "slots": _slot_choices(db, booking.agency_id, booking.activity) if live else [],
            "contract": _contract_of(db, booking_id),
            "portfolios": PORTFOLIOS,
            "organisations": ORGANISATIONS,
            "catalogue": catalogue(),
            "started": booking.starts_at <= datetime.now(UTC),
        },
    )


@router.post("/{booking_id}/deplacer")
def move(
    request: Request,
    db: DbSession,
    user: Booker,
    booking_id: str,
    slot: Annotated[str, Form()],
    motif: Annotated[str, Form()],
    email: Annotated[str, Form()] = "",
) -> Response:
    """Reschedule in one step: the new slot is taken and the old one freed in one transaction."""
    booking, _view = _booking_file(db, request, user, booking_id, action="edit")
    agent_id, start = _parse_slot(slot)
    reschedule(
        db, booking_id=booking.booking_id, agent_id=agent_id, starts_at=start, reason=motif,
        actor_id=actor_id(user), contact=_contact(email, ""),
    )  # fmt: skip
    return RedirectResponse(f"/rendez-vous/{booking_id}", status_code=303)


@router.post("/{booking_id}/annuler")
def cancel_booking(
    request: Request, db: DbSession, user: Booker, booking_id: str, motif: Annotated[str, Form()]
) -> Response:
    _booking_file(db, request, user, booking_id, action="edit")
    cancel(db, booking_id=booking_id, reason=motif, actor_id=actor_id(user))
    return RedirectResponse(f"/rendez-vous/{booking_id}", status_code=303)


@router.post("/{booking_id}/absent")
def no_show(request: Request, db: DbSession, user: Booker, booking_id: str) -> Response:
    _booking_file(db, request, user, booking_id, action="edit")
    mark_no_show(db, booking_id=booking_id, actor_id=actor_id(user))
    return RedirectResponse(f"/rendez-vous/{booking_id}", status_code=303)


@router.post("/{booking_id}/tenu")
def held(request: Request, db: DbSession, user: Booker, booking_id: str) -> Response:
    _booking_file(db, request, user, booking_id, action="edit")
    mark_done(db, booking_id=booking_id, actor_id=actor_id(user))
    return RedirectResponse(f"/rendez-vous/{booking_id}", status_code=303)


@router.post("/{booking_id}/contrat")
def new_contract(
    request: Request,
    db: DbSession,
    user: Booker,
    booking_id: str,
    portefeuille: Annotated[str, Form()],
    modalite: Annotated[str, Form()],
    cej: Annotated[str, Form()] = "",
    fse: Annotated[str, Form()] = "",
    activites: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Draw up the contract during the DPA, with the chosen activities at their default hours."""
    _booking_file(
        db, request, user, booking_id, action="edit", context=f"contrat, rendez-vous {booking_id}"
    )
    modality = _bounded(modalite, MAX_MODALITY, "Modalité d'accompagnement")
    create_contract(
        db, booking_id=booking_id, portfolio=portefeuille, modality=modality, actor_id=actor_id(user),
        programme="CEJ" if cej else "none", esf_financed=bool(fse), with_default_plan=activites or [],
    )  # fmt: skip
    return RedirectResponse(f"/rendez-vous/{booking_id}/contrat", status_code=303)


@router.get("/{booking_id}/contrat")
def contract_page(request: Request, db: DbSession, user: Booker, booking_id: str) -> Response:
    booking, contract, view = _contract_file(db, request, user, booking_id, action="view")
    cat = catalogue()
    plan = [
        {"a": a, "label": cat[a.activity_code].label} for a in actions(db, contract.contract_id)
    ]
    return render(
        request,
        "scheduling/contract.html",
        {
            "f": view,
            "b": booking,
            "c": contract,
            "plan": plan,
            "intensity": contract_intensity(db, contract.contract_id),
            "deadline": deadline_status(contract, today=_agency_today(db, booking.agency_id)),
            "catalogue": cat,
            "difficulties": DIFFICULTIES,
            "portfolio_label": PORTFOLIOS.get(contract.portfolio, contract.portfolio),
        },
    )


@router.post("/{booking_id}/contrat/action")
def contract_action(
    request: Request,
    db: DbSession,
    user: Booker,
    booking_id: str,
    activite: Annotated[str, Form()],
    heures: Annotated[str, Form()] = "",
    motif: Annotated[str, Form()] = "",
) -> Response:
    _booking, contract, _view = _contract_file(db, request, user, booking_id, action="edit")
    try:
        hours = float(heures.replace(",", ".")) if heures.strip() else None
    except ValueError as exc:
        raise InvalidInput("heures hebdomadaires invalides") from exc
    set_action(
        db,
        contract_id=contract.contract_id,
        activity_code=activite,
        weekly_hours=hours,
        adjustment_reason=_bounded(motif, MAX_ADJUSTMENT_REASON, "Motif de l'ajustement"),
    )
    return RedirectResponse(f"/rendez-vous/{booking_id}/contrat", status_code=303)


@router.post("/{booking_id}/contrat/objectif")
def contract_target(
    request: Request,
    db: DbSession,
    user: Booker,
    booking_id: str,
    heures: Annotated[str, Form()],
    justification: Annotated[str, Form()] = "",
    difficultes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    _booking, contract, _view = _contract_file(db, request, user, booking_id, action="edit")
    try:
        hours = float(heures.replace(",", "."))
    except ValueError as exc:
        raise InvalidInput("objectif hebdomadaire invalide") from exc
    set_intensity_target(
        db,
        contract_id=contract.contract_id,
        hours=hours,
        difficulties=difficultes or [],
        justification=justification,
    )
    return RedirectResponse(f"/rendez-vous/{booking_id}/contrat", status_code=303)


@router.post("/{booking_id}/contrat/signature")
def contract_signature(request: Request, db: DbSession, user: Booker, booking_id: str) -> Response:
    """Signed in the individual DPA interview this page belongs to (never a collective session)."""
    booking, contract, _view = _contract_file(db, request, user, booking_id, action="edit")
    sign_contract(
        db, contract_id=contract.contract_id, signer_agent_id=actor_id(user),
        signing=SigningSession("individual", booking_id=booking.booking_id),
    )  # fmt: skip
    return RedirectResponse(f"/rendez-vous/{booking_id}/contrat", status_code=303)


@router.get("/{booking_id}/contrat.pdf")
def contract_download(request: Request, db: DbSession, user: Booker, booking_id: str) -> Response:
    _booking, contract, view = _contract_file(db, request, user, booking_id, action="print")
    js = view.job_seeker
    data = contract_pdf(
        db, contract_id=contract.contract_id, holder_name=f"{js.first_names} {js.last_name}"
    )
    return attachment(data, f"contrat-{contract.contract_id}.pdf")
