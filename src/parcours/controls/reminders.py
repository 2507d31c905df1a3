"""Reminders before a step's due date and overdue notices, to the person assigned (or the establishment's
correspondents when nobody is), through the outbox. One reminder per control, step and kind (and per
examination: a reopened control is reminded again); only for open controls, never to the agent concerned.
When the control closes, its reminders not sent yet are cancelled (`cancel_reminders`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.controls.models import Control
from parcours.controls.protocol import OPEN_STATES, is_overdue, load_protocol, needs_reminder
from parcours.controls.queries import may_handle
from parcours.controls.recipients import handler_emails
from parcours.notify.models import OutboxMessage
from parcours.notify.outbox import cancel_unsent, enqueue_email


def _ref_prefix(control_id: int) -> str:
    return f"control:{control_id}:"


def reminder_ref(control: Control, kind: str) -> str:
    """The outbox reference of a reminder: one per control, step and kind, and per examination (the
    first keeps the form it always had)."""
    rounds = len((control.data or {}).get("rounds", []))
    again = f"r{rounds}:" if rounds else ""
    return f"{_ref_prefix(control.control_id)}{again}{control.state}:{kind}"


def cancel_reminders(session: Session, control: Control) -> int:
    """Cancel the control's reminders not sent yet (it has closed), in the caller's transaction."""
    return cancel_unsent(
        session,
        ref_prefix=_ref_prefix(control.control_id),
        reason=f"contrôle {control.control_id} clos",
    )


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
        ref = reminder_ref(control, kind)
        if session.scalar(
            select(OutboxMessage.message_id).where(OutboxMessage.ref == ref).limit(1)
        ):
            continue
        # Closed (or moved on) since it was read? Read it again, locked on PostgreSQL until this
        # transaction ends, so that a closing that commits meanwhile cancels this reminder too.
        state = control.state
        session.refresh(control, with_for_update=True)
        if control.state != state:
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
