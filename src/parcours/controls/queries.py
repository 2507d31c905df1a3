"""Read side of the alert application: inbox pages, an agent's own controls, campaign lists; and the
rule of who may act on a control (`may_act_on`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from parcours.accounts.scope import Scope
from parcours.audit.input_report import InputReport
from parcours.audit.models import DetectionRun
from parcours.controls.models import Campaign, Control
from parcours.controls.protocol import OPEN_STATES

PAGE_SIZE = 50


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


def _scoped(query: Select[Control], scope: Scope) -> Select[Control]:
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
# action checks `may_act_on`, assignment and reminders check `is_about`.


def is_about(control: Control, agent_id: str | None) -> bool:
    """Whether the control concerns the registry agent `agent_id` (None: a person who is no agent)."""
    return agent_id is not None and control.agent_id == agent_id


def may_act_on(control: Control, *, scope: Scope, agent_id: str | None) -> bool:
    """Whether a user of `scope`, who is the registry agent `agent_id`, may open and handle the control."""
    return in_scope(control, scope) and not is_about(control, agent_id)


def _not_about(query: Select[Control], agent_id: str | None) -> Select[Control]:
    return query if agent_id is None else query.where(Control.agent_id != agent_id)


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
