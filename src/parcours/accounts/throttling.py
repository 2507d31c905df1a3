"""Failed-login throttling: a growing delay after a few failures, then a lock.

CNIL recommendation: a delay ("temporisation") after several failures, and a lock after at most 10.
Consecutive failures are counted until `FAILURE_WINDOW` has passed since the last one; then the count
starts again (a typo of last week does not delay today's login).

Every counter is in the database, so the protection holds across worker processes and restarts: an
account's on its row (`users`), and those of the logins that name no usable account (unknown or
disabled) in `login_throttle` (`UnknownLogins`), under the same rules, so that neither the answers nor
the delay and the lock tell which logins exist. Before, the latter lived in each process's memory:
with several workers or after a restart an unknown name was locked later than a real one. Each
failure is counted under its row's lock (`UnknownLogins.record_failure`, `service._lock_counters`),
so that failures checked at the same time by several workers all count.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from parcours.accounts.models import LoginThrottle

FREE_ATTEMPTS = 3  # failures before any delay
MAX_ATTEMPTS = 10  # the 10th consecutive failure locks the account
LOCK_DURATION = timedelta(hours=1)
MAX_DELAY = timedelta(minutes=5)
# Failures are consecutive while each comes within this window of the previous one. It outlasts the
# lock and the longest delay, so that a row of `login_throttle` whose window has passed holds nothing
# an answer depends on: purging it changes no answer (an absent row is a count of 0, no lock). A test
# keeps FAILURE_WINDOW >= LOCK_DURATION and MAX_DELAY.
FAILURE_WINDOW = timedelta(hours=24)
# Expired rows of `login_throttle` deleted at each recorded failure, at most: the table holds about
# the unknown names that failed within one window.
PURGE_BATCH = 500


def delay_after(failures: int) -> timedelta:
    """Wait imposed after `failures` consecutive failures: 0 for the first few, then doubling."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    # Cap the exponent before computing: 2**47 seconds does not fit a timedelta.
    exponent = min(failures - FREE_ATTEMPTS, 16)
    return min(timedelta(seconds=2**exponent * 5), MAX_DELAY)


def counted_failures(failures: int, *, last_failed_at: datetime | None, now: datetime) -> int:
    """The failures still counted at `now`: none once `FAILURE_WINDOW` has passed since the last."""
    if last_failed_at is not None and now >= last_failed_at + FAILURE_WINDOW:
        return 0
    return failures


@dataclass(frozen=True)
class Gate:
    """Whether an attempt may be checked now, and if not until when."""

    open: bool
    locked: bool
    retry_after: datetime | None


def gate(
    *, failures: int, last_failed_at: datetime | None, locked_until: datetime | None, now: datetime
) -> Gate:
    if locked_until is not None and now < locked_until:
        return Gate(open=False, locked=True, retry_after=locked_until)
    failures = counted_failures(failures, last_failed_at=last_failed_at, now=now)
    if last_failed_at is not None:
        ready_at = last_failed_at + delay_after(failures)
        if now < ready_at:
            return Gate(open=False, locked=False, retry_after=ready_at)
    return Gate(open=True, locked=False, retry_after=None)


def after_failure(
    failures: int, *, last_failed_at: datetime | None, now: datetime
) -> tuple[int, datetime | None]:
    """New failure count and lock end (None when not locked) after one more failure at `now`, the
    previous one at `last_failed_at` (None: none)."""
    failures = counted_failures(failures, last_failed_at=last_failed_at, now=now) + 1
    if failures >= MAX_ATTEMPTS:
        return failures, now + LOCK_DURATION
    return failures, None


def _aware(ts: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    if ts is not None and ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts


class UnknownLogins:
    """The failure counters of the logins that name no usable account (unknown or disabled), so that
    they are throttled and locked exactly like an account whose password is wrong: otherwise the
    delay and the lock, which only an existing account gets, tell which logins exist.

    Kept in `login_throttle`, shared by every process of the deployment like the accounts' own
    counters, in the caller's transaction. A row is keyed by a keyed hash (HMAC-SHA256 under the
    deployment's secret key) of the login as the account lookup reads it (surrounding spaces
    dropped, nothing else: folding case would merge names the lookup keeps apart, and so tell them
    apart); the typed text is never stored (people type their password in the login field), and
    without the key a stored hash cannot be tested against guesses. Rows whose lock and window have
    passed are purged as failures are recorded.
    """

    def __init__(self, secret_key: str | None = None) -> None:
        # None: the deployment's settings, read when first needed.
        self._secret_key = secret_key

    def name_hash(self, login: str) -> str:
        secret = self._secret_key
        if secret is None:
            from parcours.config import get_settings

            secret = get_settings().secret_key
        key = hmac.new(secret.encode(), b"parcours/login-throttle", hashlib.sha256).digest()
        return hmac.new(key, login.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    def gate(self, session: Session, login: str, *, now: datetime) -> Gate:
        row = session.get(LoginThrottle, self.name_hash(login))
        if row is None:
            return gate(failures=0, last_failed_at=None, locked_until=None, now=now)
        return gate(
            failures=row.failures,
            last_failed_at=_aware(row.last_failed_at),
            locked_until=_aware(row.locked_until),
            now=now,
        )

    def record_failure(self, session: Session, login: str, *, now: datetime) -> Gate:
        """Count one more failure of `login` at `now`; returns the gate after it."""
        name = self.name_hash(login)
        # The row first, locked until commit (PostgreSQL: its row lock, taken by the upsert even when
        # a concurrent purge is deleting it; SQLite: the write lock), so that concurrent failures of
        # one name from several workers all count.
        make_insert = (
            pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        upsert = make_insert(LoginThrottle).values(
            name_hash=name, failures=0, last_failed_at=None, locked_until=None, expires_at=now
        )
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=[LoginThrottle.name_hash],
                set_={"failures": LoginThrottle.failures},  # unchanged: only the lock is wanted
            )
        )
        row = session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.name_hash == name)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        last = _aware(row.last_failed_at)
        row.failures, lock = after_failure(row.failures, last_failed_at=last, now=now)
        row.last_failed_at = now
        if lock is not None:
            row.locked_until = lock
        locked_until = _aware(row.locked_until)
        row.expires_at = max(now + FAILURE_WINDOW, locked_until or now)
        session.flush()
        self.purge_expired(session, now=now)
        return gate(failures=row.failures, last_failed_at=now, locked_until=locked_until, now=now)

    @staticmethod
    def purge_expired(session: Session, *, now: datetime) -> int:
        """Delete up to `PURGE_BATCH` rows whose lock and window have passed (they change no answer);
        rows another transaction holds are skipped, not waited for (PostgreSQL), so that a purge never
        waits on a login in progress nor two purges on each other. Returns the number deleted."""
        expired = (
            select(LoginThrottle.name_hash)
            .where(LoginThrottle.expires_at <= now)
            .limit(PURGE_BATCH)
            .with_for_update(skip_locked=True)
        )
        result = session.execute(
            delete(LoginThrottle)
            .where(LoginThrottle.name_hash.in_(expired))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
