"""Cancelling messages no longer wanted (`outbox.cancel_unsent`): never sent, kept for the record, and a
message cancelled while a dispatcher was sending it is not retried when that attempt fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from parcours.db import session_scope
from parcours.notify import enqueue_email
from parcours.notify.dispatch import RetryPolicy, dispatch_pending
from parcours.notify.models import CANCELLED, FAILED, PENDING, SENT, OutboxMessage
from parcours.notify.outbox import cancel_unsent
from parcours.notify.senders import SmtpEmailSender, TemporaryFailure
from parcours.notify.testing import SmtpServer


def _sender(port: int) -> SmtpEmailSender:
    return SmtpEmailSender(host="127.0.0.1", port=port, sender="parcours@test.local", timeout_s=5)


def _enqueue(engine: Engine, *refs: str) -> None:
    with session_scope(engine) as s:
        for ref in refs:
            enqueue_email(s, to="corr@example.org", subject=ref, body="Rappel", kind="k", ref=ref)


def _statuses(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as s:
        return {m.ref: m.status for m in s.scalars(select(OutboxMessage))}


def test_cancelled_messages_are_never_sent(engine: Engine, smtp_server: SmtpServer) -> None:
    _enqueue(engine, "control:1:a", "control:1:r1:b", "control:12:a", "control_1:a", "campaign:1:x")
    with session_scope(engine) as s:
        # The prefix is matched literally: not "control:12:", nor "_" as a LIKE wildcard.
        assert cancel_unsent(s, ref_prefix="control:1:", reason="contrôle 1 clos") == 2
    report = dispatch_pending(engine=engine, email=_sender(smtp_server.port))
    assert len(report.sent) == 3
    assert sorted(m["Subject"] for m in smtp_server.handler.received) == [
        "campaign:1:x",
        "control:12:a",
        "control_1:a",
    ]
    assert _statuses(engine) == {
        "control:1:a": CANCELLED,
        "control:1:r1:b": CANCELLED,
        "control:12:a": SENT,
        "control_1:a": SENT,
        "campaign:1:x": SENT,
    }
    with session_scope(engine) as s:
        # Sent messages stay sent; nothing left to cancel.
        assert cancel_unsent(s, ref_prefix="control:12:", reason="x") == 0
        with pytest.raises(ValueError):
            cancel_unsent(s, ref_prefix="", reason="x")


@dataclass
class CancelledWhileSending:
    """A transport during whose attempt the business transaction cancels the message, then fails."""

    engine: Engine
    outcome: str  # "fail" or "deliver"
    delivered: int = 0

    def send_email(self, message: OutboxMessage) -> None:
        with session_scope(self.engine) as s:
            assert cancel_unsent(s, ref_prefix=message.ref, reason="clos") == 1
        if self.outcome == "fail":
            raise TemporaryFailure("451 try again later")
        self.delivered += 1


def test_a_message_cancelled_during_a_failed_attempt_is_not_retried(engine: Engine) -> None:
    _enqueue(engine, "control:7:a")
    transport = CancelledWhileSending(engine, "fail")
    report = dispatch_pending(engine=engine, email=transport)
    assert len(report.cancelled) == 1 and (report.sent, report.retried, report.failed) == (
        [],
        [],
        [],
    )
    assert _statuses(engine) == {"control:7:a": CANCELLED}
    assert dispatch_pending(engine=engine, email=transport).cancelled == []


def test_a_message_cancelled_during_a_successful_attempt_is_marked_sent(engine: Engine) -> None:
    """It went out: the record says so."""
    _enqueue(engine, "control:8:a")
    transport = CancelledWhileSending(engine, "deliver")
    assert len(dispatch_pending(engine=engine, email=transport).sent) == 1
    assert transport.delivered == 1 and _statuses(engine) == {"control:8:a": SENT}


def test_failures_are_still_retried_then_given_up(engine: Engine) -> None:
    """The compare-and-set of the failure path leaves the ordinary retries as they were."""

    class Down:
        def send_email(self, message: OutboxMessage) -> None:
            raise TemporaryFailure("down")

    _enqueue(engine, "control:9:a")
    now = [datetime.now(UTC) + timedelta(seconds=1)]
    policy = RetryPolicy(max_attempts=2, first_delay=timedelta(seconds=1))
    first = dispatch_pending(engine=engine, email=Down(), policy=policy, clock=lambda: now[0])
    assert len(first.retried) == 1 and _statuses(engine) == {"control:9:a": PENDING}
    now[0] += timedelta(minutes=1)
    second = dispatch_pending(engine=engine, email=Down(), policy=policy, clock=lambda: now[0])
    assert len(second.failed) == 1 and _statuses(engine) == {"control:9:a": FAILED}
