"""Odd requests that once made the server fail (HTTP 500): each now gets a 4xx with a French message (or a
404) and changes nothing.

Found by driving every route of the application (the permission matrix's rules give an object in scope
for each) as each allowed role, with odd path ids, query parameters and form fields: non-numeric and
huge numbers, impossible dates, empty and over-long strings, NUL characters, repeated parameters, wrong
content types. Runs on SQLite and PostgreSQL, since some failed on one backend only: an id beyond
SQLite's 64-bit INTEGER or PostgreSQL's 32-bit one, a NUL character (PostgreSQL refuses it in text).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from parcours.accounts.models import DeclaredPurpose, User
from parcours.accounts.roles import Role
from parcours.config import reset_settings_cache
from parcours.controls.models import Campaign, Control, ControlNote
from parcours.db import session_scope
from parcours.engagement.models import ContractAction, EngagementContract
from parcours.engagement.service import create_contract
from parcours.registry.models import JobSeeker
from parcours.scheduling.booking import OrientationDecisionRef, book, find_slots
from parcours.scheduling.models import Booking, CounsellorDayLock, OpeningRange
from parcours.scheduling.slots import Slot
from parcours.web.testing import World, csrf_token_from, csrf_token_of, open_control_about

NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
HUGE = str(2**63)  # beyond SQLite's INTEGER (OverflowError in the driver)
BIG = str(2**31)  # beyond PostgreSQL's INTEGER (NumericValueOutOfRange)
TOMORROW = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
SLOT = f"AG-0001|{TOMORROW.isoformat()}"
TOKEN = "jeton-ingestion-de-test"


@dataclass(frozen=True)
class Odd:
    """One odd request. `{control}`, `{de_id}` and `{other}` in the path are filled from the world;
    `role` None is the anonymous login form, or the bearer-token client of /api/."""

    role: Role | None
    method: str
    path: str
    form: dict[str, str] = field(default_factory=dict)
    status: int = 404
    message: str = ""
    body: bytes | None = None
    content_type: str = ""


C, N, A, S = Role.CORRESPONDANT, Role.NATIONAL, Role.ADMIN, Role.CONSEILLER
NUL = "caractère nul"
BAD_DATE = "Date de décision d'orientation invalide"
BOOKING = {"slot": SLOT, "organisation": "FT", "agence": "AG-A1"}
API = "/api/ingestion/consultations"

# The routes that load a control by its id from the path (before: db.get with the raw id).
CONTROL_ROUTES = [
    ("view", C, "GET", "/alertes/{}", {}),
    ("report-pdf", C, "GET", "/alertes/{}/compte-rendu.pdf", {}),
    ("step", C, "POST", "/alertes/{}/etape/schedule_interview", {"pre_examination_notes": "x"}),
    ("assign", C, "POST", "/alertes/{}/assigner", {"assignee": "test-manager"}),
    ("comment", C, "POST", "/alertes/{}/commentaire", {"body": "x"}),
    ("report", C, "POST", "/alertes/{}/compte-rendu", {"outcome": "proven"}),
    ("own-view", S, "GET", "/mes-controles/{}", {}),
    ("own-explain", S, "POST", "/mes-controles/{}/explication", {"body": "x"}),
]

ODD_REQUESTS = [
    # 1. Integer ids beyond the column's range overflowed the driver: now "not found" like any unknown id.
    *[
        pytest.param(
            Odd(role, method, path.format(n), form, 404, "Contrôle introuvable."),
            id=f"control-id-{n}-{name}",
        )
        for n in (HUGE, BIG)
        for name, role, method, path, form in CONTROL_ROUTES
    ],
    *[
        pytest.param(
            Odd(A, "POST", f"/admin/comptes/{n}/{action}", status=404, message="Compte introuvable."),
            id=f"account-id-{n}-{action}",
        )
        for n in (HUGE, BIG)
        for action in ("desactiver", "deverrouiller")
    ],
    # 2. The trail's page cursor, the same overflow: now bounded like the column (422, in French).
    *[
        pytest.param(
            Odd(N, "GET", f"/controle/journal?avant={n}", status=422, message="doit valoir au plus"),
            id=f"trail-cursor-{n}",
        )
        for n in (HUGE, BIG)
    ],
    # 3. The control's version (a hidden field of the step forms) was read with int().
    *[
        pytest.param(
            Odd(
                C,
                "POST",
                "/alertes/{control}/etape/schedule_interview",
                {"pre_examination_notes": "x", "version": v},
                422,
                "Version du contrôle illisible",
            ),
            id=f"step-version-{v}",
        )
        for v in ("abc", "1e309", "2024-02-30")
    ],
    # 4. The orientation decision's date of the booking page and form was read with date.fromisoformat().
    *[
        pytest.param(
            Odd(
                S,
                "GET",
                f"/rendez-vous/nouveau/{{de_id}}?organisation=FT&agence=AG-A1&decision={d}",
                status=422,
                message=BAD_DATE,
            ),
            id=f"booking-page-decision-{d}",
        )
        for d in ("2024-02-30", "99999-01-01", "abc")
    ],
    *[
        pytest.param(
            Odd(S, "POST", "/rendez-vous/nouveau/{de_id}", BOOKING | {"decision": d}, 422, BAD_DATE),
            id=f"booking-decision-{d}",
        )
        for d in ("2024-02-30", "99999-01-01")
    ],
    # A real date far ahead was stored with the booking; drawing up its contract then overflowed
    # (signature deadline in year 10000).
    pytest.param(
        Odd(
            S,
            "POST",
            "/rendez-vous/nouveau/{de_id}",
            BOOKING | {"decision": "9999-12-31"},
            422,
            "ne peut pas être datée après aujourd'hui",
        ),
        id="booking-decision-9999-12-31",
    ),
    # A date before the law whose decisions a DPA follows was booked: no contract could be drawn up
    # from it (its dated parameters start on 1 January 2025). The domain refuses it too.
    *[
        pytest.param(
            Odd(S, method, path, form, 422, "ne peut pas être datée avant le 01/01/2025"),
            id=f"booking-{what}-decision-{d}",
        )
        for d in ("2024-12-31", "0001-01-01")
        for what, method, path, form in (
            ("page", "GET", f"/rendez-vous/nouveau/{{de_id}}?organisation=FT&agence=AG-A1&decision={d}", {}),
            ("form", "POST", "/rendez-vous/nouveau/{de_id}", BOOKING | {"decision": d}),
        )
    ],
    # 5. NUL characters reached PostgreSQL, which refuses them in text (DataError), before anyone
    # logged in for the first one.
    pytest.param(
        Odd(None, "POST", "/connexion", {"login": "a\x00b", "password": "x"}, 422, NUL),
        id="nul-login",
    ),
    pytest.param(Odd(S, "GET", "/dossiers?q=DU%00R", status=422, message=NUL), id="nul-search"),
    pytest.param(Odd(S, "GET", "/dossiers/DE-A1%00", status=422, message=NUL), id="nul-file-id"),
    pytest.param(
        Odd(S, "POST", "/dossiers/{other}/motif", {"choice": "Autre", "detail": "motif\x00 long"},
            422, NUL),
        id="nul-purpose",
    ),
    pytest.param(Odd(C, "GET", "/alertes?etat=open%00", status=422, message=NUL), id="nul-inbox"),
    pytest.param(Odd(S, "GET", "/rendez-vous/rdv-%00", status=422, message=NUL), id="nul-booking"),
    pytest.param(
        Odd(N, "GET", "/controle/journal?acteur=%00", status=422, message=NUL), id="nul-trail"
    ),
    # The search's name-prefix range took the character after the last one: none after U+10FFFF.
    pytest.param(
        Odd(S, "GET", "/dossiers?q=DU%F4%8F%BF%BF", status=200, message="Rechercher"),
        id="search-last-code-point",
    ),
    # 6. Text longer than its column (PostgreSQL refused it mid-transaction; SQLite kept it), and a
    # counsellor id from the slot field written into the counsellor-day lock table before any check.
    pytest.param(
        Odd(S, "POST", "/rendez-vous/nouveau/{de_id}",
            BOOKING | {"slot": "{slot}", "email": "x" * 300 + "@example.org"}, 422,
            "adresse électronique trop longue"),
        id="long-booking-email",
    ),
    pytest.param(
        Odd(S, "POST", "/rendez-vous/nouveau/{de_id}",
            BOOKING | {"slot": "{slot}", "telephone": "0" * 40}, 422, "numéro de téléphone trop long"),
        id="long-booking-phone",
    ),
    pytest.param(
        Odd(S, "POST", "/rendez-vous/nouveau/{de_id}",
            BOOKING | {"slot": f"{'X' * 40}|{TOMORROW.isoformat()}"}, 422,
            "pas de plage d'ouverture dans cette agence"),
        id="unknown-counsellor-in-slot",
    ),
    pytest.param(
        Odd(S, "POST", "/rendez-vous/{booking}/annuler", {"motif": "x" * 401}, 422,
            "400 caractères au plus"),
        id="long-cancel-reason",
    ),
    pytest.param(
        Odd(S, "POST", "/rendez-vous/{booking}/deplacer",
            {"motif": "x" * 401, "slot": "{slot}"}, 422, "400 caractères au plus"),
        id="long-move-reason",
    ),
    # Zero-width spaces passed the three characters a reason needs.
    pytest.param(
        Odd(S, "POST", "/rendez-vous/{booking}/annuler", {"motif": "\u200b" * 3}, 422,
            "un motif est obligatoire"),
        id="invisible-cancel-reason",
    ),
    pytest.param(
        Odd(S, "POST", "/rendez-vous/{booking}/contrat",
            {"portefeuille": "guide", "modalite": "m" * 41}, 422, "40 caractères au plus"),
        id="long-contract-modality",
    ),
    pytest.param(
        Odd(S, "POST", "/rendez-vous/{contract}/contrat/action",
            {"activite": "atelier_cv", "heures": "9", "motif": "x" * 401}, 422,
            "400 caractères au plus"),
        id="long-adjustment-reason",
    ),
    pytest.param(
        Odd(N, "POST", "/campagnes",
            {"debut": "2026-01-01", "fin": "2026-01-31", "nom": "n" * 201,
             "situations": "w2_current_agents", "niveaux": "mandatory"}, 422,
            "200 caractères au plus"),
        id="long-campaign-name",
    ),
    # 7. Real dates at the calendar's ends overflowed once a Paris midnight was turned into UTC or a
    # day was added (the campaign's period, the orientation steering's, a slot's local day); a
    # reversed steering period showed empty tables.
    *[
        pytest.param(
            Odd(N, "POST", "/campagnes",
                {"debut": debut, "fin": fin, "situations": "w2_current_agents", "niveaux": "mandatory"},
                422, "année attendue de 1900 à 2199"),
            id=f"campaign-period-{debut}",
        )
        for debut, fin in (("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"))
    ],
    *[
        pytest.param(
            Odd(C, "GET", f"/orientation/pilotage{suffix}?debut={debut}&fin={fin}", status=422,
                message=message),
            id=f"steering-period-{debut}-{fin}{suffix}",
        )
        for debut, fin, message in (
            ("0001-01-01", "2024-01-01", "année attendue de 1900 à 2199"),
            ("2024-01-01", "9999-12-31", "année attendue de 1900 à 2199"),
            ("2024-12-31", "2024-01-01", "Période vide"),
        )
        for suffix in ("", "/ecarts.csv")
    ],
    pytest.param(
        Odd(S, "POST", "/rendez-vous/nouveau/{de_id}",
            BOOKING | {"slot": "AG-0001|9999-12-31T23:00:00-05:00"}, 422, "créneau invalide"),
        id="booking-slot-year-10000-in-utc",
    ),
    pytest.param(
        Odd(S, "POST", "/rendez-vous/{booking}/deplacer",
            {"motif": "indisponible", "slot": "AG-0001|9999-12-31T23:00:00-05:00"}, 422,
            "créneau invalide"),
        id="move-slot-year-10000-in-utc",
    ),
    # 8. A contract refused for an activity not in the catalogue was kept as an empty draft (on
    # SQLite the savepoint guarding against a concurrent draft committed it), and blocked the next.
    pytest.param(
        Odd(S, "POST", "/rendez-vous/{booking}/contrat",
            {"portefeuille": "guide", "modalite": "parcours_emploi",
             "activites": "inconnue"}, 422, "activité absente du catalogue"),
        id="contract-unknown-activity",
    ),
    # 9. The ingestion API (bearer token) decoded its body without a check.
    pytest.param(
        Odd(None, "POST", API, status=422, message="UTF-8", body=b"\xff\xfe", content_type="text/csv"),
        id="api-csv-not-utf8",
    ),
    pytest.param(
        Odd(None, "POST", API, status=422, message="UTF-8", body=b"\xff",
            content_type="application/json"),
        id="api-json-not-utf8",
    ),
    pytest.param(
        Odd(None, "POST", API, status=422, message="imbrication trop profonde",
            body=b"[" * 100_000 + b"]" * 100_000, content_type="application/json"),
        id="api-json-too-deep",
    ),
]  # fmt: skip


@pytest.fixture
def control(engine: Engine, world: World) -> int:
    """An open control about a counsellor of AG-A1: in the correspondent's scope."""
    return open_control_about(engine, agent_id="AG-0002", de_id=world.de_same_agency, now=NOW)


def _free_slot(s: Session) -> Slot:
    """The counsellor's (AG-0001) first free DPA slot, opening their calendar every day first."""
    if s.scalar(select(OpeningRange.range_id).where(OpeningRange.agent_id == "AG-0001")) is None:
        s.add_all(
            OpeningRange(agency_id="AG-A1", agent_id="AG-0001", weekday=weekday,
                         starts=time(8, 0), ends=time(18, 0))
            for weekday in range(7)
        )  # fmt: skip
        s.flush()
    first = datetime.now(UTC).date() + timedelta(days=1)
    return find_slots(s, agency_id="AG-A1", activity="DPA", first_day=first,
                      last_day=first + timedelta(days=20), agent_id="AG-0001", limit=1)[0]  # fmt: skip


def _booked(engine: Engine, world: World, *, contract: bool) -> str:
    """A DPA with the counsellor (AG-0001) for a new person of their portfolio, maybe with a contract."""
    with session_scope(engine) as s:
        de_id = f"DE-ODD-{uuid.uuid4().hex[:8]}"
        s.add(JobSeeker(de_id=de_id, last_name="ODD", first_names="Test", agency_id="AG-A1",
                        referent_agent_id="AG-0001", department_code="31"))  # fmt: skip
        s.flush()
        slot = _free_slot(s)
        ref = OrientationDecisionRef(de_id, "FT", "AG-A1", datetime.now(UTC).date())
        booking = book(s, decision=ref, agent_id="AG-0001", starts_at=slot.start, actor_id="test")
        if contract:
            create_contract(s, booking_id=booking.booking_id, portfolio="suivi",
                            modality="parcours_emploi", actor_id="test")  # fmt: skip
        return booking.booking_id


def _state(engine: Engine) -> tuple[object, ...]:
    """What an odd request must not change."""
    controls = select(Control.control_id, Control.state, Control.version, Control.assignee)
    users = select(User.login, User.failed_attempts, User.disabled, User.locked_until)
    with Session(engine) as s:
        return (
            tuple(s.execute(controls.order_by(Control.control_id)).all()),
            tuple(s.execute(users.order_by(User.login)).all()),
            tuple(s.execute(select(Booking.booking_id, Booking.status, Booking.starts_at)).all()),
            tuple(s.execute(select(EngagementContract.contract_id, EngagementContract.modality))),
            *(
                s.scalar(select(func.count()).select_from(table))
                for table in (
                    ControlNote,
                    DeclaredPurpose,
                    ContractAction,
                    CounsellorDayLock,
                    Campaign,
                )
            ),
        )


@pytest.mark.parametrize("odd", ODD_REQUESTS)
def test_odd_request_is_a_clear_4xx(
    client_as: Callable[[Role], TestClient],
    client: TestClient,
    engine: Engine,
    world: World,
    control: int,
    odd: Odd,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARCOURS_INGEST_TOKEN", TOKEN)
    reset_settings_cache()
    c = client if odd.role is None else client_as(odd.role)
    if "{booking}" in odd.path:
        odd = replace(
            odd, path=odd.path.replace("{booking}", _booked(engine, world, contract=False))
        )
    if "{contract}" in odd.path:
        odd = replace(
            odd, path=odd.path.replace("{contract}", _booked(engine, world, contract=True))
        )
    if "{slot}" in odd.form.values():
        with session_scope(engine) as s:
            slot = _free_slot(s)
        free = f"{slot.agent_id}|{slot.start.isoformat()}"
        odd = replace(odd, form={k: free if v == "{slot}" else v for k, v in odd.form.items()})
    before = _state(engine)
    path = (
        odd.path.replace("{control}", str(control))
        .replace("{de_id}", world.de_portfolio)
        .replace("{other}", world.de_other_scope)
    )
    if odd.body is not None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": odd.content_type}
        r = c.post(path, content=odd.body, headers=headers)
    elif odd.method == "GET":
        r = c.get(path, follow_redirects=False)
    else:
        token = csrf_token_of(c) if odd.role else csrf_token_from(c.get("/connexion").text)
        r = c.post(path, data=odd.form | {"csrf_token": token}, follow_redirects=False)
    assert r.status_code == odd.status, r.text[-2000:]
    text = html.unescape(r.text)
    assert odd.message in text
    assert "Erreur du serveur" not in text
    assert _state(engine) == before
