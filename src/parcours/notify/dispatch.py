"""Sending what the outbox holds: claim, send, mark; retries with exponential backoff.

Each message is claimed by a compare-and-set UPDATE committed before sending, so two dispatchers
never send the same message. A dispatcher that dies between sending and marking leaves a claim that
another takes over after `lease`: that one case re-sends, with the same Message-ID.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, or_, select, update

from parcours.db import session_scope
from parcours.notify.models import FAILED, PENDING, SENDING, SENT, OutboxMessage
from parcours.notify.senders import EmailSender, SmsSender, TemporaryFailure


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def delay_after(self, attempts: int) -> timedelta:
        """30 s, 1 min, 2 min, ... capped: a flapping server is not hammered."""
        delay: timedelta = self.first_delay * (2 ** max(attempts - 1, 0))
        return min(delay, self.max_delay)


@dataclass
class DispatchReport:
    sent: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Cancelled while being sent, and the attempt failed: not retried.
    cancelled: list[str] = field(default_factory=list)


def _due_ids(engine: Engine, now: datetime, policy: RetryPolicy, batch: int) -> list[str]:
    stale = now - policy.lease
    with session_scope(engine) as s:
        rows = s.scalars(
            select(OutboxMessage.message_id)
            .where(
                or_(
                    (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_at <= stale),
                )
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(batch)
        )
        return list(rows)


def _claim(engine: Engine, message_id: str, now: datetime, policy: RetryPolicy) -> bool:
    stale = now - policy.lease
    with session_scope(engine) as s:
        result = s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.message_id == message_id)
            .where(
                or_(
                    OutboxMessage.status == PENDING,
                    (OutboxMessage.status == SENDING) & (OutboxMessage.claimed_at <= stale),
                )
            )
            .values(status=SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def dispatch_pending(
    *,
    engine: Engine,
    email: EmailSender,
    sms: SmsSender | None = None,
    policy: RetryPolicy | None = None,
    batch: int = 100,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DispatchReport:
    """Send every due message once; returns what happened to each."""
    policy = policy or RetryPolicy()
    report = DispatchReport()
    for message_id in _due_ids(engine, clock(), policy, batch):
        if not _claim(engine, message_id, clock(), policy):
            continue  # another dispatcher has it
        with session_scope(engine) as s:
            msg = s.get_one(OutboxMessage, message_id)
            try:
                if msg.channel == "email":
                    email.send_email(msg)
                elif msg.channel == "sms" and sms is not None:
                    sms.send_sms(to=msg.recipient, body=msg.body, message_id=msg.message_id)
                else:
                    raise TemporaryFailure(f"no sender configured for channel {msg.channel!r}")
            except TemporaryFailure as exc:
                give_up = msg.attempts >= policy.max_attempts
                # Compare-and-set: a message cancelled while it was being sent stays cancelled.
                result = s.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.message_id == message_id, OutboxMessage.status == SENDING)
                    .values(
                        status=FAILED if give_up else PENDING,
                        claimed_at=None,
                        last_error=str(exc)[:1000],
                        next_attempt_at=msg.next_attempt_at
                        if give_up
                        else clock() + policy.delay_after(msg.attempts),
                    )
                    .execution_options(synchronize_session=False)
                )
                if not result.rowcount:  # type: ignore[attr-defined]
                    report.cancelled.append(message_id)
                elif give_up:
                    report.failed.append(message_id)
                else:
                    report.retried.append(message_id)
                continue
            msg.status, msg.sent_at, msg.last_error = SENT, clock(), None
            report.sent.append(message_id)
    return report
