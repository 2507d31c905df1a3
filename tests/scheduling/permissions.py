"""Permission rules of the appointment book and contract pages (see RouteRule in parcours.web.testing).

Only counsellors and local managers book; every object is created fresh in agency AG-A1 (in scope)
or AG-B1 of establishment DR-B (another scope: 404, or the purpose form for a file).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from parcours.accounts.roles import Role
from parcours.engagement.service import create_contract
from parcours.registry.models import Appointment, JobSeeker
from parcours.scheduling.booking import OrientationDecisionRef, book, find_slots
from parcours.scheduling.models import BOOKED, Booking, OpeningRange
from parcours.web.testing import MatrixContext, RouteRule

BOOKERS = frozenset({Role.CONSEILLER, Role.MANAGER})
SEE_OTHER = frozenset({303})
_serial = itertools.count(1)

# (agency, counsellor agent, referent) of the seeded world: AG-A1 is the test accounts' agency.
IN_SCOPE = ("AG-A1", "AG-0001")
OTHER_SCOPE = ("AG-B1", "AG-0101")


def _openings(ctx: MatrixContext, agency_id: str, agent_id: str) -> None:
    found = ctx.session.scalar(
        select(OpeningRange.range_id).where(OpeningRange.agent_id == agent_id).limit(1)
    )
    if found is None:
        for weekday in range(5):
            ctx.session.add(
                OpeningRange(
                    agency_id=agency_id,
                    agent_id=agent_id,
                    weekday=weekday,
                    starts=time(8, 30),
                    ends=time(17),
                )
            )
        ctx.session.flush()


def _person(ctx: MatrixContext, agency_id: str, agent_id: str) -> str:
    de_id = f"DE-M-{agency_id}-{next(_serial):04d}"
    ctx.session.add(
        JobSeeker(
            de_id=de_id,
            last_name="MATRICE",
            first_names="Test",
            agency_id=agency_id,
            referent_agent_id=agent_id,
            department_code="31",
        )
    )
    ctx.session.flush()
    return de_id


def _first_free(ctx: MatrixContext, agency_id: str, agent_id: str) -> tuple[str, datetime]:
    _openings(ctx, agency_id, agent_id)
    first = datetime.now(UTC).date() + timedelta(days=1)
    slot = find_slots(
        ctx.session,
        agency_id=agency_id,
        activity="DPA",
        first_day=first,
        last_day=first + timedelta(days=60),
        agent_id=agent_id,
        limit=1,
    )[0]
    return slot.agent_id, slot.start


def _booking(
    ctx: MatrixContext, where: tuple[str, str], *, contract: bool = False, past: bool = False
) -> dict[str, str]:
    agency_id, agent_id = where
    de_id = _person(ctx, agency_id, agent_id)
    ref = OrientationDecisionRef(de_id, "FT", agency_id, datetime.now(UTC).date())
    if past:  # an appointment that has started: written directly, since booking refuses the past
        start = datetime.now(UTC) - timedelta(minutes=10)
        b = Booking(booking_id=f"rdv-m{next(_serial):06d}", agency_id=agency_id, agent_id=agent_id, de_id=de_id, activity="DPA",
                    starts_at=start, ends_at=start + timedelta(minutes=45), break_until=start + timedelta(hours=1),
                    local_day=start.date(), status=BOOKED, organisation="FT", decided_on=ref.decided_on,
                    created_at=start, updated_at=start)  # fmt: skip
        ctx.session.add(b)
        ctx.session.add(
            Appointment(
                appointment_id=b.booking_id,
                de_id=de_id,
                agent_id=agent_id,
                starts_at=start,
                kind="DPA",
                status="planned",
            )
        )
        ctx.session.flush()
        return {"booking_id": b.booking_id}
    agent, start = _first_free(ctx, agency_id, agent_id)
    b = book(ctx.session, decision=ref, agent_id=agent, starts_at=start, actor_id="matrice")
    if contract:
        create_contract(
            ctx.session,
            booking_id=b.booking_id,
            portfolio="suivi",
            modality="parcours_emploi",
            actor_id="matrice",
            with_default_plan=["recherche_emploi"],
        )
    return {"booking_id": b.booking_id}


def own(ctx: MatrixContext) -> dict[str, str]:
    return _booking(ctx, IN_SCOPE)


def other(ctx: MatrixContext) -> dict[str, str]:
    return _booking(ctx, OTHER_SCOPE)


def own_with_contract(ctx: MatrixContext) -> dict[str, str]:
    return _booking(ctx, IN_SCOPE, contract=True)


def other_with_contract(ctx: MatrixContext) -> dict[str, str]:
    return _booking(ctx, OTHER_SCOPE, contract=True)


def own_started(ctx: MatrixContext) -> dict[str, str]:
    return _booking(ctx, IN_SCOPE, past=True)


def other_started(ctx: MatrixContext) -> dict[str, str]:
    return _booking(ctx, OTHER_SCOPE, past=True)


def own_person(ctx: MatrixContext) -> dict[str, str]:
    return {"de_id": _person(ctx, *IN_SCOPE)}


def other_person(ctx: MatrixContext) -> dict[str, str]:
    return {"de_id": _person(ctx, *OTHER_SCOPE)}


def free_slot_form(ctx: MatrixContext) -> dict[str, str]:
    agent, start = _first_free(ctx, *IN_SCOPE)
    return {"slot": f"{agent}|{start.isoformat()}", "organisation": "FT", "agence": "AG-A1"}


def move_form(ctx: MatrixContext) -> dict[str, str]:
    return free_slot_form(ctx) | {"motif": "Demande de la personne"}


def _post(path: str, params, form=lambda ctx: {}, other_scope=None) -> RouteRule:  # type: ignore[no-untyped-def]
    return RouteRule(
        "POST", path, roles=BOOKERS, params=params, other_scope=other_scope, form=form, ok=SEE_OTHER
    )


RULES: list[RouteRule] = [
    RouteRule("GET", "/rendez-vous", roles=BOOKERS),
    # A file outside the user's scope goes to the purpose form first (303), as in the file view.
    RouteRule(
        "GET",
        "/rendez-vous/nouveau/{de_id}",
        roles=BOOKERS,
        params=own_person,
        other_scope=other_person,
        other_scope_status=303,
    ),
    RouteRule(
        "POST",
        "/rendez-vous/nouveau/{de_id}",
        roles=BOOKERS,
        params=own_person,
        other_scope=other_person,
        other_scope_status=303,
        form=free_slot_form,
        ok=SEE_OTHER,
    ),
    RouteRule("GET", "/rendez-vous/{booking_id}", roles=BOOKERS, params=own, other_scope=other),
    _post("/rendez-vous/{booking_id}/deplacer", own, move_form, other),
    _post(
        "/rendez-vous/{booking_id}/annuler", own, lambda ctx: {"motif": "Reprise d'emploi"}, other
    ),
    _post("/rendez-vous/{booking_id}/absent", own_started, other_scope=other_started),
    _post("/rendez-vous/{booking_id}/tenu", own_started, other_scope=other_started),
    _post(
        "/rendez-vous/{booking_id}/contrat",
        own,
        lambda ctx: {
            "portefeuille": "guide",
            "modalite": "parcours_emploi",
            "activites": "atelier_cv",
        },
        other,
    ),
    RouteRule(
        "GET",
        "/rendez-vous/{booking_id}/contrat",
        roles=BOOKERS,
        params=own_with_contract,
        other_scope=other_with_contract,
    ),
    _post(
        "/rendez-vous/{booking_id}/contrat/action",
        own_with_contract,
        lambda ctx: {"activite": "atelier_cv"},
        other_with_contract,
    ),
    _post(
        "/rendez-vous/{booking_id}/contrat/objectif",
        own_with_contract,
        lambda ctx: {"heures": "15"},
        other_with_contract,
    ),
    _post(
        "/rendez-vous/{booking_id}/contrat/signature",
        own_with_contract,
        other_scope=other_with_contract,
    ),
    RouteRule(
        "GET",
        "/rendez-vous/{booking_id}/contrat.pdf",
        roles=BOOKERS,
        params=own_with_contract,
        other_scope=other_with_contract,
    ),
]
