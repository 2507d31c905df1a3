"""Operations on controls. Callers pass the acting user's name; scope checks happen in the web layer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.controls.dispatch import AlertInput, DispatchSummary, dispatch_alerts
from parcours.controls.models import Campaign, Control, ControlNote
from parcours.controls.protocol import OPEN_STATES, apply_transition, load_protocol
from parcours.controls.queries import is_about
from parcours.errors import Conflict, InvalidInput, NotFound

LEVELS = ("mandatory", "optional")


def launch_campaign(
    session: Session,
    *,
    name: str,
    period_start: date,
    period_end: date,
    scenarios: Sequence[str],
    levels: Sequence[str],
    launched_by: str,
    alerts: Sequence[AlertInput],
    now: datetime,
    mode: str = "campaign",
) -> tuple[Campaign, DispatchSummary]:
    if period_end < period_start:
        raise InvalidInput("la fin de période précède son début")
    if not scenarios:
        raise InvalidInput("choisir au moins une situation")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad or not levels:
        raise InvalidInput(f"niveaux invalides : {bad or 'aucun'}")
    campaign = Campaign(
        name=name,
        period_start=period_start,
        period_end=period_end,
        scenarios=list(scenarios),
        levels=list(levels),
        mode=mode,
        launched_by=launched_by,
        launched_at=now,
        alerts_received=0,
        controls_created=0,
        controls_updated=0,
    )
    session.add(campaign)
    session.flush()
    summary = dispatch_alerts(session, campaign=campaign, alerts=alerts, now=now)
    return campaign, summary


def get_control(session: Session, control_id: int) -> Control:
    control = session.get(Control, control_id)
    if control is None:
        raise NotFound(f"contrôle {control_id}")
    return control


def _note(
    session: Session, control: Control, *, author: str, kind: str, body: str, now: datetime
) -> None:
    session.add(
        ControlNote(control_id=control.control_id, at=now, author=author, kind=kind, body=body)
    )


def transition(
    session: Session,
    *,
    control_id: int,
    name: str,
    fields: dict[str, Any],
    actor: str,
    now: datetime,
    expected_version: int | None = None,
) -> Control:
    """Advance a control one step. `expected_version` guards against two managers editing at once."""
    control = get_control(session, control_id)
    if expected_version is not None and control.version != expected_version:
        raise Conflict("le contrôle a été modifié entre-temps : rechargez la page")
    result = apply_transition(
        protocol=load_protocol(),
        state=control.state,
        data=dict(control.data or {}),
        transition=name,
        fields=fields,
        today=now.date(),
    )
    control.state = result.state
    control.data = result.data
    control.step_due_on = result.step_due_on
    if result.state == "closed":
        control.outcome = result.outcome
        control.closing_reason = result.closing_reason
        control.closed_at = now
    control.updated_at = now
    control.version += 1
    _note(session, control, author=actor, kind="transition", body=result.note, now=now)
    return control


def assign(
    session: Session, *, control_id: int, assignee: str, actor: str, now: datetime
) -> Control:
    control = get_control(session, control_id)
    if control.state not in OPEN_STATES:
        raise Conflict("un contrôle clos ne peut plus être réassigné")
    # The assignee is named by login (or, typed by hand, by agent id): neither may be the agent
    # concerned, who could not open the control anyway (queries.may_act_on).
    assignee_agent = session.scalar(select(User.agent_id).where(User.login == assignee))
    if is_about(control, assignee_agent) or is_about(control, assignee):
        raise InvalidInput("un contrôle ne peut pas être assigné à l'agent qu'il concerne")
    previous = control.assignee
    control.assignee = assignee
    control.updated_at = now
    control.version += 1
    body = f"Assigné à {assignee}" + (f" (précédemment {previous})" if previous else "")
    _note(session, control, author=actor, kind="assignment", body=body, now=now)
    return control


def comment(
    session: Session, *, control_id: int, body: str, actor: str, now: datetime
) -> ControlNote:
    control = get_control(session, control_id)
    if not body.strip():
        raise InvalidInput("commentaire vide")
    note = ControlNote(
        control_id=control.control_id, at=now, author=actor, kind="comment", body=body.strip()
    )
    session.add(note)
    return note


def record_agent_explanation(
    session: Session, *, control_id: int, agent_id: str, body: str, now: datetime
) -> ControlNote:
    """The agent concerned writes their explanation before the interview (only on their own controls)."""
    control = get_control(session, control_id)
    if control.agent_id != agent_id:
        raise NotFound(f"contrôle {control_id}")
    if control.state not in OPEN_STATES:
        raise Conflict("le contrôle est clos")
    if len(body.strip()) < 10:
        raise InvalidInput("explication trop courte")
    note = ControlNote(
        control_id=control.control_id,
        at=now,
        author=agent_id,
        kind="agent_explanation",
        body=body.strip(),
    )
    session.add(note)
    return note


def notes(session: Session, control_id: int) -> list[ControlNote]:
    return list(
        session.scalars(
            select(ControlNote)
            .where(ControlNote.control_id == control_id)
            .order_by(ControlNote.at, ControlNote.note_id)
        )
    )
