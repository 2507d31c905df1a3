"""Operations on controls. Callers pass the acting user's login; whether the control lies in that user's
scope is checked in the web layer, the rest here: the protocol, who may be assigned the control, and that the
agent concerned never acts on it (`check_actor`)."""

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
from parcours.controls.queries import is_about, may_handle
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


def check_actor(session: Session, control: Control, actor: str) -> None:
    """Refuse an action by an account of the agent the control concerns (`queries.may_act_on`),
    whatever the way in (the web layer checks it first; a script or another layer must not bypass
    it). Answers like a control out of reach: not found."""
    agent_id = session.scalar(select(User.agent_id).where(User.login == actor))
    if is_about(control, agent_id):
        raise NotFound(f"contrôle {control.control_id}")


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
    check_actor(session, control, actor)
    if expected_version is not None and control.version != expected_version:
        raise Conflict("le contrôle a été modifié entre-temps : rechargez la page")
    protocol = load_protocol()
    result = apply_transition(
        protocol=protocol,
        state=control.state,
        data=dict(control.data or {}),
        transition=name,
        fields=fields,
        today=protocol.local_day(now),
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
    """Assign the control to the account `assignee` (a login), who must be able to handle it: an
    enabled manager, correspondent or national member whose scope covers it, and not its agent."""
    control = get_control(session, control_id)
    check_actor(session, control, actor)
    if control.state not in OPEN_STATES:
        raise Conflict("un contrôle clos ne peut plus être réassigné")
    login = assignee.strip()
    if not login:
        raise InvalidInput("choisir la personne assignée")
    user = session.scalar(select(User).where(User.login == login))
    # Named by login or, typed by hand, by agent id: neither may be the agent concerned, who could
    # not open the control anyway (queries.may_act_on).
    if is_about(control, login) or (user is not None and is_about(control, user.agent_id)):
        raise InvalidInput("un contrôle ne peut pas être assigné à l'agent qu'il concerne")
    if user is None or not may_handle(control, user):
        raise InvalidInput(
            f"« {login} » ne peut pas traiter ce contrôle : un compte actif de manager, de "
            "correspondant ou de l'équipe nationale dont le périmètre couvre le contrôle est attendu"
        )
    previous = control.assignee
    if previous == login:
        return control  # already theirs: nothing changes, nothing to trace
    control.assignee = login
    control.updated_at = now
    control.version += 1
    body = f"Assigné à {login}" + (f" (précédemment {previous})" if previous else "")
    _note(session, control, author=actor, kind="assignment", body=body, now=now)
    return control


def _check_length(body: str) -> None:
    limit = load_protocol().max_text_length
    if len(body.strip()) > limit:
        raise InvalidInput(f"texte trop long ({limit} caractères au plus)")


def comment(
    session: Session, *, control_id: int, body: str, actor: str, now: datetime
) -> ControlNote:
    control = get_control(session, control_id)
    check_actor(session, control, actor)
    if not body.strip():
        raise InvalidInput("commentaire vide")
    _check_length(body)
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
    _check_length(body)
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
