"""The job-seeker file: searching logs nothing, every opening logs one event, out of scope needs a purpose."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from parcours.accounts.dossier import CONTROL_PURPOSE, PurposeRequired, file_relation, open_file
from parcours.accounts.models import User
from parcours.accounts.roles import ROLES_HANDLING_ALERTS, Role
from parcours.config import get_settings
from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.store import ConsultLog
from parcours.db import get_engine
from parcours.errors import Forbidden, NotFound
from parcours.web.testing import World, csrf_token_of


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def _events() -> list[dict[str, object]]:
    """The application's events once flushed from the database to the Parquet log."""
    log = ConsultLog(get_settings().log_dir)
    flush_buffer(get_engine(), log)
    return log.events_for(limit=100)


def test_search_lists_without_logging(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    c = client_as(Role.CONSEILLER)
    r = c.get("/dossiers", params={"q": "durand"})
    assert r.status_code == 200
    assert world.de_portfolio in r.text and world.de_same_agency in r.text
    assert "dans votre périmètre" in r.text and "motif requis" in r.text
    assert _events() == []


def test_search_serves_a_fragment_to_htmx(client_as: Callable[[Role], TestClient]) -> None:
    c = client_as(Role.CONSEILLER)
    full = c.get("/dossiers", params={"q": "durand"})
    frag = c.get("/dossiers", params={"q": "durand"}, headers={"HX-Request": "true"})
    assert full.headers["vary"] == frag.headers["vary"] == "HX-Request"
    assert "<html" in full.text and "<html" not in frag.text
    assert "DE-A1-001" in frag.text and "<table>" in frag.text


def test_opening_in_scope_logs_one_view(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    c = client_as(Role.CONSEILLER)
    r = c.get(f"/dossiers/{world.de_portfolio}")
    assert r.status_code == 200 and "dossier de votre portefeuille" in r.text
    assert "Appels 3949 (1)" in r.text and "Tâches (1)" in r.text
    (event,) = _events()
    assert event["agent_id"] == world.counsellor_agent and event["de_id"] == world.de_portfolio
    assert (
        event["action"] == "view"
        and event["application"] == "PARCOURS"
        and event["source"] == "app"
    )
    assert event["purpose"] is None


def test_appointment_puts_a_file_in_scope(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    c = client_as(Role.CONSEILLER)
    r = c.get(f"/dossiers/{world.de_appointment}")
    assert r.status_code == 200 and "rendez-vous avec vous" in r.text
    # the appointment's status in French, not the interchange code
    assert "<td>tenu</td>" in r.text and "<td>done</td>" not in r.text


def test_out_of_scope_asks_a_purpose_then_logs_it(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    c = client_as(Role.CONSEILLER)
    r = c.get(f"/dossiers/{world.de_other_scope}", follow_redirects=False)
    assert r.status_code == 303
    assert (
        r.headers["location"]
        == f"/dossiers/{world.de_other_scope}/motif?suite=/dossiers/{world.de_other_scope}"
    )
    assert _events() == []  # nothing shown, nothing logged
    form = c.get(r.headers["location"])
    assert "MOREAU" not in form.text  # the purpose form shows no data of the file
    bad = c.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={"choice": "Autre", "detail": "", "csrf_token": csrf_token_of(c)},
    )
    assert bad.status_code == 422
    r = c.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={
            "choice": "Appel 3949 — la téléphonie a fait remonter le mauvais dossier",
            "detail": "appel de 10h12",
            "csrf_token": csrf_token_of(c),
            "suite": f"/dossiers/{world.de_other_scope}",
        },
    )
    assert r.status_code == 200 and "MOREAU" in r.text and "motif déclaré" in r.text
    c.get(f"/dossiers/{world.de_other_scope}/impression")
    export = c.get(f"/dossiers/{world.de_other_scope}/export")
    assert export.json()["de_id"] == world.de_other_scope
    events = sorted(_events(), key=lambda e: str(e["ts"]))
    assert [e["action"] for e in events] == ["view", "print", "export"]
    for e in events:
        assert (
            e["purpose"]
            == "Appel 3949 — la téléphonie a fait remonter le mauvais dossier — appel de 10h12"
        )


@pytest.mark.parametrize(
    ("role", "choice", "detail", "refused"),
    [
        # Old code: ten zero-width spaces passed "at least 10 characters", and the invisible purpose
        # was stored with the events (a declared purpose explains a consultation).
        (Role.CONSEILLER, "Autre", "\u200b" * 10, "au moins 10 caractères"),
        (Role.CONSEILLER, "Autre", " \u200d\u2060\ufeff" * 4, "au moins 10 caractères"),
        # Old code: 100,000 characters were stored and copied into every event of the file.
        (
            Role.CONSEILLER,
            "Accueil en agence sans rendez-vous",
            "x" * 501,
            "500 caractères au plus",
        ),
        # Old code: a counsellor, who handles no alert, could pass a consultation off as a control.
        (Role.CONSEILLER, CONTROL_PURPOSE, "", "Choisissez un motif dans la liste"),
    ],
)
def test_a_purpose_says_something_and_is_one_the_role_may_declare(
    client_as: Callable[[Role], TestClient],
    world: World,
    role: Role,
    choice: str,
    detail: str,
    refused: str,
) -> None:
    c = client_as(role)
    form = c.get(f"/dossiers/{world.de_other_scope}/motif")
    assert (CONTROL_PURPOSE in html.unescape(form.text)) == (role in ROLES_HANDLING_ALERTS)
    r = c.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={"choice": choice, "detail": detail, "csrf_token": csrf_token_of(c)},
        follow_redirects=False,
    )
    assert r.status_code == 422 and refused in html.unescape(r.text)
    assert _events() == []


def test_the_roles_that_handle_alerts_may_declare_a_control(
    client_as: Callable[[Role], TestClient], world: World
) -> None:
    c = client_as(Role.MANAGER)
    assert CONTROL_PURPOSE in html.unescape(c.get(f"/dossiers/{world.de_other_scope}/motif").text)
    r = c.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={"choice": CONTROL_PURPOSE, "detail": "", "csrf_token": csrf_token_of(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_purpose_is_per_session(client_as: Callable[[Role], TestClient], world: World) -> None:
    a = client_as(Role.CONSEILLER)
    a.post(
        f"/dossiers/{world.de_other_scope}/motif",
        data={"choice": "Accueil en agence sans rendez-vous", "csrf_token": csrf_token_of(a)},
    )
    b = client_as(Role.MANAGER)
    assert b.get(f"/dossiers/{world.de_other_scope}", follow_redirects=False).status_code == 303


def test_unknown_file_is_404(client_as: Callable[[Role], TestClient]) -> None:
    c = client_as(Role.CONSEILLER)
    assert c.get("/dossiers/DE-NOPE", follow_redirects=False).status_code == 404


def test_open_file_service_rules(engine: Engine, world: World, tmp_path: Path) -> None:
    log = ConsultLog(tmp_path / "log")
    with Session(engine) as s:
        cse = s.query(User).filter_by(login=world.accounts[Role.CSE].login).one()
        counsellor = s.query(User).filter_by(login=world.accounts[Role.CONSEILLER].login).one()
        national = s.query(User).filter_by(login=world.accounts[Role.NATIONAL].login).one()
        with pytest.raises(Forbidden):
            open_file(s, cse, world.de_portfolio, action="view")
        with pytest.raises(NotFound):
            open_file(s, counsellor, "DE-NOPE", action="view")
        with pytest.raises(PurposeRequired):
            open_file(s, national, world.de_portfolio, action="view")
        assert file_relation(s, user=counsellor, de_id=world.de_same_agency) is None
        view = open_file(
            s,
            national,
            world.de_portfolio,
            action="edit",
            purpose="Contrôle",
            context="alerte 12",
        )
        assert view.referent is not None and view.referent.agent_id == world.counsellor_agent
        s.commit()
    assert flush_buffer(engine, log).rows == 1
    (event,) = log.events_for()
    assert event["agent_id"] == f"compte:{world.accounts[Role.NATIONAL].login}"
    assert event["purpose"] == "Contrôle; contexte : alerte 12" and event["action"] == "edit"


def test_cse_never_sees_a_person(client_as: Callable[[Role], TestClient], world: World) -> None:
    c = client_as(Role.CSE)
    assert c.get("/dossiers", params={"q": "durand"}).status_code == 403
    assert c.get(f"/dossiers/{world.de_portfolio}").status_code == 403
    assert "Dossiers" not in c.get("/").text  # not even in the menu


def test_bulk_scope_agrees_with_file_relation(engine: Engine, world: World) -> None:
    from parcours.accounts.dossier import related_files

    everyone = [
        world.de_portfolio,
        world.de_same_agency,
        world.de_appointment,
        world.de_other_scope,
    ]
    with Session(engine) as s:
        for role in Role:
            user = s.query(User).filter_by(login=world.accounts[role].login).one()
            one_by_one = {d for d in everyone if file_relation(s, user=user, de_id=d) is not None}
            assert related_files(s, user=user, de_ids=everyone) == one_by_one, role


def test_query_count_baselines(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    """No N+1: the file view and the results list run a fixed number of queries, whatever the data."""
    from sqlalchemy import event

    from parcours.registry.models import JobSeeker

    c = client_as(Role.CONSEILLER)
    with Session(engine) as s:  # 40 more DURAND: the list must not cost 40 more queries
        s.add_all(
            JobSeeker(
                de_id=f"DE-X-{i}",
                last_name="DURAND",
                first_names="X",
                agency_id="AG-A1",
                referent_agent_id="AG-0002",
            )
            for i in range(40)
        )
        s.commit()
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        c.get(f"/dossiers/{world.de_portfolio}")
        file_view = len(statements)
        statements.clear()
        r = c.get("/dossiers", params={"q": "durand"})
        search = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.text.count("Ouvrir le dossier") == 30
    assert file_view <= 10, file_view
    assert search <= 8, search
