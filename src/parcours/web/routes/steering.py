"""Continuous steering of controls: generation, follow-up, results, harmonisation, awareness; exports;
and the works-council view (aggregates only, groups under 10 agents hidden)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date, datetime
from threading import Lock
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.accounts.scope import Scope
from parcours.controls import steering, trail
from parcours.controls.protocol import load_protocol
from parcours.web.charts import chart_spec
from parcours.web.deps import DbSession, require_roles
from parcours.web.navigation import NavItem
from parcours.web.rendering import attachment, render, scenario_title

router = APIRouter(prefix="/pilotage")
STEERING_ROLES = frozenset({Role.MANAGER, Role.CORRESPONDANT, Role.NATIONAL})
Steerer = Annotated[User, Depends(require_roles(*STEERING_ROLES))]
CouncilReader = Annotated[User, Depends(require_roles(Role.CSE, Role.NATIONAL))]

NAV = [
    NavItem("Pilotage", "/pilotage", STEERING_ROLES, order=30),
    NavItem("Synthèse CSE", "/pilotage/cse", frozenset({Role.CSE, Role.NATIONAL}), order=31),
]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (str(v) if isinstance(v, date) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _titled(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chart rows with the situations' French titles: a legend speaks the interface's language."""
    return [r | {"scenario": scenario_title(str(r["scenario"]))} for r in records]


def _sheets(db: DbSession, user: User) -> dict[str, pd.DataFrame]:
    today = load_protocol().local_day(datetime.now(UTC))  # deadlines run in Paris days
    follow = steering.follow_up(db, user.scope, today)
    return {
        "generation": steering.generation(db, user.scope),
        "resultats_situation": steering.scenario_status(db, user.scope),
        "resultats_etablissement": steering.results(db, user.scope, ["establishment_id"]),
        "harmonisation": steering.harmonisation(db, user.scope),
        "sensibilisation": steering.awareness(db, user.scope, today),
        "suivi": pd.DataFrame([{"indicateur": k, "valeur": str(v)} for k, v in follow.items()]),
    }


# Dashboards computed once per (scope, day, state of the controls): repeated views cost one small query.
_CACHE: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 128
_CACHE_LOCK = Lock()


def _dashboard_figures(db: DbSession, scope: Scope, today: date) -> dict[str, Any]:
    key = (scope.establishment_id, scope.agency_id, today, steering.state_version(db, scope))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    follow = steering.follow_up(db, scope, today)
    protocol = load_protocol()
    outcomes = steering.outcome_counts(db, scope, ["scenario"])
    backlog = [
        {"step": f"{protocol.states[s].step}. {protocol.states[s].label}", "count": int(n)}
        for s, n in sorted(follow["backlog"].items(), key=lambda kv: protocol.states[kv[0]].step)
    ]
    figures = {
        "follow": follow,
        "total": steering.total(db, scope),
        "status": _records(
            steering.status_from_results(steering.results_from_counts(outcomes, ["scenario"]))
        ),
        "by_establishment": _records(steering.results(db, scope, ["establishment_id"])),
        "harmonisation": _records(steering.harmonisation(db, scope)),
        "awareness": _records(steering.awareness(db, scope, today)),
        "chart_weeks": chart_spec(
            "controls_by_week", _titled(_records(steering.generation(db, scope)))
        ),
        "chart_results": chart_spec("results_by_scenario", _titled(_records(outcomes))),
        "chart_backlog": chart_spec("backlog_by_step", backlog),
    }
    with _CACHE_LOCK:
        _CACHE[key] = figures
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return figures


@router.get("")
def dashboard(request: Request, db: DbSession, user: Steerer) -> Response:
    figures = _dashboard_figures(db, user.scope, load_protocol().local_day(datetime.now(UTC)))
    response = render(request, "steering/dashboard.html", figures)
    trail.append(db, actor=user.login, action="view", object_type="steering", object_id="dashboard")
    return response


@router.get("/export.csv")
def export_csv(request: Request, db: DbSession, user: Steerer) -> Response:
    frame = steering.results(db, user.scope, ["establishment_id", "scenario"])
    trail.append(db, actor=user.login, action="export", object_type="steering", object_id="csv")
    return attachment(steering.to_csv(frame), "pilotage-controles.csv")


@router.get("/export.xlsx")
def export_xlsx(request: Request, db: DbSession, user: Steerer) -> Response:
    trail.append(db, actor=user.login, action="export", object_type="steering", object_id="xlsx")
    return attachment(steering.to_xlsx(_sheets(db, user)), "pilotage-controles.xlsx")


@router.get("/cse")
def works_council(request: Request, db: DbSession, user: CouncilReader) -> Response:
    view = steering.works_council_view(db, user.scope)
    trail.append(db, actor=user.login, action="view", object_type="steering", object_id="cse")
    return render(
        request,
        "steering/cse.html",
        {
            "rows": _records(view),
            "min_group": steering.steering_config()["works_council"]["min_group_size"],
        },
    )
