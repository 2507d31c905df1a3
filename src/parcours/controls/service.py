"""Operations on controls. Callers pass the acting user's login; whether the control lies in that user's
scope is checked in the web layer, the rest here: the protocol (and the roles a transition is reserved to),
who may be assigned the control, that the agent concerned never acts on it (`check_actor`), and that a
closed control's record is frozen except for the national team's notes and reopening."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.accounts.roles import LABELS, Role
from parcours.controls.dispatch import AlertInput, DispatchSummary, dispatch_alerts
from parcours.controls.models import Campaign, Control, ControlNote
from parcours.controls.protocol import OPEN_STATES, TransitionDef, apply_transition, load_protocol
from parcours.controls.queries import current_report, is_about, may_handle, other_open_control
from parcours.controls.reminders import cancel_reminders
from parcours.errors import Conflict, Forbidden, InvalidInput, NotFound
from parcours.text import says_something

LEVELS = ("mandatory", "optional")
# Who may still write on a closed control's record: a note, e.g. explaining why it was reopened.
CLOSED_NOTE_ROLES = frozenset({Role.NATIONAL})


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
    # An id no INTEGER column can hold names no control (and would overflow the driver: a traceback
    # in a command rather than "not found").
    control = session.get(Control, control_id) if 1 <= control_id < 2**31 else None
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


def _account(session: Session, login: str) -> User | None:
    return session.scalar(select(User).where(User.login == login))


def _has_role(session: Session, login: str, roles: frozenset[Role] | tuple[Role, ...]) -> bool:
    user = _account(session, login)
    return user is not None and not user.disabled and user.role in roles


def check_role(session: Session, tdef: TransitionDef, actor: str) -> None:
    """Refuse a transition reserved to some roles (`roles` in protocol.yaml) to any other account,
    whatever the way in (page, command, script)."""
    if tdef.roles and not _has_role(session, actor, tdef.roles):
        who = ", ".join(f"« {LABELS[r]} »" for r in tdef.roles)
        raise Forbidden(f"« {tdef.label} » est réservé au rôle {who}.")


def may_comment(control: Control, role: str) -> bool:
    """Whether an account of `role` may add a note to the control: anyone who handles it while it is
    open; once closed, its record is frozen except for the national team (`comment` checks it)."""
    return control.state in OPEN_STATES or role in CLOSED_NOTE_ROLES


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
    """Take one transition of the protocol. `expected_version` guards against two managers editing at
    once. Closing cancels the control's reminders not sent yet; a restarting transition (`reopen`)
    starts the examination over (`_restart`)."""
    control = get_control(session, control_id)
    check_actor(session, control, actor)
    if expected_version is not None and control.version != expected_version:
        raise Conflict("le contrôle a été modifié entre-temps : rechargez la page")
    protocol = load_protocol()
    tdef = protocol.transitions.get(name)
    if tdef is None:
        raise InvalidInput(f"transition inconnue : {name}")
    check_role(session, tdef, actor)
    result = apply_transition(
        protocol=protocol,
        state=control.state,
        data=dict(control.data or {}),
        transition=name,
        fields=fields,
        today=protocol.local_day(now),
        opened_on=protocol.local_day(control.created_at),
    )
    note = result.note
    if tdef.restarts:
        (reason_field,) = tdef.requires  # a restarting transition asks for its reason only
        reason = str(result.data[reason_field])
        note += _restart(session, control, reason=reason, actor=actor, now=now)
    else:
        control.data = result.data
    control.state = result.state
    control.step_due_on = result.step_due_on
    if result.state not in OPEN_STATES:
        control.outcome = result.outcome
        control.closing_reason = result.closing_reason
        control.closed_at = now
        cancelled = cancel_reminders(session, control)
        if cancelled:
            note += f" ; {cancelled} rappel(s) en attente annulé(s)"
    control.updated_at = now
    control.version += 1
    _note(session, control, author=actor, kind="transition", body=note, now=now)
    return control


def _restart(session: Session, control: Control, *, reason: str, actor: str, now: datetime) -> str:
    """Start a closed control's examination over, at the step the protocol names: refused while
    another control on the same agent × file is open (dispatch keeps one per pair). The previous
    examination goes to the control's `rounds` (its steps' data, finding, closing and the reason for
    reopening); its finding is cleared; its written report stays stored (the trail holds its hash)
    but is superseded, so a new "proven" conclusion needs a new report and the fields the old one
    fixed (`locked_by`) are free again. Returns what to add to the control's history note."""
    other = other_open_control(session, control)
    if other is not None:
        raise Conflict(
            f"Le contrôle n° {other} est ouvert sur le même agent et le même dossier : "
            f"poursuivez-le plutôt que de rouvrir le contrôle n° {control.control_id}."
        )
    report = current_report(session, control.control_id)
    if report is not None:
        report.superseded_at = now
    data = dict(control.data or {})
    rounds = list(data.pop("rounds", []))
    rounds.append(
        {
            "data": data,
            "outcome": control.outcome,
            "closing_reason": control.closing_reason,
            "closed_at": control.closed_at.isoformat() if control.closed_at else None,
            "assignee": control.assignee,
            "superseded_report_sha256": report.sha256 if report else None,
            "reopened_at": now.isoformat(),
            "reopened_by": actor,
            "reopen_reason": reason,
        }
    )
    control.data = {"rounds": rounds}
    control.outcome = control.closing_reason = control.closed_at = None
    note = f" : {reason}"
    if report is not None:
        note += f" ; compte rendu {report.sha256[:16]}… remplacé"
    # The previous assignee keeps the control if they may still handle it (not, say, the agent
    # concerned who handled it before the rule); otherwise it goes back to the establishment.
    if control.assignee:
        user = _account(session, control.assignee)
        if user is None or not may_handle(control, user):
            note += f" ; n'est plus assigné à {control.assignee}"
            control.assignee = None
    return note


@dataclass(frozen=True)
class PastExamination:
    """One examination of a control before it was reopened, as `_restart` kept it."""

    outcome: str | None
    closing_reason: str | None
    closed_at: datetime | None
    reopened_at: datetime
    reopened_by: str
    reason: str
    superseded_report_sha256: str | None
    data: dict[str, Any]


def past_examinations(control: Control) -> list[PastExamination]:
    """The control's previous examinations, oldest first (none unless it was reopened)."""
    return [
        PastExamination(
            outcome=r["outcome"],
            closing_reason=r["closing_reason"],
            closed_at=datetime.fromisoformat(r["closed_at"]) if r["closed_at"] else None,
            reopened_at=datetime.fromisoformat(r["reopened_at"]),
            reopened_by=r["reopened_by"],
            reason=r["reopen_reason"],
            superseded_report_sha256=r["superseded_report_sha256"],
            data=r["data"],
        )
        for r in (control.data or {}).get("rounds", [])
    ]


def step_details(control: Control, *, transition: str, before: str) -> dict[str, Any]:
    """What the trail records of a transition just taken (by the page or the command): the states and
    the outcome; for a reopening, also its reason, the finding it cleared and the report it superseded."""
    details: dict[str, Any] = {
        "transition": transition,
        "from": before,
        "to": control.state,
        "outcome": control.outcome,
    }
    tdef = load_protocol().transitions.get(transition)
    if tdef is not None and tdef.restarts:
        last = (control.data or {})["rounds"][-1]
        details |= {
            "reason": last["reopen_reason"],
            "previous_outcome": last["outcome"],
            "previous_closing_reason": last["closing_reason"],
            "superseded_report_sha256": last["superseded_report_sha256"],
        }
    return details


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
    """A comment on the control's record. A closed control's record is frozen: only the national team
    may still add a note (e.g. why it reopens it), whatever the way in."""
    control = get_control(session, control_id)
    check_actor(session, control, actor)
    if control.state not in OPEN_STATES and not _has_role(session, actor, CLOSED_NOTE_ROLES):
        raise Conflict(
            "Contrôle clos : son dossier est figé. Seule l'équipe nationale peut encore y ajouter "
            "une note."
        )
    if not says_something(body):
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
    if not says_something(body, at_least=10):
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
