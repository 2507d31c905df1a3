"""The watchers' trail, for the national data-protection team: entries, chain verification, CSV export.
Exporting the trail is itself recorded in the trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.controls import trail
from parcours.web.deps import MAX_ROW_ID, DbSession, require_roles
from parcours.web.navigation import NavItem
from parcours.web.rendering import attachment, render

router = APIRouter(prefix="/controle/journal")
NationalTeam = Annotated[User, Depends(require_roles(Role.NATIONAL))]

NAV = [NavItem("Journal des accès", "/controle/journal", frozenset({Role.NATIONAL}), order=90)]


@router.get("")
def trail_page(
    request: Request,
    db: DbSession,
    user: NationalTeam,
    # A cursor (an entry's number): beyond the column's range it names no entry and overflowed the driver.
    avant: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    type: str = "",
    acteur: str = "",
) -> Response:
    rows = trail.entries(
        db, limit=100, before_seq=avant, object_type=type or None, actor=acteur or None
    )
    problems = trail.verify(db)
    response = render(
        request,
        "trail/index.html",
        {
            "rows": rows,
            "problems": problems,
            "head": trail.head(db),
            "filters": {"type": type, "acteur": acteur},
            "next_before": rows[-1].seq if len(rows) == 100 else None,
        },
        fragment="entries",
    )
    # Reading the trail (whose accesses, which actor) is itself a watcher's access.
    trail.append(
        db, actor=user.login, action="list", object_type="trail", object_id="entries",
        details={"type": type, "acteur": acteur, "avant": avant},
    )  # fmt: skip
    return response


@router.get("/export.csv")
def trail_export(request: Request, db: DbSession, user: NationalTeam) -> Response:
    body = trail.export_csv(db)
    trail.append(
        db,
        actor=user.login,
        action="export",
        object_type="trail",
        object_id="all",
        details={"format": "csv"},
    )
    return attachment(body, "journal-acces.csv")
