"""The login form does not tell which logins exist: an unknown (or disabled) login is answered like an
existing account whose password is wrong, through the delay and the lock too, with the same argon2
cost. Before, only an existing account was delayed and locked ("Trop de tentatives", "Compte
verrouillé", 429) while an unknown login got 401 for ever, and a delayed account was refused without
any argon2 verification (a faster answer)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.accounts import passwords, service, throttling
from parcours.accounts.roles import Role
from parcours.db import session_scope
from parcours.web.testing import World, csrf_token_from, shared_password_hash

WRONG = "Mauvais-mot-de-passe-42!"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str | None]]:
    """Every argon2 verification, by the hash it ran against (None: the dummy hash)."""
    calls: list[str | None] = []
    real = passwords.verify_password

    def spy(password_hash: str | None, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    yield calls


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


def test_unknown_and_existing_logins_get_the_same_answers(
    client: TestClient, world: World, verifications: list[str | None]
) -> None:
    known = world.accounts[Role.CONSEILLER].login
    answers = {}
    costs = {}
    for login in (known, "personne-inconnue"):
        before = len(verifications)
        answers[login] = [_refusal(client, login) for _ in range(5)]
        costs[login] = len(verifications) - before
    assert answers[known] == answers["personne-inconnue"]
    statuses = [status for status, _ in answers[known]]
    # The third failure starts the delay, and the answer says so, for both.
    assert statuses == [401, 401, 429, 429, 429]
    assert "Trop de tentatives" in answers["personne-inconnue"][2][1]
    # Three checks each (the delayed attempts are refused unchecked, for both): the same argon2 cost.
    assert costs[known] == costs["personne-inconnue"] == 3


def _walk(
    session: Session, login: str, unknown: throttling.UnknownLogins, calls: list[str | None]
) -> list[object]:
    """Twelve failed attempts, each made when the previous one allows it (then during the lock): what
    the caller learns of each, and whether it cost an argon2 verification."""
    seen: list[object] = []
    now = T0
    for _ in range(12):
        before = len(calls)
        outcome = service.check_password(
            session, login=login, password=WRONG, now=now, unknown_logins=unknown
        )
        assert outcome.user is None
        seen.append(
            (
                outcome.locked,
                outcome.retry_after - now if outcome.retry_after else None,
                len(calls) - before,
            )
        )
        if outcome.retry_after is not None and not outcome.locked:
            now = outcome.retry_after
        else:
            now += timedelta(minutes=1)
    return seen


def test_delay_and_lock_are_the_same_for_unknown_disabled_and_existing_accounts(
    engine: Engine, world: World, verifications: list[str | None]
) -> None:
    with session_scope(engine) as s:
        service.create_user(
            s, login="ancien-agent", display_name="Ancien", role=Role.CSE, establishment_id="DR-A",
            password=None, password_hash=shared_password_hash(),
        )  # fmt: skip
        service.disable_user(s, login="ancien-agent")
    unknown = throttling.UnknownLogins()
    with session_scope(engine) as s:
        existing = _walk(s, world.accounts[Role.CSE].login, unknown, verifications)
        absent = _walk(s, "personne-inconnue", unknown, verifications)
        disabled = _walk(s, "ancien-agent", unknown, verifications)
    assert existing == absent == disabled
    locked = [entry for entry in existing if entry[0]]  # type: ignore[index]
    assert locked and locked[0][1] == throttling.LOCK_DURATION  # type: ignore[index]
