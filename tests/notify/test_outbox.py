from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from parcours.db import session_scope
from parcours.errors import InvalidInput
from parcours.notify import enqueue_email, enqueue_sms
from parcours.notify.dispatch import RetryPolicy, dispatch_pending
from parcours.notify.models import FAILED, PENDING, SENT, OutboxMessage
from parcours.notify.senders import FileSmsSender, SmtpEmailSender
from parcours.notify.testing import SmtpServer, free_port


def _sender(port: int) -> SmtpEmailSender:
    return SmtpEmailSender(host="127.0.0.1", port=port, sender="parcours@test.local", timeout_s=5)


def _enqueue(engine: Engine, n: int = 1) -> list[str]:
    with session_scope(engine) as s:
        ids = [
            enqueue_email(
                s,
                to=f"personne{i}@example.org",
                subject=f"Rendez-vous n°{i}",
                body="Votre rendez-vous DPA est confirmé.",
                kind="dpa_booked",
                ref=f"booking-{i}",
            ).message_id
            for i in range(n)
        ]
    return ids


def test_message_exists_only_if_the_business_transaction_commits(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        enqueue_email(s, to="a@example.org", subject="x", body="y", kind="k", ref="r")
        raise RuntimeError("the booking failed")
    _enqueue(engine)
    with session_scope(engine) as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


def test_sends_over_smtp_once(engine: Engine, smtp_server: SmtpServer) -> None:
    ids = _enqueue(engine, 3)
    report = dispatch_pending(engine=engine, email=_sender(smtp_server.port))
    assert sorted(report.sent) == sorted(ids)
    # A second pass finds nothing to send: no duplicate.
    again = dispatch_pending(engine=engine, email=_sender(smtp_server.port))
    assert again.sent == [] and again.retried == []
    got = smtp_server.handler.received
    assert len(got) == 3
    assert {m["Subject"] for m in got} == {"Rendez-vous n°0", "Rendez-vous n°1", "Rendez-vous n°2"}
    assert all(m["X-Parcours-Kind"] == "dpa_booked" for m in got)
    assert "DPA est confirmé" in got[0].get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]


def test_server_down_then_refusing_then_accepting(engine: Engine, smtp_server: SmtpServer) -> None:
    [mid] = _enqueue(engine)
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    now = [t0]
    policy = RetryPolicy(first_delay=timedelta(seconds=30))
    dead = _sender(free_port())  # nothing listens there

    r1 = dispatch_pending(engine=engine, email=dead, policy=policy, clock=lambda: now[0])
    assert r1.retried == [mid]
    with session_scope(engine) as s:
        msg = s.get_one(OutboxMessage, mid)
        assert msg.status == PENDING and msg.attempts == 1
        assert msg.next_attempt_at == t0 + timedelta(seconds=30)
        assert "ConnectionRefused" in (msg.last_error or "")

    # Not yet due: backoff respected.
    now[0] = t0 + timedelta(seconds=10)
    assert (
        dispatch_pending(engine=engine, email=dead, policy=policy, clock=lambda: now[0]).retried
        == []
    )

    # The real server answers 451 once: second attempt fails, delay doubles.
    smtp_server.handler.refuse = 1
    live = _sender(smtp_server.port)
    now[0] = t0 + timedelta(seconds=30)
    assert dispatch_pending(
        engine=engine, email=live, policy=policy, clock=lambda: now[0]
    ).retried == [mid]
    with session_scope(engine) as s:
        assert s.get_one(OutboxMessage, mid).next_attempt_at == now[0] + timedelta(seconds=60)

    now[0] += timedelta(seconds=60)
    assert dispatch_pending(
        engine=engine, email=live, policy=policy, clock=lambda: now[0]
    ).sent == [mid]
    now[0] += timedelta(hours=2)
    dispatch_pending(engine=engine, email=live, policy=policy, clock=lambda: now[0])
    assert len(smtp_server.handler.received) == 1
    with session_scope(engine) as s:
        msg = s.get_one(OutboxMessage, mid)
        assert msg.status == SENT and msg.attempts == 3 and msg.last_error is None


def test_gives_up_after_max_attempts(engine: Engine) -> None:
    [mid] = _enqueue(engine)
    now = [datetime.now(UTC) + timedelta(seconds=1)]
    policy = RetryPolicy(max_attempts=3)
    dead = _sender(free_port())
    for _ in range(5):
        dispatch_pending(engine=engine, email=dead, policy=policy, clock=lambda: now[0])
        now[0] += timedelta(hours=2)
    with session_scope(engine) as s:
        msg = s.get_one(OutboxMessage, mid)
        assert msg.status == FAILED and msg.attempts == 3


def test_concurrent_dispatchers_send_each_message_once(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    ids = _enqueue(engine, 20)
    sender = _sender(smtp_server.port)
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        dispatch_pending(engine=engine, email=sender)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    received = [m["X-Parcours-Ref"] for m in smtp_server.handler.received]
    assert sorted(received) == sorted(f"booking-{i}" for i in range(20))
    with session_scope(engine) as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {SENT}
    assert len(ids) == 20


def test_sms_through_the_file_adapter(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        enqueue_sms(s, to="+33 6 12 34 56 78", body="RDV DPA lundi 9h", kind="dpa_booked", ref="b1")
    out = tmp_path / "sms.jsonl"
    report = dispatch_pending(engine=engine, email=_sender(free_port()), sms=FileSmsSender(out))
    assert len(report.sent) == 1
    assert "RDV DPA lundi 9h" in out.read_text(encoding="utf-8")


def test_invalid_addresses_refused(engine: Engine) -> None:
    with session_scope(engine) as s:
        with pytest.raises(InvalidInput):
            enqueue_email(s, to="a@b.org\r\nBcc: x@y", subject="s", body="b", kind="k", ref="r")
        with pytest.raises(InvalidInput):
            enqueue_sms(s, to="06-pas-un-numero", body="b", kind="k", ref="r")
