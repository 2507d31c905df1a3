"""A closed control's record is frozen: no comment except the national team's notes (the service decides,
whatever the way in); and its reminders not sent yet are cancelled when it closes, so that nobody is
reminded of a step of a control that is over (real SMTP server, as the outbox's own tests).

Old code: comments were accepted on closed controls from anyone who could open them, and reminders
queued before the closing were sent after it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.controls import service
from parcours.controls.models import Control, ControlNote
from parcours.controls.reminders import send_reminders
from parcours.db import session_scope
from parcours.errors import Conflict
from parcours.notify.dispatch import RetryPolicy, dispatch_pending
from parcours.notify.models import CANCELLED, PENDING, SENT, OutboxMessage
from parcours.notify.senders import SmtpEmailSender
from parcours.notify.testing import RecordingHandler, SmtpServer, free_port

from .test_assignment_and_reminders import world
from .test_protocol import NOW, alert
from .test_reopen import REASON, close_false_positive, conclude_proven, reopen


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port(), handler=RecordingHandler())
    server.start()
    yield server
    server.stop()


def sender(port: int) -> SmtpEmailSender:
    return SmtpEmailSender(host="127.0.0.1", port=port, sender="parcours@test.local", timeout_s=5)


def comments(s: Session, cid: int) -> list[tuple[str, str]]:
    return [(n.author, n.body) for n in service.notes(s, cid) if n.kind == "comment"]


# -- comments ----------------------------------------------------------------------------------------


def test_anyone_handling_an_open_control_comments(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        for actor in ("manager-31", "corr-76", "national"):
            service.comment(s, control_id=cid, body=f"Vu par {actor}", actor=actor, now=NOW)
        assert len(comments(s, cid)) == 3


@pytest.mark.parametrize("actor", ["manager-31", "corr-76", "ancien-manager", "script"])
def test_a_closed_control_refuses_comments_but_the_national_teams(
    engine: Engine, actor: str
) -> None:
    with Session(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        with pytest.raises(Conflict) as err:
            service.comment(s, control_id=cid, body="Finalement…", actor=actor, now=NOW)
        assert "Contrôle clos : son dossier est figé" in str(err.value)
        assert comments(s, cid) == []
        note = "Réouverture prévue : contrôle traité par l'agent concerné."
        service.comment(s, control_id=cid, body=note, actor="national", now=NOW)
        assert comments(s, cid) == [("national", note)]


def test_a_disabled_national_account_does_not_write_on_a_closed_control(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        s.scalars(select(User).where(User.login == "national")).one().disabled = True
        with pytest.raises(Conflict):
            service.comment(s, control_id=cid, body="note", actor="national", now=NOW)


def test_a_reopened_control_takes_comments_again(engine: Engine) -> None:
    with Session(engine) as s:
        cid = world(s)
        conclude_proven(s, cid)
        reopen(s, cid)
        service.comment(s, control_id=cid, body="Nouvel examen", actor="manager-31", now=NOW)
        assert comments(s, cid) == [("manager-31", "Nouvel examen")]


def test_may_comment_is_the_rule_the_page_shows() -> None:
    open_, closed = Control(state="interview"), Control(state="closed")
    assert all(service.may_comment(open_, r) for r in ("manager", "correspondant", "national"))
    assert [
        r for r in ("manager", "correspondant", "national") if service.may_comment(closed, r)
    ] == ["national"]


# -- reminders ---------------------------------------------------------------------------------------


def _two_controls_with_reminders(s: Session) -> tuple[int, int]:
    """The world's control (about AG1) and another one on another file, both overdue and reminded."""
    cid = world(s)
    _, summary = service.launch_campaign(
        s, name="c2", period_start=NOW.date(), period_end=NOW.date(), scenarios=["x"],
        levels=["mandatory"], launched_by="dpo", now=NOW, alerts=[alert("b1", "AG1", "DE7", "x")],
    )  # fmt: skip
    (other,) = summary.by_establishment["DR76"]
    due = service.get_control(s, cid).step_due_on
    assert due is not None
    assert send_reminders(s, today=due + timedelta(days=1), now=NOW, base_url="http://x") == 2
    return cid, other


@pytest.mark.parametrize("closing", ["close_false_positive", "conclude"])
def test_closing_cancels_the_controls_unsent_reminders(
    engine: Engine, smtp_server: SmtpServer, closing: str
) -> None:
    with session_scope(engine) as s:
        cid, other = _two_controls_with_reminders(s)
    with session_scope(engine) as s:
        if closing == "conclude":
            conclude_proven(s, cid)
        else:
            close_false_positive(s, cid)
        body = s.scalars(
            select(ControlNote.body)
            .where(ControlNote.control_id == cid, ControlNote.kind == "transition")
            .order_by(ControlNote.note_id.desc())
        ).first()
        assert body is not None and body.endswith("; 1 rappel(s) en attente annulé(s)")
    report = dispatch_pending(engine=engine, email=sender(smtp_server.port))
    # Only the open control's reminder goes out.
    (received,) = smtp_server.handler.received
    assert received["X-Parcours-Ref"] == f"control:{other}:pre_examination:control_overdue"
    assert len(report.sent) == 1
    with session_scope(engine) as s:
        statuses = {m.ref: (m.status, m.last_error) for m in s.scalars(select(OutboxMessage))}
    assert statuses[f"control:{cid}:pre_examination:control_overdue"] == (
        CANCELLED,
        f"annulé : contrôle {cid} clos",
    )
    # Nothing comes back later, and the closed control is not reminded again.
    assert dispatch_pending(engine=engine, email=sender(smtp_server.port)).sent == []
    with session_scope(engine) as s:
        later = NOW.date() + timedelta(days=60)
        assert send_reminders(s, today=later, now=NOW, base_url="http://x") == 0
    assert len(smtp_server.handler.received) == 1


def test_a_reminder_waiting_for_a_retry_is_cancelled_too(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """The SMTP server was down: the reminder waits for its next attempt when the control closes."""
    with session_scope(engine) as s:
        cid, other = _two_controls_with_reminders(s)
    clock = [NOW + timedelta(days=20)]
    dead = sender(free_port())  # nothing listens there
    policy = RetryPolicy(first_delay=timedelta(seconds=30))
    first = dispatch_pending(engine=engine, email=dead, policy=policy, clock=lambda: clock[0])
    assert len(first.retried) == 2
    with session_scope(engine) as s:
        close_false_positive(s, cid)
    clock[0] += timedelta(minutes=5)
    again = dispatch_pending(
        engine=engine, email=sender(smtp_server.port), policy=policy, clock=lambda: clock[0]
    )
    assert len(again.sent) == 1
    assert [m["X-Parcours-Ref"] for m in smtp_server.handler.received] == [
        f"control:{other}:pre_examination:control_overdue"
    ]
    with session_scope(engine) as s:
        by_ref = {m.ref: m for m in s.scalars(select(OutboxMessage))}
        mine = by_ref[f"control:{cid}:pre_examination:control_overdue"]
        assert (mine.status, mine.attempts, mine.sent_at) == (CANCELLED, 1, None)
        assert by_ref[f"control:{other}:pre_examination:control_overdue"].status == SENT


def test_a_reopened_then_closed_control_cancels_its_new_reminders(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    with session_scope(engine) as s:
        cid = world(s)
        close_false_positive(s, cid)
        c = reopen(s, cid, reason=REASON)
        assert c.step_due_on is not None
        assert send_reminders(s, today=c.step_due_on, now=NOW, base_url="http://x") == 1
        (queued,) = s.scalars(select(OutboxMessage))
        assert (queued.ref, queued.status) == (
            f"control:{cid}:r1:pre_examination:control_reminder",
            PENDING,
        )
        close_false_positive(s, cid)
    assert dispatch_pending(engine=engine, email=sender(smtp_server.port)).sent == []
    assert smtp_server.handler.received == []
