"""Permission rules of the web shell's own routes (see RouteRule in parcours.web.testing)."""

from __future__ import annotations

from parcours.accounts import service
from parcours.accounts.roles import ROLES_READING_FILES, Role
from parcours.web.testing import MatrixContext, RouteRule, csrf_token_of, shared_password_hash

ALL = frozenset(Role)
NATIONAL = frozenset({Role.NATIONAL})
ADMIN = frozenset({Role.ADMIN})


def _readable_file(ctx: MatrixContext) -> dict[str, str]:
    """A file the role may open: its own relation where it has one, else after declaring a purpose."""
    w = ctx.world
    if ctx.role is Role.CONSEILLER:
        return {"de_id": w.de_portfolio}
    if ctx.role is Role.MANAGER:
        return {"de_id": w.de_same_agency}
    if ctx.role is not None and ctx.role in ROLES_READING_FILES:
        token = csrf_token_of(ctx.client)
        r = ctx.client.post(
            f"/dossiers/{w.de_portfolio}/motif",
            data={
                "choice": "Contrôle d'une alerte de détournement de finalités",
                "detail": "matrice",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    return {"de_id": w.de_portfolio}


def _other_file(ctx: MatrixContext) -> dict[str, str]:
    return {"de_id": ctx.world.de_other_scope}


def _victim(ctx: MatrixContext) -> dict[str, str]:
    """A fresh account of the admin's establishment (disabling it must not disturb other checks)."""
    n = ctx.session.query(service.User).count()
    u = service.create_user(
        ctx.session,
        login=f"victime-{n}",
        display_name="Victime",
        role=Role.CSE,
        establishment_id="DR-A",
        password=None,
        password_hash=shared_password_hash(),
    )
    return {"user_id": str(u.user_id)}


def _other_account(ctx: MatrixContext) -> dict[str, str]:
    return {"user_id": str(ctx.world.other_scope_user_id)}


RULES: list[RouteRule] = [
    RouteRule("GET", "/healthz", roles=None),
    RouteRule("GET", "/connexion", roles=None, ok=frozenset({200, 303})),
    RouteRule(
        "POST",
        "/connexion",
        roles=None,
        ok=frozenset({401}),
        form=lambda ctx: {"login": "nobody", "password": "wrong"},
    ),
    RouteRule("GET", "/connexion/code", roles=None, ok=frozenset({303})),
    RouteRule(
        "POST",
        "/connexion/code",
        roles=None,
        ok=frozenset({303}),
        form=lambda ctx: {"code": "000000"},
    ),
    RouteRule("POST", "/deconnexion", roles=None, ok=frozenset({303})),
    RouteRule("GET", "/", roles=ALL),
    RouteRule("GET", "/compte/mot-de-passe", roles=ALL),
    # A wrong current password: the form comes back (422) and the session survives for later checks.
    RouteRule(
        "POST",
        "/compte/mot-de-passe",
        roles=ALL,
        ok=frozenset({422}),
        form=lambda ctx: {"current": "wrong", "new": "x", "confirmation": "x"},
    ),
    RouteRule("GET", "/dossiers", roles=ROLES_READING_FILES),
    RouteRule(
        "GET",
        "/dossiers/{de_id}",
        roles=ROLES_READING_FILES,
        params=_readable_file,
        other_scope=_other_file,
        other_scope_status=303,
    ),
    RouteRule(
        "GET",
        "/dossiers/{de_id}/impression",
        roles=ROLES_READING_FILES,
        params=_readable_file,
        other_scope=_other_file,
        other_scope_status=303,
    ),
    RouteRule(
        "GET",
        "/dossiers/{de_id}/export",
        roles=ROLES_READING_FILES,
        params=_readable_file,
        other_scope=_other_file,
        other_scope_status=303,
    ),
    RouteRule("GET", "/dossiers/{de_id}/motif", roles=ROLES_READING_FILES, params=_other_file),
    RouteRule(
        "POST",
        "/dossiers/{de_id}/motif",
        roles=ROLES_READING_FILES,
        params=_other_file,
        ok=frozenset({303}),
        form=lambda ctx: {"choice": "Appel 3949 — demande de la personne"},
    ),
    RouteRule("GET", "/controle/journal", roles=NATIONAL),
    RouteRule("GET", "/controle/journal/export.csv", roles=NATIONAL),
    RouteRule("GET", "/admin/comptes", roles=ADMIN),
    RouteRule(
        "POST",
        "/admin/comptes/{user_id}/desactiver",
        roles=ADMIN,
        params=_victim,
        other_scope=_other_account,
        ok=frozenset({303}),
    ),
    RouteRule(
        "POST",
        "/admin/comptes/{user_id}/deverrouiller",
        roles=ADMIN,
        params=_victim,
        other_scope=_other_account,
        ok=frozenset({303}),
    ),
]
