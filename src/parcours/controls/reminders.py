"""Reminders before a step's due date and overdue notices, to the person assigned (or the establishment's
correspondents when nobody is), through the outbox. One reminder per control, step and kind; only for
open controls, never to the agent concerned."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.controls.campaigns import handler_emails
from parcours.controls.models import Control
from parcours.controls.protocol import OPEN_STATES, is_overdue, load_protocol, needs_reminder
from parcours.controls.queries import may_handle
from parcours.notify.models import OutboxMessage
from parcours.notify.outbox import enqueue_email


def _recipients(session: Session, control: Control) -> list[str]:
    # Only someone who may handle the control (queries.may_handle): an assignee who is the agent
    # concerned (assigned before that rule), has left the control's scope or the alert roles, or is
    # disabled, falls back to the establishment's correspondents (the national team for `INCONNU`),
    # except one who is the agent.
    if control.assignee:
        user = session.scalar(select(User).where(User.login == control.assignee))
        if user is not None and user.email and may_handle(control, user):
            return [user.email]
    return handler_emails(session, control.establishment_id, except_agent_id=control.agent_id)


def send_reminders(
    session: Session, *, now: datetime, base_url: str, today: date | None = None
) -> int:
    """Queue the reminders due on `today`, by default the day of `now` where deadlines run
    (`Protocol.local_day`: Europe/Paris, not the server's zone nor UTC)."""
    protocol = load_protocol()
    today = today if today is not None else protocol.local_day(now)
    sent = 0
    for control in session.scalars(select(Control).where(Control.state.in_(OPEN_STATES))):
        if is_overdue(control.step_due_on, today):
            kind = "control_overdue"
        elif needs_reminder(protocol, control.step_due_on, today):
            kind = "control_reminder"
        else:
            continue
        ref = f"control:{control.control_id}:{control.state}:{kind}"
        if session.scalar(
            select(OutboxMessage.message_id).where(OutboxMessage.ref == ref).limit(1)
        ):
            continue
        step = protocol.states[control.state]
        what = "est en retard" if kind == "control_overdue" else "arrive à échéance"
        for to in _recipients(session, control):
            enqueue_email(
                session,
                to=to,
                subject=f"Parcours : l'étape « {step.label} » du contrôle {control.control_id} {what}",
                body=(
                    f"L'étape « {step.label} » du contrôle n° {control.control_id} {what} "
                    f"(échéance du {control.step_due_on:%d/%m/%Y}).\n{base_url}/alertes/{control.control_id}\n"
                ),
                kind=kind,
                ref=ref,
                now=now,
            )
            sent += 1
    return sent
