"""Account administration in the browser: list the accounts of one's establishment, disable, unlock.
Creation stays on the command line (`parcours users add`), where the TOTP secret is handed over."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from parcours.accounts import service
from parcours.accounts.models import User
from parcours.accounts.roles import Role
from parcours.controls import trail
from parcours.errors import Conflict, NotFound
from parcours.web.deps import DbSession, get_by_id, require_roles
from parcours.web.navigation import NavItem
from parcours.web.rendering import render

router = APIRouter(prefix="/admin/comptes")
Admin = Annotated[User, Depends(require_roles(Role.ADMIN))]

NAV = [NavItem("Comptes", "/admin/comptes", frozenset({Role.ADMIN}), order=95)]


def _account_in_scope(db: DbSession, admin: User, user_id: int) -> User:
    """The account, if the admin may manage it (`service.may_manage`); any other answers 404 so that
    its existence does not leak, as for every object out of scope."""
    target = get_by_id(db, User, user_id)
    if target is None or not service.may_manage(admin, target):
        raise NotFound("Compte introuvable.")
    return target


@router.get("")
def accounts_page(request: Request, db: DbSession, user: Admin) -> Response:
    # Only the accounts the admin may manage: a national account registered in this establishment
    # is out of reach, so it is not listed (with buttons that would answer 404).
    users = [
        u
        for u in service.list_users(db, establishment_id=user.scope.establishment_id)
        if service.may_manage(user, u)
    ]
    return render(request, "accounts/index.html", {"accounts": users})


@router.post("/{user_id}/desactiver")
def disable(request: Request, db: DbSession, user: Admin, user_id: int) -> Response:
    target = _account_in_scope(db, user, user_id)
    if target.user_id == user.user_id:
        raise Conflict("Vous ne pouvez pas désactiver votre propre compte.")
    service.disable_user(db, login=target.login)
    trail.append(
        db, actor=user.login, action="disable", object_type="account", object_id=target.login
    )
    return RedirectResponse("/admin/comptes", status_code=303)


@router.post("/{user_id}/deverrouiller")
def unlock(request: Request, db: DbSession, user: Admin, user_id: int) -> Response:
    target = _account_in_scope(db, user, user_id)
    service.unlock_user(db, login=target.login)
    trail.append(
        db, actor=user.login, action="unlock", object_type="account", object_id=target.login
    )
    return RedirectResponse("/admin/comptes", status_code=303)
