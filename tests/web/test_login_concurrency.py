"""Simultaneous attempts at one account are counted as if they came one after the other.

An account's failure counter is on its row (`users.failed_attempts`, `last_failed_at`,
`locked_until`). It used to be read with the account, before the argon2 check, and written back
after it: attempts checked at the same time by several workers each wrote "one more than what I
read", so ten wrong passwords sent at once counted as one, and an attacker sending bursts never
reached the lock. Now a failure locks the row and counts from its current value, like the
counters of the logins that name no account (`login_throttle`): the k-th failure of a burst gets
the answer of a k-th failure, for a real, an unknown and a disabled login alike. A right password
checked while the others locked the account is answered like them, not let in.

The TOTP step is decided under the row lock (the check is cheap): a burst of codes gets no more
checks than the delay allows, and one code opens one session only, even sent twice at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.accounts import passwords, service, throttling, totp
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.db import session_scope
from parcours.errors import InvalidInput
from parcours.web.testing import World, shared_password_hash

WRONG = "Mauvais-mot-de-passe-42!"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "a-deployment-secret-shared-by-every-worker"
BURST = throttling.MAX_ATTEMPTS

Answer = tuple[bool, timedelta | None]  # locked, how long until the next check


def _answer(outcome: service.LoginOutcome, now: datetime) -> Answer:
    assert outcome.user is None
    return (outcome.locked, outcome.retry_after - now if outcome.retry_after else None)


def _one_after_the_other(failures: int) -> list[Answer]:
    """The answers to the first `failures` failures of a login, all at one instant: the k-th
    delays the next check by `delay_after(k)`, the MAX_ATTEMPTS-th locks."""
    answers: list[Answer] = []
    for k in range(1, failures + 1):
        if k >= throttling.MAX_ATTEMPTS:
            answers.append((True, throttling.LOCK_DURATION))
        else:
            answers.append((False, throttling.delay_after(k) or None))
    return answers


def _at_once(engine: Engine, attempts: int, attempt: Callable[[Session], Answer]) -> list[Answer]:
    """`attempts` threads run `attempt`, each in its own session (its own connection, as a worker
    has), committed as a request is; their answers, sorted."""
    start = threading.Barrier(attempts, timeout=30)
    answers: list[Answer] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            with session_scope(engine) as s:
                answer = attempt(s)
            answers.append(answer)
        except BaseException as exc:  # shown in the assertion instead of lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(answers) == attempts
    return sorted(answers, key=lambda a: (a[0], a[1] or timedelta(0)))


@pytest.fixture
def checks_overlap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every password check of a burst waits until all of them have read the account: the widest
    overlap, which a real burst gets by chance (each check holds argon2 for a while)."""
    real = passwords.verify_password
    everyone_read = threading.Barrier(BURST, timeout=30)

    def overlapping(password_hash: str | None, password: str) -> bool:
        everyone_read.wait()
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", overlapping)
    yield
    everyone_read.abort()


def _counters(engine: Engine, login: str) -> tuple[int, datetime | None]:
    with Session(engine) as s:
        user = service.get_by_login(s, login)
        locked_until = user.locked_until
        if locked_until is not None and locked_until.tzinfo is None:
            locked_until = locked_until.replace(tzinfo=UTC)  # SQLite: stored in UTC, read naive
        return user.failed_attempts, locked_until


def test_simultaneous_wrong_passwords_all_count(
    engine: Engine, world: World, checks_overlap: None
) -> None:
    """Ten wrong passwords checked at the same time: ten failures, the lock at the tenth, and the
    answers of the first ten failures. Before, each wrote 1 over the 0 it had read: one failure."""
    login = world.accounts[Role.CONSEILLER].login
    unknown = throttling.UnknownLogins(SECRET)

    def attempt(s: Session) -> Answer:
        outcome = service.check_password(
            s, login=login, password=WRONG, now=T0, unknown_logins=unknown
        )
        return _answer(outcome, T0)

    answers = _at_once(engine, BURST, attempt)
    assert _counters(engine, login) == (BURST, T0 + throttling.LOCK_DURATION)
    assert answers == _one_after_the_other(BURST)


def test_a_burst_gets_the_same_answers_for_real_unknown_and_disabled_logins(
    engine: Engine, world: World, checks_overlap: None
) -> None:
    """The same burst at a real account, an unknown name and a disabled account: the same answers
    (each name's failures counted under its row's lock), so a burst does not tell them apart."""
    with session_scope(engine) as s:
        service.create_user(
            s, login="ancien-agent", display_name="Ancien", role=Role.CSE, establishment_id="DR-A",
            password=None, password_hash=shared_password_hash(),
        )  # fmt: skip
        service.disable_user(s, login="ancien-agent")
    unknown = throttling.UnknownLogins(SECRET)
    bursts = {}
    for login in (world.accounts[Role.CSE].login, "personne-inconnue", "ancien-agent"):

        def attempt(s: Session, login: str = login) -> Answer:
            outcome = service.check_password(
                s, login=login, password=WRONG, now=T0, unknown_logins=unknown
            )
            return _answer(outcome, T0)

        bursts[login] = _at_once(engine, BURST, attempt)
    [real, absent, disabled] = bursts.values()
    assert real == absent == disabled == _one_after_the_other(BURST)


def _while_checking(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, login: str, failures: int
) -> None:
    """While the next password is checked, other workers record `failures` failures of `login`
    at T0 (committed): a burst, which may have gone past the delay."""
    real = passwords.verify_password
    pending = [failures]

    def meanwhile(password_hash: str | None, password: str) -> bool:
        if pending:
            with session_scope(engine) as other:  # another worker, another connection
                user = service.get_by_login(other, login)
                user.failed_attempts = pending.pop()
                user.last_failed_at = T0
                if user.failed_attempts >= throttling.MAX_ATTEMPTS:
                    user.locked_until = T0 + throttling.LOCK_DURATION
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", meanwhile)


def test_a_success_clears_the_failures_recorded_while_it_was_checked(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failures committed by another worker while a right password is checked, too few to delay
    it, are cleared by its success, as they would be had they come just before. Before, the success
    wrote the 0 it had read, which the ORM saw as no change: the failures stayed."""
    account = world.accounts[Role.CONSEILLER]
    free = throttling.FREE_ATTEMPTS - 1
    assert throttling.delay_after(free) == timedelta(0)
    _while_checking(engine, monkeypatch, account.login, free)
    with session_scope(engine) as s:
        outcome = service.check_password(s, login=account.login, password=account.password, now=T0)
        assert outcome.ok
    assert _counters(engine, account.login) == (0, None)


@pytest.mark.parametrize("failures", [throttling.FREE_ATTEMPTS, throttling.MAX_ATTEMPTS])
def test_a_right_password_checked_while_the_account_got_delayed_is_not_let_in(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch, failures: int
) -> None:
    """Another worker's failures delay (or lock) the account while a right password is checked: had
    it come a moment later it would have been refused unchecked, so it is answered, and counted,
    like a wrong password checked at that moment. Before, it logged in (through a lock, too): a
    burst of guesses all passed the gate before any of them was counted."""
    account = world.accounts[Role.CONSEILLER]
    wrong_login = world.accounts[Role.CSE].login
    answers = []
    for login, password in ((account.login, account.password), (wrong_login, WRONG)):
        _while_checking(engine, monkeypatch, login, failures)
        with session_scope(engine) as s:
            outcome = service.check_password(s, login=login, password=password, now=T0)
        answers.append(_answer(outcome, T0))
    [right, wrong] = answers
    assert right == wrong == _one_after_the_other(failures + 1)[-1]
    assert _counters(engine, account.login) == _counters(engine, wrong_login)


def _wrong_code(secret: str, at: datetime) -> str:
    here = int(at.timestamp() // totp.STEP_SECONDS)
    valid = {
        totp.current_code(secret, at=step * totp.STEP_SECONDS) for step in range(here - 1, here + 2)
    }
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in valid)


@pytest.fixture
def slow_codes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each TOTP check takes a while (so attempts sent at once overlap); the codes checked."""
    real = totp.accepted_step
    checked: list[str] = []

    def slow(
        secret: str, code: str, *, last_step: int | None, at: float | None = None
    ) -> int | None:
        checked.append(code)
        time.sleep(0.2)
        return real(secret, code, last_step=last_step, at=at)

    monkeypatch.setattr(totp, "accepted_step", slow)
    return checked


def test_a_burst_of_codes_gets_no_more_checks_than_the_delay_allows(
    engine: Engine, world: World, slow_codes: list[str]
) -> None:
    """Ten wrong codes at once: as in a row at the same instant, three are checked and fail, which
    starts the delay; the seven others are refused unchecked. Before, all ten were checked (and
    counted as one): a burst was a way round the throttling of six-digit codes."""
    account = world.accounts[Role.MANAGER]
    assert account.totp_secret is not None
    wrong = _wrong_code(account.totp_secret, T0)

    def attempt(s: Session) -> Answer:
        user = s.get(User, account.user_id)
        assert user is not None
        return _answer(service.check_second_factor(s, user=user, code=wrong, now=T0), T0)

    answers = _at_once(engine, BURST, attempt)
    free = throttling.FREE_ATTEMPTS
    assert len(slow_codes) == free
    assert _counters(engine, account.login) == (free, None)
    first_delay = throttling.delay_after(free)
    assert answers == _one_after_the_other(free) + [(False, first_delay)] * (BURST - free)


def test_one_code_sent_twice_at_once_opens_one_session(
    engine: Engine, world: World, slow_codes: list[str]
) -> None:
    """The same right code submitted twice at the same time (a phished code replayed while its
    owner uses it): one is accepted, the other refused as a replay and counted as a failure.
    Before, both read "no step used yet" and both were accepted."""
    account = world.accounts[Role.MANAGER]
    assert account.totp_secret is not None
    code = totp.current_code(account.totp_secret, at=T0.timestamp())
    accepted: list[int] = []

    def attempt(s: Session) -> Answer:
        user = s.get(User, account.user_id)
        assert user is not None
        outcome = service.check_second_factor(s, user=user, code=code, now=T0)
        if outcome.ok:
            accepted.append(user.user_id)
            return (False, None)
        return _answer(outcome, T0)

    _at_once(engine, 2, attempt)
    assert len(accepted) == 1
    assert _counters(engine, account.login) == (1, None)


@pytest.mark.parametrize("failures", [throttling.FREE_ATTEMPTS, throttling.MAX_ATTEMPTS])
def test_a_right_current_password_checked_while_the_account_got_delayed_changes_nothing(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch, failures: int
) -> None:
    """Changing one's password asks for the current one; failures another worker records while it
    is checked close the gate as on the login page: the right one is then answered and counted like
    a wrong one checked at that moment, and the password stays. Before, the change went through."""
    answers = []
    for role, current in ((Role.CONSEILLER, None), (Role.CSE, WRONG)):
        account = world.accounts[role]
        _while_checking(engine, monkeypatch, account.login, failures)
        with session_scope(engine) as s:
            user = service.get_by_login(s, account.login)
            with pytest.raises(InvalidInput) as refused:
                service.change_password(
                    s,
                    user=user,
                    current=current or account.password,
                    new="Un-tout-nouveau-secret-2026!",
                    confirmation="Un-tout-nouveau-secret-2026!",
                    now=T0,
                )
        answers.append([issue.reason for issue in refused.value.issues])
        assert _counters(engine, account.login)[0] == failures + 1
    [right, wrong] = answers
    assert right == wrong and len(right) == 2  # "incorrect" and "too many attempts"
    with Session(engine) as s:
        user = service.get_by_login(s, world.accounts[Role.CONSEILLER].login)
        assert passwords.verify_password(
            user.password_hash, world.accounts[Role.CONSEILLER].password
        )
