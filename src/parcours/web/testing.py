"""Test helpers for every domain's web tests: a small two-establishment world with one account per
role, and a real login (password, then TOTP) through the HTTP routes.

    world = seed_world(session)                     # commit afterwards
    client = TestClient(create_app(engine=engine))
    login(client, world.accounts[Role.MANAGER], engine=engine)
    client.post("/x", data={"csrf_token": csrf_token_of(client)})

Everything lives in establishment "DR-A" / agency "AG-A1" for the accounts; establishment "DR-B" /
agency "AG-B1" holds the objects of another scope (404 expected for non-national roles).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.routing import Mount

from parcours.accounts import service, totp
from parcours.accounts.models import User
from parcours.accounts.passwords import hash_password
from parcours.accounts.roles import Role
from parcours.registry.models import (
    Agency,
    Agent,
    Appointment,
    Call,
    Establishment,
    JobSeeker,
    Task,
)

TEST_PASSWORD = "Parcours-Test-2026!"


@lru_cache(maxsize=1)
def shared_password_hash() -> str:
    """One argon2 computation per test process for every test account."""
    return hash_password(TEST_PASSWORD)


@dataclass(frozen=True)
class TestAccount:
    login: str
    password: str
    role: Role
    totp_secret: str | None
    user_id: int


@dataclass
class World:
    accounts: dict[Role, TestAccount] = field(default_factory=dict)
    # Job seekers: in the counsellor's portfolio; same agency but another referent; another
    # establishment entirely; one with only an appointment with the counsellor.
    de_portfolio: str = "DE-A1-001"
    de_same_agency: str = "DE-A1-002"
    de_appointment: str = "DE-A2-003"
    de_other_scope: str = "DE-B1-001"
    counsellor_agent: str = "AG-0001"
    other_agent: str = "AG-0002"
    other_scope_agent: str = "AG-0101"
    # An account in another establishment (for 404 on account administration).
    other_scope_user_id: int = 0


def _add_registry(session: Session) -> None:
    session.add_all(
        [
            Establishment(
                establishment_id="DR-A", name="Direction régionale A", kind="DR", region_code="76"
            ),
            Establishment(
                establishment_id="DR-B", name="Direction régionale B", kind="DR", region_code="11"
            ),
        ]
    )
    session.flush()
    session.add_all(
        [
            Agency(
                agency_id="AG-A1", name="Agence A1", establishment_id="DR-A", department_code="31"
            ),
            Agency(
                agency_id="AG-A2", name="Agence A2", establishment_id="DR-A", department_code="34"
            ),
            Agency(
                agency_id="AG-B1", name="Agence B1", establishment_id="DR-B", department_code="75"
            ),
        ]
    )
    session.flush()
    for agent_id, est, agency, last in [
        ("AG-0001", "DR-A", "AG-A1", "MARTIN"),
        ("AG-0002", "DR-A", "AG-A1", "BERNARD"),
        ("AG-0003", "DR-A", "AG-A1", "PETIT"),
        ("AG-0101", "DR-B", "AG-B1", "DUBOIS"),
    ]:
        session.add(
            Agent(
                agent_id=agent_id,
                last_name=last,
                birth_name=None,
                first_names="Claire",
                birth_date=date(1980, 1, 1),
                sex="F",
                establishment_id=est,
                agency_id=agency,
                job="conseiller",
                hired_on=date(2010, 1, 1),
            )
        )
    for de_id, agency, referent, last, first in [
        ("DE-A1-001", "AG-A1", "AG-0001", "DURAND", "Paul"),
        ("DE-A1-002", "AG-A1", "AG-0002", "DURAND", "Marie"),
        ("DE-A2-003", "AG-A2", None, "LEROY", "Jeanne"),
        ("DE-B1-001", "AG-B1", "AG-0101", "MOREAU", "Louis"),
    ]:
        session.add(
            JobSeeker(
                de_id=de_id,
                last_name=last,
                birth_name=None,
                first_names=first,
                birth_date=date(1990, 5, 17),
                sex="M",
                department_code="31",
                commune_code="31555",
                agency_id=agency,
                referent_agent_id=referent,
                registered_on=date(2025, 1, 6),
            )
        )
    now = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    # Held yesterday: an appointment puts the file in the counsellor's scope only around its date
    # (accounts.dossier.APPOINTMENT_DAYS_BEFORE / _AFTER), so it is dated from the day the tests run.
    held = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)
    session.add(
        Appointment(
            appointment_id="RDV-1",
            de_id="DE-A2-003",
            agent_id="AG-0001",
            starts_at=held,
            kind="DPA",
            status="done",
        )
    )
    session.add(
        Call(
            call_id="CALL-1",
            de_id="DE-A1-001",
            agent_id="AG-0001",
            started_at=now,
            ended_at=now + timedelta(minutes=6),
        )
    )
    session.add(
        Task(
            task_id="TASK-1",
            de_id="DE-A1-001",
            agent_id="AG-0001",
            created_at=now,
            closed_at=None,
            kind="courrier",
        )
    )
    session.flush()


def seed_world(session: Session) -> World:
    """The registry above plus one account per role in DR-A (agency AG-A1 where the role has one)."""
    _add_registry(session)
    world = World()
    agencies = {Role.CONSEILLER: "AG-A1", Role.MANAGER: "AG-A1"}
    agents = {Role.CONSEILLER: "AG-0001", Role.MANAGER: "AG-0003"}
    for role in Role:
        user = service.create_user(
            session,
            login=f"test-{role.value}",
            display_name=f"Test {role.value}",
            role=role,
            establishment_id="DR-A",
            agency_id=agencies.get(role),
            agent_id=agents.get(role),
            password=None,
            password_hash=shared_password_hash(),
        )
        world.accounts[role] = TestAccount(
            login=user.login,
            password=TEST_PASSWORD,
            role=role,
            totp_secret=user.totp_secret,
            user_id=user.user_id,
        )
    other = service.create_user(
        session,
        login="test-autre-region",
        display_name="Autre région",
        role=Role.CONSEILLER,
        establishment_id="DR-B",
        agency_id="AG-B1",
        agent_id="AG-0101",
        password=None,
        password_hash=shared_password_hash(),
    )
    world.other_scope_user_id = other.user_id
    session.flush()
    return world


_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_token_from(html: str) -> str:
    m = _CSRF.search(html)
    if m is None:
        raise AssertionError("no CSRF token in the page")
    return m.group(1)


def fresh_totp_code(secret: str, *, engine: Engine, login: str) -> str:
    """A code not yet used by this account (codes are single-use); waits for the next step if needed."""
    with Session(engine) as s:
        user = s.query(User).filter_by(login=login).one()
        last = user.totp_last_step
    while True:
        now = time.time()
        here = int(now // totp.STEP_SECONDS)
        for step in (here, here + 1):
            if last is None or step > last:
                return totp.current_code(secret, at=step * totp.STEP_SECONDS)
        time.sleep(1)


def login(client: httpx.Client, account: TestAccount, *, engine: Engine) -> None:
    """Log in through the real routes (GET form, POST password, POST code); raises if it fails."""
    c = client  # starlette's TestClient is an httpx.Client
    page = c.get("/connexion")
    token = csrf_token_from(page.text)
    r = c.post(
        "/connexion",
        data={
            "login": account.login,
            "password": account.password,
            "csrf_token": token,
            "suite": "/",
        },
        follow_redirects=False,
    )
    if r.status_code != 303:
        raise AssertionError(f"password step failed for {account.login}: {r.status_code}")
    if account.totp_secret is not None:
        page = c.get("/connexion/code")
        code = fresh_totp_code(account.totp_secret, engine=engine, login=account.login)
        r = c.post(
            "/connexion/code",
            data={
                "code": code,
                "csrf_token": csrf_token_from(page.text),
                "suite": "/",
            },
            follow_redirects=False,
        )
        if r.status_code != 303:
            raise AssertionError(f"TOTP step failed for {account.login}: {r.status_code}")


def csrf_token_of(client: httpx.Client) -> str:
    """The CSRF token of the client's current session (read from the home page's forms)."""
    return csrf_token_from(client.get("/").text)


# -- the permission matrix ---------------------------------------------------------------------
# Each domain lists its routes in tests/<domain>/permissions.py as `RULES: list[RouteRule]`;
# tests/web/test_permission_matrix.py enumerates the app's routes and fails on any route without a rule.


@dataclass
class MatrixContext:
    """What a rule's callables get: a session (committed by the harness afterwards), the world, the
    role being tested and its logged-in client (None when anonymous)."""

    session: Session
    world: World
    role: Role | None
    client: httpx.Client


ParamsFn = Callable[[MatrixContext], dict[str, str]]


def no_params(ctx: MatrixContext) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class RouteRule:
    """Who may call a route, and with which objects.

    - `roles`: the roles allowed; None means public (anonymous allowed, e.g. the login page).
    - `params`: path parameters of an object inside the caller's scope (may create it).
    - `other_scope`: path parameters of an object of another establishment; expected answer
      `other_scope_status` (404 by default: its existence must not leak). The national team sees
      every establishment, so for it the expected answer is the success status.
    - `form`: form fields for POST routes (the CSRF token is added by the harness).
    - `ok`: the statuses that mean success (303 for a POST that redirects).
    """

    method: str
    path: str
    roles: frozenset[Role] | None
    params: ParamsFn = no_params
    other_scope: ParamsFn | None = None
    other_scope_status: int = 404
    form: ParamsFn = no_params
    ok: frozenset[int] = frozenset({200})


def api_routes(app: object) -> list[tuple[str, APIRoute]]:
    """Every API route of the application with its full path prefix, static files excepted.

    FastAPI keeps included routers either flattened (APIRoute) or wrapped (newer versions keep an
    `_IncludedRouter` holding the original router and the prefix); both are walked. An unknown kind of
    route fails loudly, so that no route can slip past the checks built on this list.
    """
    found: list[tuple[str, APIRoute]] = []

    def walk(routes: list[object], prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append((prefix, route))
            elif isinstance(route, Mount) and route.path == "/static":
                continue
            elif hasattr(route, "original_router") and hasattr(route, "include_context"):
                walk(list(route.original_router.routes), prefix + route.include_context.prefix)
            else:
                raise AssertionError(f"unknown route type {type(route).__name__}: {route!r}")

    walk(list(app.routes), "")  # type: ignore[attr-defined]
    return found


def enumerate_routes(app: object) -> set[tuple[str, str]]:
    """Every (method, path) the application answers, static files excepted."""
    return {
        (m, prefix + route.path)
        for prefix, route in api_routes(app)
        for m in route.methods or ()
        if m != "HEAD"
    }


def open_control_about(engine: Engine, *, agent_id: str, de_id: str, now: datetime) -> int:
    """The id of an open control (pre-examination, establishment DR-A) about `agent_id` on the file
    `de_id`, launched by a one-alert campaign of January 2026. An open control on the same agent x
    file would be updated, not duplicated: pass another file for a second one."""
    import uuid

    from parcours.controls import service as controls
    from parcours.controls.dispatch import AlertInput
    from parcours.db import session_scope

    n = uuid.uuid4().hex[:8]
    alert = AlertInput(
        alert_id=f"test-{n}", agent_id=agent_id, de_id=de_id,
        scenarios=("w2_current_agents",), level="mandatory", score=80.0,
        first_seen=now - timedelta(days=3), last_seen=now, consultations=2,
        reasons=("Aucun contexte",), match_probability=0.99,
    )  # fmt: skip
    with session_scope(engine) as s:
        _, summary = controls.launch_campaign(
            s, name=f"test {n}", period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
            scenarios=["w2_current_agents"], levels=["mandatory"], launched_by="test", now=now,
            alerts=[alert],
        )  # fmt: skip
        return summary.by_establishment["DR-A"][0]
