"""The authenticated ingestion endpoint of the in-flow detection: an application posts consultation events
(the interchange contract's columns, as CSV or JSON); they are written atomically into the inbox, where
the watcher imports them and raises alerts within minutes. Nothing is parsed into the log here: one
path imports consultations (validation, rejects, deduplication), whatever brought them."""

from __future__ import annotations

import csv
import hmac
import io
import json
import os
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from parcours.config import get_settings
from parcours.consultlog.schema import CONTRACT_COLUMNS
from parcours.errors import Forbidden, InvalidInput, NotAuthenticated

router = APIRouter(prefix="/api/ingestion")
MAX_EVENTS = 100_000


def _check_token(request: Request) -> None:
    expected = get_settings().ingest_token
    if not expected:
        raise Forbidden("Ingestion disabled: set PARCOURS_INGEST_TOKEN to enable it.")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAuthenticated("Missing or wrong bearer token.")


def _text(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"le contenu n'est pas du texte UTF-8 (octet {exc.start})") from None


def _rows(body: bytes, content_type: str) -> list[list[str]]:
    if content_type.startswith("application/json"):
        try:
            events = json.loads(_text(body, "utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"JSON invalide : {exc}") from exc
        except RecursionError:  # nesting deeper than the parser's stack: not a list of events
            raise InvalidInput("JSON invalide : imbrication trop profonde") from None
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise InvalidInput("attendu : une liste d'objets")
        for i, e in enumerate(events, start=1):
            if set(e) != set(CONTRACT_COLUMNS):
                raise InvalidInput(
                    f"événement {i} : colonnes attendues {', '.join(CONTRACT_COLUMNS)}"
                )
        return [[str(e[c]) if e[c] is not None else "" for c in CONTRACT_COLUMNS] for e in events]
    text = _text(body, "utf-8")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != CONTRACT_COLUMNS:
            raise InvalidInput(f"en-tête attendu : {','.join(CONTRACT_COLUMNS)}")
        return list(reader)
    except csv.Error as exc:  # e.g. a field beyond the csv module's size limit
        raise InvalidInput(f"CSV illisible ligne {reader.line_num} : {exc}") from None


@router.post("/consultations")
async def ingest(request: Request) -> Response:
    _check_token(request)
    rows = _rows(await request.body(), request.headers.get("content-type", "text/csv"))
    if len(rows) > MAX_EVENTS:
        raise InvalidInput(f"au plus {MAX_EVENTS} événements par envoi")
    inbox = get_settings().inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    name = f"api-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.csv"
    tmp = inbox / f".{name}.tmp"  # hidden and not .csv: the watcher ignores it until the rename
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CONTRACT_COLUMNS)
        w.writerows(rows)
    os.replace(tmp, inbox / name)
    return JSONResponse({"accepted": len(rows), "file": name}, status_code=202)
