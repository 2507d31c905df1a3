"""Failed-login throttling: a growing delay after a few failures, then a lock.

CNIL recommendation: a delay ("temporisation") after several failures, and a lock after at most 10.
The counters live on the account, so the protection holds across processes and restarts.
"""

from __future__ import annotations

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
