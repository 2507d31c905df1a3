"""Failed-login throttling: a growing delay after a few failures, then a lock.

CNIL recommendation: a delay ("temporisation") after several failures, and a lock after at most 10.
The counters live on the account, so the protection holds across processes and restarts. Logins that
name no account are counted by the same rules in memory (`UnknownLogins`), so that the delay and the
lock do not reveal which logins exist.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

FREE_ATTEMPTS = 3  # failures before any delay
MAX_ATTEMPTS = 10  # the 10th consecutive failure locks the account
LOCK_DURATION = timedelta(hours=1)
MAX_DELAY = timedelta(minutes=5)


def delay_after(failures: int) -> timedelta:
    """Wait imposed after `failures` consecutive failures: 0 for the first few, then doubling."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    # Cap the exponent before computing: 2**47 seconds does not fit a timedelta.
    exponent = min(failures - FREE_ATTEMPTS, 16)
    return min(timedelta(seconds=2**exponent * 5), MAX_DELAY)


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
    if last_failed_at is not None:
        ready_at = last_failed_at + delay_after(failures)
        if now < ready_at:
            return Gate(open=False, locked=False, retry_after=ready_at)
    return Gate(open=True, locked=False, retry_after=None)


def after_failure(failures: int, *, now: datetime) -> tuple[int, datetime | None]:
    """New failure count and lock end (None when not locked) after one more failure."""
    failures += 1
    if failures >= MAX_ATTEMPTS:
        return failures, now + LOCK_DURATION
    return failures, None


@dataclass
class _Counters:
    failures: int = 0
    last_failed_at: datetime | None = None
    locked_until: datetime | None = None


class UnknownLogins:
    """Failure counters of the logins that name no usable account (unknown or disabled), so that
    they are throttled and locked exactly like an account whose password is wrong: otherwise the
    delay and the lock, which only an existing account gets, tell which logins exist.

    Kept in the process's memory, keyed by a keyed hash of the login (people type their password in
    the login field: it is not kept). Bounded: the least recently failed names are forgotten first.
    Limit: with several worker processes each keeps its own counters, and a restart forgets them,
    whereas an account's live on its row; a shared table would remove that difference.
    """

    def __init__(self, max_names: int = 50_000) -> None:
        self._max = max_names
        self._key = secrets.token_bytes(32)
        self._counters: OrderedDict[bytes, _Counters] = OrderedDict()
        self._lock = threading.Lock()

    def _name(self, login: str) -> bytes:
        return hashlib.blake2b(login.encode("utf-8", "surrogatepass"), key=self._key).digest()

    def gate(self, login: str, *, now: datetime) -> Gate:
        with self._lock:
            c = self._counters.get(self._name(login)) or _Counters()
            return gate(
                failures=c.failures,
                last_failed_at=c.last_failed_at,
                locked_until=c.locked_until,
                now=now,
            )

    def record_failure(self, login: str, *, now: datetime) -> None:
        name = self._name(login)
        with self._lock:
            c = self._counters.pop(name, None) or _Counters()
            c.failures, lock = after_failure(c.failures, now=now)
            c.last_failed_at = now
            if lock is not None:
                c.locked_until = lock
            self._counters[name] = c
            while len(self._counters) > self._max:
                self._counters.popitem(last=False)


# The counters of a process that did not bring its own (the CLI; the web app keeps one per app).
UNKNOWN_LOGINS = UnknownLogins()
