"""Logins that name no usable account are throttled from the database, like real accounts.

Before, their counters lived in each process's memory (`UnknownLogins`, one per app): with several
workers, or after a restart, an unknown name was delayed and locked later than a real account, whose
counters are on its row, so whether an account exists could still be told apart. Now both are in the
database (`login_throttle` for the names, keyed by a keyed hash of the login), and the same sequence
of attempts gives the same answers whichever instance of the application answers each one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from parcours.accounts import service, throttling
from parcours.accounts.models import LoginThrottle
from parcours.accounts.roles import Role
from parcours.db import session_scope
from parcours.web.app import create_app
from parcours.web.testing import World, csrf_token_from, shared_password_hash

WRONG = "Mauvais-mot-de-passe-42!"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "a-deployment-secret-shared-by-every-worker"
UNKNOWN = "personne-inconnue"
DISABLED = "ancien-agent"


@pytest.fixture
def disabled_account(engine: Engine, world: World) -> str:
    with session_scope(engine) as s:
        service.create_user(
            s, login=DISABLED, display_name="Ancien", role=Role.CSE, establishment_id="DR-A",
            password=None, password_hash=shared_password_hash(),
        )  # fmt: skip
        service.disable_user(s, login=DISABLED)
    return DISABLED


@pytest.fixture
def two_instances(engine: Engine, world: World) -> Iterator[list[TestClient]]:
    """Two applications on one database, as two workers of one deployment are."""
    clients = [TestClient(create_app(engine=engine)) for _ in range(2)]
    yield clients
    for c in clients:
        c.close()


def _refusal(c: TestClient, login: str) -> tuple[int, str]:
    """Status and error message of one failed attempt, times masked (they differ by the second)."""
    token = csrf_token_from(c.get("/connexion").text)
    r = c.post(
        "/connexion",
        data={"login": login, "password": WRONG, "csrf_token": token},
        follow_redirects=False,
    )
    found = re.search(r'role="alert"><p>([^<]*)</p>', r.text)
    assert found, r.text
    return r.status_code, re.sub(r"\d", "9", found.group(1))


def test_two_workers_answer_unknown_and_real_logins_alike(
    engine: Engine, world: World, disabled_account: str, two_instances: list[TestClient]
) -> None:
    """Attempts alternate between two instances: each name's failures add up in the database. With
    the counters in each process's memory, an unknown name got 401 at its third failure (two on one
    worker, one on the other) where a real account was already delayed (429)."""
    known = world.accounts[Role.CONSEILLER].login
    answers = {
        login: [_refusal(two_instances[i % 2], login) for i in range(5)]
        for login in (known, UNKNOWN, disabled_account)
    }
    assert answers[known] == answers[UNKNOWN] == answers[disabled_account]
    assert [status for status, _ in answers[UNKNOWN]] == [401, 401, 429, 429, 429]
    # A third instance (a restart) still knows the unknown name is delayed.
    with TestClient(create_app(engine=engine)) as restarted:
        assert _refusal(restarted, UNKNOWN) == answers[UNKNOWN][-1]


Answer = tuple[bool, timedelta | None]  # locked, how long until the next check


def _attempt(engine: Engine, worker: throttling.UnknownLogins, login: str, now: datetime) -> Answer:
    """One failed attempt through one worker (its own session, committed as a request is)."""
    with session_scope(engine) as s:
        outcome = service.check_password(
            s, login=login, password=WRONG, now=now, unknown_logins=worker
        )
    assert outcome.user is None
    return (outcome.locked, outcome.retry_after - now if outcome.retry_after else None)


def _walk(
    engine: Engine, login: str, workers: Callable[[int], throttling.UnknownLogins]
) -> list[Answer]:
    """Failed attempts, each made as soon as the previous answer allows (a minute later during the
    lock), the i-th through `workers(i)`; then a pause longer than the lock and the window."""
    seen: list[Answer] = []
    now = T0
    for i in range(14):
        locked, wait = _attempt(engine, workers(i), login, now)
        seen.append((locked, wait))
        now = now + wait if wait is not None and not locked else now + timedelta(minutes=1)
    now += throttling.FAILURE_WINDOW + throttling.LOCK_DURATION
    seen += [_attempt(engine, workers(i), login, now) for i in range(2)]
    return seen


def test_delay_lock_and_window_are_the_same_across_workers_and_restarts(
    engine: Engine, world: World, disabled_account: str
) -> None:
    """Attempts alternate between two workers, and every fourth comes from a worker just started:
    the unknown, the disabled and the real login walk through the same delays, the same lock at the
    10th failure, and the same fresh start once the window has passed."""
    pair = [throttling.UnknownLogins(SECRET), throttling.UnknownLogins(SECRET)]

    def workers(i: int) -> throttling.UnknownLogins:
        return throttling.UnknownLogins(SECRET) if i % 4 == 3 else pair[i % 2]

    walks = {
        login: _walk(engine, login, workers)
        for login in (world.accounts[Role.CSE].login, UNKNOWN, disabled_account)
    }
    [existing, absent, disabled] = walks.values()
    assert existing == absent == disabled
    locks = [wait for locked, wait in existing if locked]
    assert locks and locks[0] == throttling.LOCK_DURATION
    # After the window, the count starts again: two free failures.
    assert existing[-2:] == [(False, None), (False, None)]


def test_the_table_keeps_no_login_and_only_the_live_counters(engine: Engine) -> None:
    """Rows are keyed by a keyed hash, never the typed text; a row whose lock and window have passed
    (it changes no answer) is purged when a failure is recorded."""
    names = ["Mot-De-Passe-Tapé-Ici-2026!", "x", "  espacé  "]
    with session_scope(engine) as s:
        for name in names:
            throttling.UnknownLogins(SECRET).record_failure(s, name, now=T0)
    with Session(engine) as s:
        rows = s.scalars(select(LoginThrottle)).all()
        assert len(rows) == len(names)
        for row in rows:
            stored = " ".join(
                str(getattr(row, c))
                for c in ("name_hash", "failures", "last_failed_at", "locked_until", "expires_at")
            )
            assert not any(n.strip() in stored for n in names), stored
            assert re.fullmatch(r"[0-9a-f]{64}", row.name_hash)
    # Another secret (another deployment): other keys. The same login: the same key in every worker.
    assert throttling.UnknownLogins("another").name_hash("x") != throttling.UnknownLogins(
        SECRET
    ).name_hash("x")
    assert throttling.UnknownLogins(SECRET).name_hash("x") == throttling.UnknownLogins(
        SECRET
    ).name_hash("x")
    # Locked at T0 + 1 min (10 failures), then failing again just before its window ends.
    locked = "verrouille"
    with session_scope(engine) as s:
        for i in range(throttling.MAX_ATTEMPTS):
            throttling.UnknownLogins(SECRET).record_failure(
                s, locked, now=T0 + timedelta(minutes=1, seconds=i)
            )
    later = T0 + throttling.FAILURE_WINDOW
    with session_scope(engine) as s:
        # "x" and the others failed once at T0: their window ends now; the locked name's is later.
        throttling.UnknownLogins(SECRET).record_failure(s, "nouveau", now=later)
    unknown = throttling.UnknownLogins(SECRET)
    with Session(engine) as s:
        kept = set(s.scalars(select(LoginThrottle.name_hash)))
        assert kept == {unknown.name_hash(locked), unknown.name_hash("nouveau")}
        # Purged or not, the answer for a forgotten name is the one for a name never seen.
        assert unknown.gate(s, "x", now=later) == unknown.gate(s, "jamais-vu", now=later)
    with session_scope(engine) as s:
        throttling.UnknownLogins(SECRET).record_failure(
            s, "nouveau", now=later + throttling.FAILURE_WINDOW + timedelta(minutes=2)
        )
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(LoginThrottle)) == 1


def test_simultaneous_failures_of_one_name_all_count(
    engine: Engine, race: Callable[[Callable[[Session], object]], list[str]]
) -> None:
    """Two workers record a failure of the same unknown name at the same time: both count (the
    second waits for the first's row), as they would have to for the lock to come at the 10th."""
    outcomes = race(lambda s: throttling.UnknownLogins(SECRET).record_failure(s, UNKNOWN, now=T0))
    assert outcomes == ["recorded", "recorded"]
    with Session(engine) as s:
        [row] = s.scalars(select(LoginThrottle)).all()
        assert row.failures == 2
