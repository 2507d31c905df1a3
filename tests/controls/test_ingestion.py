from __future__ import annotations

import csv
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.config import get_settings, reset_settings_cache
from parcours.web.app import create_app

HEADER = "event_id,ts,agent_id,de_id,application,action"
CSV_BODY = f"{HEADER}\ne1,2026-01-10T21:30:00,AG1,DE1,AUDE,view\ne2,2026-01-10T21:31:00Z,AG1,DE1,MAP,print\n"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("PARCOURS_INGEST_TOKEN", "s3cret-token-for-tests")
    reset_settings_cache()
    return TestClient(create_app(engine=engine))


def _auth(token: str = "s3cret-token-for-tests") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_csv_events_land_atomically_in_the_inbox(client: TestClient) -> None:
    r = client.post(
        "/api/ingestion/consultations",
        content=CSV_BODY,
        headers=_auth() | {"content-type": "text/csv"},
    )
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 2
    files = [p for p in get_settings().inbox_dir.iterdir() if p.is_file()]
    assert [p.name for p in files] == [r.json()["file"]]
    with files[0].open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert ",".join(rows[0]) == HEADER and [row[0] for row in rows[1:]] == ["e1", "e2"]


def test_json_events_are_accepted(client: TestClient) -> None:
    events = [
        {
            "event_id": "j1",
            "ts": "2026-01-10T08:00:00Z",
            "agent_id": "A",
            "de_id": "D",
            "application": "AUDE",
            "action": "view",
        }
    ]
    r = client.post(
        "/api/ingestion/consultations",
        content=json.dumps(events),
        headers=_auth() | {"content-type": "application/json"},
    )
    assert r.status_code == 202 and r.json()["accepted"] == 1


@pytest.mark.parametrize("token", ["", "wrong"])
def test_missing_or_wrong_token_is_refused_and_nothing_written(
    client: TestClient, token: str
) -> None:
    headers = _auth(token) if token else {}
    r = client.post(
        "/api/ingestion/consultations",
        content=CSV_BODY,
        headers=headers | {"content-type": "text/csv"},
    )
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    assert not get_settings().inbox_dir.exists() or not any(get_settings().inbox_dir.iterdir())


def test_wrong_header_is_a_422_with_the_expected_columns(client: TestClient) -> None:
    r = client.post(
        "/api/ingestion/consultations",
        content="id,ts\n1,2\n",
        headers=_auth() | {"content-type": "text/csv"},
    )
    assert r.status_code == 422 and "event_id" in r.text


def test_an_unreadable_csv_is_a_422_and_nothing_written(client: TestClient) -> None:
    """Old code: a field beyond the csv module's limit raised csv.Error, a 500."""
    r = client.post(
        "/api/ingestion/consultations",
        content=f'{HEADER}\ne1,2026-01-10T21:30:00,AG1,DE1,AUDE,"{"x" * 200_000}"\n',
        headers=_auth() | {"content-type": "text/csv"},
    )
    assert r.status_code == 422 and "CSV illisible ligne 2" in r.text, r.text
    assert not get_settings().inbox_dir.exists() or not any(get_settings().inbox_dir.iterdir())


def test_disabled_without_a_configured_token(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARCOURS_INGEST_TOKEN", raising=False)
    reset_settings_cache()
    c = TestClient(create_app(engine=engine))
    assert (
        c.post("/api/ingestion/consultations", content=CSV_BODY, headers=_auth()).status_code == 403
    )
