"""Conflict of interest: nobody handles a control about themselves (parcours.controls.queries.may_act_on).

The world's manager (`test-manager`) is agent AG-0003 of agency AG-A1. A control about AG-0003 must be,
for them, out of reach like one of another scope (404 on the page and every action, absent from their
inbox), while the establishment keeps it: the regional correspondent and another manager of the agency
still see and handle it, and the agent concerned still sees it among their own controls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts import service as accounts
from parcours.accounts.roles import Role
from parcours.controls.models import Control
from parcours.db import session_scope
from parcours.web.testing import (
    TEST_PASSWORD,
    World,
    csrf_token_of,
    login,
    open_control_about,
    shared_password_hash,
)
from parcours.web.testing import TestAccount as Account  # aliased: not a test class

NOW = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
MANAGER_AGENT = "AG-0003"  # the agent the world's manager account is
COLLEAGUE = "AG-0002"  # another agent of the same agency


def _control_about(engine: Engine, agent_id: str, de_id: str) -> int:
    """An open control (pre-examination) about `agent_id` on the file `de_id` (an open control on the
    same agent × file would be updated, not duplicated: pass another file for a second one)."""
    return open_control_about(engine, agent_id=agent_id, de_id=de_id, now=NOW)


def _control(engine: Engine, control_id: int) -> Control:
    with session_scope(engine) as s:
        control = s.get(Control, control_id)
        assert control is not None
        s.expunge(control)
        return control


def _close_false_positive(c: TestClient, engine: Engine, control_id: int) -> int:
    return c.post(
        f"/alertes/{control_id}/etape/close_false_positive",
        data={
            "version": str(_control(engine, control_id).version),
            "fp_reason": "management_supervision",
            "fp_comment": "Clôture de sa propre alerte",
            "csrf_token": csrf_token_of(c),
        },
        follow_redirects=False,
    ).status_code


def _second_manager(engine: Engine) -> Account:
    """Another manager of agency AG-A1 (agent AG-0001), logged in through the real routes."""
    with session_scope(engine) as s:
        user = accounts.create_user(
            s, login="test-manager-2", display_name="Second manager", role=Role.MANAGER,
            establishment_id="DR-A", agency_id="AG-A1", agent_id="AG-0001", password=None,
            password_hash=shared_password_hash(),
        )  # fmt: skip
        return Account(user.login, TEST_PASSWORD, Role.MANAGER, user.totp_secret, user.user_id)


def test_manager_cannot_open_or_close_a_control_about_themselves(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    own = _control_about(engine, MANAGER_AGENT, world.de_same_agency)
    colleague = _control_about(engine, COLLEAGUE, world.de_same_agency)
    manager = client_as(Role.MANAGER)

    assert manager.get(f"/alertes/{own}").status_code == 404
    assert _close_false_positive(manager, engine, own) == 404
    token = csrf_token_of(manager)
    for path, form in [
        (f"/alertes/{own}/etape/schedule_interview", {"pre_examination_notes": "rien"}),
        (f"/alertes/{own}/assigner", {"assignee": "test-correspondant"}),
        (f"/alertes/{own}/commentaire", {"body": "Un commentaire"}),
        (f"/alertes/{own}/compte-rendu", {"outcome": "not_proven", "justification": "j"}),
    ]:
        r = manager.post(path, data=form | {"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 404, path
    assert manager.get(f"/alertes/{own}/compte-rendu.pdf").status_code == 404
    control = _control(engine, own)
    assert (control.state, control.outcome, control.assignee) == ("pre_examination", None, None)

    # The inbox leaves it out, whatever the state filter, but still lists the colleague's control.
    for etat in ("open", "pre_examination", "all"):
        inbox = manager.get(f"/alertes?etat={etat}").text
        assert f'href="/alertes/{own}"' not in inbox, etat
        assert f'href="/alertes/{colleague}"' in inbox, etat
    # The agent concerned still sees it as theirs.
    assert f'href="/mes-controles/{own}"' in manager.get("/mes-controles").text
    assert manager.get(f"/mes-controles/{own}").status_code == 200


def test_the_establishment_still_handles_a_control_about_its_manager(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    closed_by_correspondent = _control_about(engine, MANAGER_AGENT, world.de_same_agency)
    handled_by_colleague = _control_about(engine, MANAGER_AGENT, world.de_portfolio)

    correspondent = client_as(Role.CORRESPONDANT)
    assert f'href="/alertes/{closed_by_correspondent}"' in correspondent.get("/alertes").text
    assert correspondent.get(f"/alertes/{closed_by_correspondent}").status_code == 200
    assert _close_false_positive(correspondent, engine, closed_by_correspondent) == 303
    control = _control(engine, closed_by_correspondent)
    assert (control.state, control.outcome) == ("closed", "false_positive")

    other_manager = TestClient(correspondent.app)
    try:
        login(other_manager, _second_manager(engine), engine=engine)
        assert f'href="/alertes/{handled_by_colleague}"' in other_manager.get("/alertes").text
        assert other_manager.get(f"/alertes/{handled_by_colleague}").status_code == 200
        r = other_manager.post(
            f"/alertes/{handled_by_colleague}/etape/schedule_interview",
            data={"pre_examination_notes": "Vérifié", "csrf_token": csrf_token_of(other_manager)},
            follow_redirects=False,
        )
        assert r.status_code == 303
    finally:
        other_manager.close()
    assert _control(engine, handled_by_colleague).state == "interview"
    assert client_as(Role.NATIONAL).get(f"/alertes/{handled_by_colleague}").status_code == 200


def test_a_control_is_not_assignable_to_the_agent_it_concerns(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    own = _control_about(engine, MANAGER_AGENT, world.de_same_agency)
    correspondent = client_as(Role.CORRESPONDANT)
    token = csrf_token_of(correspondent)
    # By the login of their account, or by their agent id typed by hand.
    for assignee in ("test-manager", MANAGER_AGENT):
        r = correspondent.post(
            f"/alertes/{own}/assigner",
            data={"assignee": assignee, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 422, assignee
        assert "ne peut pas être assigné" in r.text
    assert _control(engine, own).assignee is None
    r = correspondent.post(
        f"/alertes/{own}/assigner",
        data={"assignee": "test-correspondant", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _control(engine, own).assignee == "test-correspondant"
