"""Liveness and readiness: answers without a session, says nothing about people."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from parcours.web.deps import DbSession

router = APIRouter()


@router.get("/healthz")
def healthz(db: DbSession) -> JSONResponse:
    db.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok", "database": "ok"})
