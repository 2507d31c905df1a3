"""Campaigns, launched by the national data-protection team: period, situations and levels; detection
runs, then each alert goes to the establishment of the agent concerned and its correspondents are mailed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.audit.scenario import load_scenarios
from parcours.controls import queries, trail
from parcours.controls.campaigns import launch_detection_campaign
from parcours.dates import parse_day
from parcours.errors import InvalidInput
from parcours.web.deps import DbSession, PostedForm, require_roles
from parcours.web.navigation import NavItem
from parcours.web.rendering import render

router = APIRouter(prefix="/campagnes")
NationalTeam = Annotated[User, Depends(require_roles(Role.NATIONAL))]
NAV = [NavItem("Campagnes", "/campagnes", frozenset({Role.NATIONAL}), order=25)]
MAX_NAME = 200  # controls.models.Campaign.name


@router.get("")
def campaigns(request: Request, db: DbSession, user: NationalTeam) -> Response:
    response = render(
        request,
        "controls/campaigns.html",
        {
            "campaigns": queries.campaigns(db),
            "runs": queries.detection_runs(db),
            "scenarios": load_scenarios(),
            "error": None,
        },
    )
    trail.append(db, actor=user.login, action="list", object_type="campaign", object_id="all")
    return response


@router.post("")
def launch(request: Request, db: DbSession, user: NationalTeam, form: PostedForm) -> Response:
    start = parse_day(str(form.get("debut", "")), "début de période")
    end = parse_day(str(form.get("fin", "")), "fin de période")
    scenarios = [str(s) for s in form.getlist("situations")]
    levels = [str(lv) for lv in form.getlist("niveaux")]
    name = str(form.get("nom", "")).strip() or f"Campagne du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    # Checked before detection runs: a longer name was refused by PostgreSQL only once the whole
    # detection had run (a 500), and kept by SQLite.
    if len(name) > MAX_NAME:
        raise InvalidInput(f"nom de campagne : {MAX_NAME} caractères au plus")
    base_url = str(request.base_url).rstrip("/")
    campaign, summary, run_id = launch_detection_campaign(
        db, name=name, start=start, end=end, scenarios=scenarios, levels=levels, launched_by=user.login,
        base_url=base_url,
    )  # fmt: skip
    trail.append(
        db, actor=user.login, action="launch", object_type="campaign", object_id=str(campaign.campaign_id),
        details={"run_id": run_id, "created": summary.created, "updated": summary.updated,
                 "establishments": sorted(summary.by_establishment)},
    )  # fmt: skip
    return RedirectResponse("/campagnes", status_code=303)
