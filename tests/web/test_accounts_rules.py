"""Password policy, throttling arithmetic, TOTP and scope rules (property-based where they are rules)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcours.accounts import passwords, throttling, totp
from parcours.accounts.roles import Role
from parcours.accounts.scope import Scope, scope_for
from parcours.accounts.service import create_user
from parcours.web.testing import World


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Court1!", False),
        ("abcdefghijklmnop", False),  # 16 chars, one class
        ("Abcdefgh1!xy", True),  # 12 chars, 4 classes
        ("Abcdefgh1xyz", False),  # 12 chars, no special
        ("Abcdefgh1xyzuv", True),  # 14 chars, upper/lower/digit
        ("le chat dort sur le canapé", True),  # passphrase
        ("aaaaaaaaaaaaaaaaaaaaaaa", False),  # long but 1 distinct char
    ],
)
def test_password_policy(password: str, ok: bool) -> None:
    assert (passwords.policy_problems(password, login="jdupont") == []) is ok


def test_password_may_not_contain_login() -> None:
    assert passwords.policy_problems("Xjdupont-2026-Secure!", login="JDupont")


def test_argon2_roundtrip() -> None:
    h = passwords.hash_password("Abcdefgh1!xy")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "Abcdefgh1!xy")
    assert not passwords.verify_password(h, "Abcdefgh1!xz")
    assert not passwords.verify_password(None, "anything")


def test_delay_grows_then_locks_at_ten() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    failures, lock, last = 0, None, None
    delays = []
    for _ in range(10):
        failures, lock = throttling.after_failure(failures, last_failed_at=last, now=now)
        last = now
        delays.append(throttling.delay_after(failures))
        if failures < throttling.MAX_ATTEMPTS:
            assert lock is None
    assert lock == now + throttling.LOCK_DURATION
    assert delays[:2] == [timedelta(0), timedelta(0)]
    assert all(a <= b for a, b in itertools.pairwise(delays))
    g = throttling.gate(
        failures=failures, last_failed_at=now, locked_until=lock, now=now + timedelta(minutes=59)
    )
    assert not g.open and g.locked


def test_failures_are_forgotten_a_window_after_the_last_one() -> None:
    """Consecutive failures count while each comes within FAILURE_WINDOW of the previous one; the
    window outlasts the lock and the longest delay, so that a counter past its window holds nothing
    an answer depends on (what lets `login_throttle` purge it)."""
    assert max(throttling.LOCK_DURATION, throttling.MAX_DELAY) <= throttling.FAILURE_WINDOW
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    end = t0 + throttling.FAILURE_WINDOW
    us = timedelta(microseconds=1)
    assert throttling.after_failure(9, last_failed_at=t0, now=end - us) == (
        10,
        end - us + throttling.LOCK_DURATION,
    )
    assert throttling.after_failure(9, last_failed_at=t0, now=end) == (1, None)
    g = throttling.gate(failures=9, last_failed_at=t0, locked_until=None, now=end)
    assert g.open and g == throttling.gate(
        failures=0, last_failed_at=None, locked_until=None, now=end
    )


@given(st.integers(min_value=0, max_value=50))
def test_gate_opens_exactly_after_the_delay(failures: int) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    d = throttling.delay_after(failures)
    assert throttling.gate(failures=failures, last_failed_at=t0, locked_until=None, now=t0 + d).open
    if d:
        assert not throttling.gate(
            failures=failures,
            last_failed_at=t0,
            locked_until=None,
            now=t0 + d - timedelta(microseconds=1),
        ).open


def test_totp_single_use_and_drift() -> None:
    secret = totp.new_secret()
    at = 1_800_000_000.0
    code = totp.current_code(secret, at=at)
    step = totp.accepted_step(secret, code, last_step=None, at=at)
    assert step is not None
    assert totp.accepted_step(secret, code, last_step=step, at=at) is None  # replay refused
    assert totp.accepted_step(secret, code, last_step=None, at=at + 30) is not None  # 1 step drift
    assert totp.accepted_step(secret, code, last_step=None, at=at + 120) is None
    assert totp.accepted_step(secret, "abcdef", last_step=None, at=at) is None


ids = st.sampled_from(["E1", "E2", "E3"])
agencies = st.sampled_from(["A1", "A2", "A3", None])
roles = st.sampled_from(list(Role))


@given(roles, ids, agencies, ids, agencies)
def test_scope_rules(
    role: Role, est: str, agency: str | None, obj_est: str, obj_agency: str | None
) -> None:
    if role in (Role.CONSEILLER, Role.MANAGER) and agency is None:
        with pytest.raises(ValueError):
            scope_for(role=role, establishment_id=est, agency_id=agency)
        return
    scope = scope_for(role=role, establishment_id=est, agency_id=agency)
    covered = scope.covers(establishment_id=obj_est, agency_id=obj_agency)
    if role is Role.NATIONAL:
        assert covered
    elif obj_est != est:
        assert not covered  # nobody but the national team crosses establishments
    elif role in (Role.CORRESPONDANT, Role.CSE, Role.ADMIN):
        assert covered
    else:
        assert covered == (obj_agency == agency)


@given(roles, ids, agencies)
def test_scope_covers_itself_and_is_monotonic(role: Role, est: str, agency: str | None) -> None:
    if role in (Role.CONSEILLER, Role.MANAGER) and agency is None:
        return
    scope = scope_for(role=role, establishment_id=est, agency_id=agency)
    assert scope.covers_scope(scope)
    national = Scope(None, None)
    assert national.covers_scope(scope)
    if role is not Role.NATIONAL:
        assert not scope.covers_scope(national)
    establishment_wide = Scope(est, None)
    assert establishment_wide.covers_scope(scope) or role is Role.NATIONAL


def test_two_simultaneous_accounts_with_one_login_record_one(
    world: World, race: Callable[..., list[str]]
) -> None:
    """Two administrators create the same login at once: both pass the "login free?" check before
    either commits; the second is told the login is taken (409), not shown a server error."""
    outcomes = race(
        lambda s: create_user(
            s,
            login="nouveau.conseiller",
            display_name="Nouveau",
            role=Role.CONSEILLER,
            establishment_id="DR-A",
            agency_id="AG-A1",
            password=None,
            password_hash="$argon2id$v=19$m=1$x$y",
        )
    )
    assert outcomes == ["recorded", "conflict"]
