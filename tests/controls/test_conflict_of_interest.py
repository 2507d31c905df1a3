"""Conflict of interest in the engine (parcours.controls.queries.may_act_on and its uses): the inbox
leaves out the viewer's own controls, assignment refuses the agent concerned, and reminders never go
to them. The web side (404 on the page and actions) is in tests/web/test_self_control.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.accounts.scope import Scope
from parcours.accounts.service import create_user
from parcours.controls import queries, service
from parcours.controls.models import Control
from parcours.controls.reminders import send_reminders
from parcours.errors import InvalidInput
from parcours.notify.models import OutboxMessage

from .test_protocol import NOW, one_control

HASH = "$argon2id$v=19$m=1$x$y"  # never checked here: no login


def _account(s: Session, login: str, role: Role, *, agent_id: str | None) -> User:
    return create_user(
        s, login=login, display_name=login, role=role, establishment_id="DR76",
        agency_id="A31" if role is Role.MANAGER else None, agent_id=agent_id, password=None,
        password_hash=HASH, email=f"{login}@example.org",
    )  # fmt: skip


def test_inbox_and_may_act_on_leave_out_the_viewers_own_controls(engine: Engine) -> None:
    with Session(engine) as s:
        _, cid = one_control(s)  # about AG1, agency A31 of DR76
        control = s.get(Control, cid)
        assert control is not None
        agency = Scope("DR76", "A31")
        today = NOW.date()
        filters = queries.InboxFilters(state="all")

        def listed(agent_id: str | None) -> list[int]:
            page = queries.inbox(
                s, scope=agency, viewer_agent_id=agent_id, filters=filters, today=today
            )
            return [c.control_id for c in page.rows]

        assert listed("AG1") == [] and listed("AG9") == [cid] and listed(None) == [cid]
        assert not queries.may_act_on(control, scope=agency, agent_id="AG1")
        assert queries.may_act_on(control, scope=agency, agent_id="AG9")
        assert queries.may_act_on(control, scope=agency, agent_id=None)
        assert not queries.may_act_on(control, scope=Scope("DR11", None), agent_id=None)
        # The agent concerned still finds it among their own.
        assert [c.control_id for c in queries.controls_about_agent(s, "AG1")] == [cid]


def test_assignment_refuses_the_agent_concerned(engine: Engine) -> None:
    with Session(engine) as s:
        _, cid = one_control(s)
        _account(s, "manager-concerne", Role.MANAGER, agent_id="AG1")
        _account(s, "manager-autre", Role.MANAGER, agent_id="AG9")
        for assignee in ("manager-concerne", "AG1"):
            with pytest.raises(InvalidInput):
                service.assign(s, control_id=cid, assignee=assignee, actor="corr", now=NOW)
        c = service.assign(s, control_id=cid, assignee="manager-autre", actor="corr", now=NOW)
        assert c.assignee == "manager-autre"


def test_reminders_never_go_to_the_agent_concerned(engine: Engine) -> None:
    with Session(engine) as s:
        _, cid = one_control(s)
        _account(s, "manager-concerne", Role.MANAGER, agent_id="AG1")
        _account(s, "corr-concerne", Role.CORRESPONDANT, agent_id="AG1")
        _account(s, "corr-autre", Role.CORRESPONDANT, agent_id="AG9")
        _account(s, "corr-sans-agent", Role.CORRESPONDANT, agent_id=None)
        control = s.get(Control, cid)
        assert control is not None and control.step_due_on is not None
        # Assigned to the agent concerned before assignment refused it: the reminder goes to the
        # correspondents instead, except the one who is the agent concerned.
        control.assignee = "manager-concerne"
        s.flush()
        overdue = control.step_due_on + timedelta(days=1)
        assert send_reminders(s, today=overdue, now=NOW, base_url="http://x") == 2
        recipients = set(s.scalars(select(OutboxMessage.recipient)))
        assert recipients == {"corr-autre@example.org", "corr-sans-agent@example.org"}
