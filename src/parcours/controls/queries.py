"""Read side of the alert application: inbox pages, an agent's own controls, campaign lists; and the
rule of who may act on a control (`may_act_on`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, String, and_, cast, func, select
from sqlalchemy.orm import Session

from parcours.accounts.models import User
from parcours.accounts.roles import ROLES_HANDLING_ALERTS
from parcours.accounts.scope import Scope
from parcours.audit.input_report import InputReport
from parcours.audit.models import DetectionRun
from parcours.controls.models import Campaign, Control, ControlReport
from parcours.controls.protocol import OPEN_STATES
from parcours.controls.trail import TrailEntry

PAGE_SIZE = 50
# The roles that handle controls (inbox, steps, assignment, reminders).


@dataclass(frozen=True)
class InboxFilters:
    state: str = "open"  # open|closed|all|<state name>
    level: str = ""
    scenario: str = ""
    overdue: bool = False
    assignee: str = ""


@dataclass(frozen=True)
class InboxPage:
    rows: list[Control]
    total: int
    page: int
    pages: int


Ts = TypeVarTuple("Ts")


def _scoped(query: Select[*Ts], scope: Scope) -> Select[*Ts]:
    if scope.establishment_id is not None:
        query = query.where(Control.establishment_id == scope.establishment_id)
        if scope.agency_id is not None:
            query = query.where(Control.agency_id == scope.agency_id)
    return query


def inbox(
    session: Session,
    *,
    scope: Scope,
    viewer_agent_id: str | None,
    filters: InboxFilters,
    today: date,
    page: int = 1,
) -> InboxPage:
    """One page of the controls the viewer may act on. `viewer_agent_id` is the registry agent the
    viewer is (None when they are none): controls about them are left out (see `may_act_on`)."""
    query = _not_about(_scoped(select(Control), scope), viewer_agent_id)
    if filters.state == "open":
        query = query.where(Control.state.in_(OPEN_STATES))
    elif filters.state == "closed":
        query = query.where(Control.state == "closed")
    elif filters.state != "all":
        query = query.where(Control.state == filters.state)
    if filters.level:
        query = query.where(Control.level == filters.level)
    if filters.scenario:
        query = query.where(Control.main_scenario == filters.scenario)
    if filters.overdue:
        query = query.where(Control.state.in_(OPEN_STATES), Control.step_due_on < today)
    if filters.assignee:
        query = query.where(Control.assignee == filters.assignee)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.scalars(
        query.order_by(
            Control.level.asc(), Control.step_due_on.asc(), Control.score.desc(), Control.control_id
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return InboxPage(rows=list(rows), total=total, page=page, pages=pages)


def in_scope(control: Control, scope: Scope) -> bool:
    return scope.covers(establishment_id=control.establishment_id, agency_id=control.agency_id)


# -- conflict of interest -------------------------------------------------------------------------
# Nobody examines, concludes, comments, reports on or is assigned a control about themselves: the
# protocol exists so that someone else judges the agent's consultations, and a manager who is also the
# agent concerned could otherwise close their own alert as a false positive without anyone seeing it.
# For the person concerned such a control is out of reach exactly like one of another scope (hidden
# from their inbox, 404 on its page and on every action); the establishment keeps it through the
# agency's other managers, its correspondents and the national team. The agent concerned still sees it
# as theirs (`controls_about_agent`, /mes-controles) and writes their explanation there.
# This is the one statement of the rule: the inbox filters with `_not_about`, every control page and
# action checks `may_act_on`, assignment and reminders check `may_handle` (which applies it to an account).


def is_about(control: Control, agent_id: str | None) -> bool:
    """Whether the control concerns the registry agent `agent_id` (None: a person who is no agent)."""
    return agent_id is not None and control.agent_id == agent_id


def may_act_on(control: Control, *, scope: Scope, agent_id: str | None) -> bool:
    """Whether a user of `scope`, who is the registry agent `agent_id`, may open and handle the control."""
    return in_scope(control, scope) and not is_about(control, agent_id)


def may_handle(control: Control, user: User) -> bool:
    """Whether the account `user` may be assigned the control or receive its reminders: enabled, of
    a role that handles controls, and allowed to act on this one (`may_act_on`)."""
    return (
        not user.disabled
        and user.role in {r.value for r in ROLES_HANDLING_ALERTS}
        and may_act_on(control, scope=user.scope, agent_id=user.agent_id)
    )


def _not_about(query: Select[Control], agent_id: str | None) -> Select[Control]:
    return query if agent_id is None else query.where(Control.agent_id != agent_id)


# -- controls handled by the agent they concern, before `may_act_on` existed -------------------------
# Such controls were not reopened when the rule came in. The trail keeps who did what: an action on a
# control whose actor is an account of the control's agent is a breach of the rule above, and the
# national data-protection team reviews (and reopens) those controls.

# Trail actions that handle a control, as the web layer records them.
HANDLING_ACTIONS = ("status", "assign", "comment", "report")
# Trail actions that only read it: the control page (with the file's context) and the report's PDF.
READING_ACTIONS = ("view", "export")


@dataclass(frozen=True)
class SelfAction:
    """One trail entry of the agent concerned on their own control."""

    seq: int
    at: datetime
    login: str
    action: str
    details: dict[str, Any]


@dataclass
class SelfHandledControl:
    control: Control
    actions: list[SelfAction] = field(default_factory=list)

    @property
    def closed_by_agent(self) -> bool:
        """Whether the agent concerned took the step that closed the control."""
        return any(a.action == "status" and a.details.get("to") == "closed" for a in self.actions)

    @property
    def reopened(self) -> bool:
        """Whether the control has been reopened since (by the national team, `service.transition`)."""
        return bool((self.control.data or {}).get("rounds"))


def self_handled_controls(
    session: Session, *, scope: Scope, actions: tuple[str, ...] = HANDLING_ACTIONS
) -> list[SelfHandledControl]:
    """Controls on which an account of the agent concerned took one of `actions` (trail entries on
    the control, or on its report), oldest action first, in control order."""
    acted = session.execute(
        _scoped(
            select(Control, TrailEntry)
            .join(
                TrailEntry,
                and_(
                    TrailEntry.object_type.in_(("control", "control_report")),
                    TrailEntry.object_id == cast(Control.control_id, String),
                ),
            )
            .join(User, User.login == TrailEntry.actor)
            .where(User.agent_id == Control.agent_id, TrailEntry.action.in_(actions))
            .order_by(Control.control_id, TrailEntry.seq),
            scope,
        )
    ).all()
    found: dict[int, SelfHandledControl] = {}
    for control, entry in acted:
        item = found.setdefault(control.control_id, SelfHandledControl(control))
        item.actions.append(
            SelfAction(
                seq=entry.seq,
                at=entry.ts if entry.ts.tzinfo else entry.ts.replace(tzinfo=UTC),  # SQLite: naive
                login=entry.actor,
                action=entry.action,
                details=json.loads(entry.details or "{}"),
            )
        )
    return list(found.values())


def current_report(session: Session, control_id: int) -> ControlReport | None:
    """The control's written report, unless a reopening superseded it (at most one: a partial
    unique index)."""
    return session.scalar(
        select(ControlReport).where(
            ControlReport.control_id == control_id, ControlReport.superseded_at.is_(None)
        )
    )


def reports(session: Session, control_id: int) -> list[ControlReport]:
    """Every written report of the control, superseded ones included, oldest first."""
    return list(
        session.scalars(
            select(ControlReport)
            .where(ControlReport.control_id == control_id)
            .order_by(ControlReport.created_at, ControlReport.report_id)
        )
    )


def other_open_control(session: Session, control: Control) -> int | None:
    """The id of another open control on the same agent × file, if there is one (dispatch keeps
    one open control per pair: a reopening must not make a second)."""
    return session.scalar(
        select(Control.control_id)
        .where(
            Control.agent_id == control.agent_id,
            Control.de_id == control.de_id,
            Control.state.in_(OPEN_STATES),
            Control.control_id != control.control_id,
        )
        .limit(1)
    )


def controls_about_agent(session: Session, agent_id: str) -> list[Control]:
    return list(
        session.scalars(
            select(Control).where(Control.agent_id == agent_id).order_by(Control.created_at.desc())
        )
    )


@dataclass(frozen=True)
class RunSummary:
    """A detection run as the national team reads it: what it found and what its inputs lacked."""

    run: DetectionRun
    input_warnings: list[str]


def detection_runs(session: Session, limit: int = 10) -> list[RunSummary]:
    """The latest detection runs (campaigns launched here, by the CLI or by the flow), newest first,
    with their input report in plain French: aggregates only, no personal data."""
    runs = session.scalars(
        select(DetectionRun)
        .where(DetectionRun.naive.is_(False))
        .order_by(DetectionRun.started_at.desc())
        .limit(limit)
    )
    out = []
    for run in runs:
        stored = json.loads(run.report or "{}").get("inputs") or {}
        out.append(RunSummary(run, InputReport.from_report(stored).warnings()))
    return out


def campaigns(session: Session, limit: int = 50) -> list[Campaign]:
    return list(
        session.scalars(select(Campaign).order_by(Campaign.campaign_id.desc()).limit(limit))
    )
