"""The home page: what this user may do, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from parcours.web.deps import CurrentUser
from parcours.web.rendering import render

router = APIRouter()


@router.get("/")
def home(request: Request, user: CurrentUser) -> Response:
    return render(request, "home/index.html", {"scope": user.scope})
