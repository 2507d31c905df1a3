"""An administrator manages only accounts whose whole scope lies within their own
(parcours.accounts.service.may_manage): the national team's accounts, registered in some establishment
but reaching all of them, are out of an establishment administrator's reach (404, not listed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from parcours.accounts import service
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.db import session_scope
from parcours.web.testing import World, csrf_token_of, shared_password_hash


def _user(engine: Engine, user_id: int) -> User:
    with session_scope(engine) as s:
        user = s.get(User, user_id)
        assert user is not None
        s.expunge(user)
        return user


def _post(c: TestClient, user_id: int, action: str) -> int:
    return c.post(
        f"/admin/comptes/{user_id}/{action}",
        data={"csrf_token": csrf_token_of(c)},
        follow_redirects=False,
    ).status_code


def test_establishment_admin_cannot_manage_a_national_account(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    national_id = world.accounts[Role.NATIONAL].user_id  # registered in DR-A, the admin's own
    national = client_as(Role.NATIONAL)
    with session_scope(engine) as s:
        locked = s.get(User, national_id)
        assert locked is not None
        locked.failed_attempts = 4  # so that "deverrouiller" would have something to reset
    admin = client_as(Role.ADMIN)

    page = admin.get("/admin/comptes").text
    assert "test-national" not in page and f"/admin/comptes/{national_id}/" not in page
    assert "test-correspondant" in page
    assert _post(admin, national_id, "desactiver") == 404
    assert _post(admin, national_id, "deverrouiller") == 404
    after = _user(engine, national_id)
    assert not after.disabled and after.failed_attempts == 4
    # Its live session goes on.
    assert national.get("/controle/journal", follow_redirects=False).status_code == 200


def test_establishment_admin_still_manages_the_establishment_accounts(
    client_as: Callable[[Role], TestClient], world: World, engine: Engine
) -> None:
    admin = client_as(Role.ADMIN)
    for role in (Role.CONSEILLER, Role.CORRESPONDANT):
        target = world.accounts[role].user_id
        assert f"/admin/comptes/{target}/desactiver" in admin.get("/admin/comptes").text
        assert _post(admin, target, "deverrouiller") == 303
        assert _post(admin, target, "desactiver") == 303
        assert _user(engine, target).disabled


@pytest.mark.parametrize(
    ("role", "establishment_id", "agency_id", "manageable"),
    [
        (Role.CONSEILLER, "DR-A", "AG-A1", True),
        (Role.MANAGER, "DR-A", "AG-A2", True),
        (Role.CORRESPONDANT, "DR-A", None, True),
        (Role.CSE, "DR-A", None, True),
        (Role.ADMIN, "DR-A", None, True),
        (Role.NATIONAL, "DR-A", None, False),
        (Role.NATIONAL, "DR-B", None, False),
        (Role.CONSEILLER, "DR-B", "AG-B1", False),
        (Role.ADMIN, "DR-B", None, False),
    ],
)
def test_may_manage_only_accounts_within_the_admins_scope(
    engine: Engine,
    world: World,
    role: Role,
    establishment_id: str,
    agency_id: str | None,
    manageable: bool,
) -> None:
    with session_scope(engine) as s:
        admin = s.get(User, world.accounts[Role.ADMIN].user_id)
        assert admin is not None
        target = service.create_user(
            s, login=f"cible-{role.value}-{establishment_id}", display_name="Cible", role=role,
            establishment_id=establishment_id, agency_id=agency_id, password=None,
            password_hash=shared_password_hash(),
        )  # fmt: skip
        assert service.may_manage(admin, target) is manageable
        # A national administrator (scope: everything) manages every one of them.
        everything = User(role=Role.NATIONAL.value, establishment_id="DR-A", agency_id=None)
        assert service.may_manage(everything, target)
