"""Assigning a control: a choice among the accounts that may handle it, checked again on the server.

The form used to be a free text field: any string was stored as the assignee (a typo, an agent id, the
login of someone of another establishment or without the right role), and reminders went nowhere or to
the wrong person. It is now a select of the enabled manager, correspondent and national accounts whose
scope lies within the assigner's and who may open this very control (in its scope, not the agent it
concerns); anything else is refused with 422 and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts import service as accounts
from parcours.accounts.roles import Role
from parcours.controls.models import Control
from parcours.db import session_scope
from parcours.web.testing import World, csrf_token_of, open_control_about, shared_password_hash

NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
CONCERNED = "AG-0002"  # the agent the control is about: a counsellor of agency AG-A1


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def _account(engine: Engine, login: str, role: Role, *, agency: str | None, agent: str | None,
             establishment: str = "DR-A", disabled: bool = False) -> None:  # fmt: skip
    with session_scope(engine) as s:
        accounts.create_user(
            s, login=login, display_name=login, role=role, establishment_id=establishment,
            agency_id=agency, agent_id=agent, password=None, password_hash=shared_password_hash(),
        )  # fmt: skip
        if disabled:
            accounts.disable_user(s, login=login)


@pytest.fixture
def control_id(engine: Engine, world: World) -> int:
    """An open control about AG-0002 (agency AG-A1), plus accounts that must not be offered."""
    _account(engine, "manager-a2", Role.MANAGER, agency="AG-A2", agent=None)  # another agency
    _account(engine, "manager-parti", Role.MANAGER, agency="AG-A1", agent=None, disabled=True)
    _account(engine, "manager-concerne", Role.MANAGER, agency="AG-A1", agent=CONCERNED)
    _account(engine, "corr-b", Role.CORRESPONDANT, agency=None, agent=None, establishment="DR-B")
    return open_control_about(engine, agent_id=CONCERNED, de_id=world.de_same_agency, now=NOW)


def _assignee(engine: Engine, control_id: int) -> str | None:
    with session_scope(engine) as s:
        control = s.get(Control, control_id)
        assert control is not None
        return control.assignee


def _offered(c: TestClient, control_id: int) -> set[str]:
    page = c.get(f"/alertes/{control_id}")
    assert page.status_code == 200
    select = re.search(r'<select[^>]*name="assignee".*?</select>', page.text, re.S)
    assert select, "the assignment form offers a list"
    return set(re.findall(r'<option value="([^"]+)"', select.group(0)))


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        (Role.CORRESPONDANT, {"test-manager", "test-correspondant"}),
        (Role.MANAGER, {"test-manager"}),
        (Role.NATIONAL, {"test-manager", "test-correspondant", "test-national"}),
    ],
)
def test_the_form_offers_only_the_accounts_that_may_handle_the_control(
    client_as: Callable[[Role], TestClient], control_id: int, role: Role, offered: set[str]
) -> None:
    assert _offered(client_as(role), control_id) == offered


@pytest.mark.parametrize(
    "assignee",
    [
        "quelqu'un",  # free text
        "",  # nothing chosen
        "AG-0003",  # an agent id, not an account
        "test-conseiller",  # an account without an alert role
        "manager-a2",  # a manager of another agency: cannot open the control
        "manager-parti",  # a disabled account
        "manager-concerne",  # the agent the control is about
        "corr-b",  # another establishment
        "test-national",  # beyond the correspondent's scope
        "x" * 500,
    ],
)
def test_anything_but_an_offered_account_is_refused(
    client_as: Callable[[Role], TestClient], engine: Engine, control_id: int, assignee: str
) -> None:
    c = client_as(Role.CORRESPONDANT)
    r = c.post(
        f"/alertes/{control_id}/assigner",
        data={"assignee": assignee, "csrf_token": csrf_token_of(c)},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "choisissez un compte dans la liste" in r.text or "incomplète ou invalide" in r.text
    assert _assignee(engine, control_id) is None


def test_an_offered_account_is_assigned_and_traced(
    client_as: Callable[[Role], TestClient], engine: Engine, control_id: int
) -> None:
    c = client_as(Role.CORRESPONDANT)
    r = c.post(
        f"/alertes/{control_id}/assigner",
        data={"assignee": " test-manager ", "csrf_token": csrf_token_of(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _assignee(engine, control_id) == "test-manager"
    page = c.get(f"/alertes/{control_id}").text
    assert re.search(r'<option value="test-manager" selected>', page)
