"""`parcours users add|disable|unlock|list` and `parcours serve`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from parcours.accounts import service, totp
from parcours.accounts.demo import DemoAccount
from parcours.accounts.roles import Role
from parcours.cli._shared import migrated_session
from parcours.errors import ParcoursError

users = typer.Typer(help="Comptes de l'application web.", no_args_is_help=True)
console = Console()


def _fail(exc: ParcoursError) -> None:
    console.print(f"[red]{exc}[/red]")
    raise typer.Exit(code=1)


@users.command("add")
def add(
    login: Annotated[str, typer.Option(help="Identifiant de connexion.")],
    role: Annotated[Role, typer.Option(help="Rôle.")],
    establishment: Annotated[str, typer.Option(help="Établissement (establishment_id).")],
    name: Annotated[str, typer.Option(help="Nom affiché.")] = "",
    agency: Annotated[
        str | None, typer.Option(help="Agence (obligatoire pour conseiller et manager).")
    ] = None,
    agent: Annotated[
        str | None, typer.Option(help="agent_id du référentiel, si le compte est un agent.")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Adresse électronique (notifications).")] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Lire le mot de passe sur l'entrée standard.")
    ] = False,
) -> None:
    """Create an account; prints the TOTP secret for the roles that need a second factor."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        with migrated_session() as s:
            user = service.create_user(
                s,
                login=login,
                display_name=name or login,
                role=role,
                establishment_id=establishment,
                agency_id=agency,
                agent_id=agent,
                email=email,
                password=password,
            )
            secret = user.totp_secret
    except ParcoursError as exc:
        _fail(exc)
        return
    console.print(f"Compte [bold]{login}[/bold] créé ({role.value}).")
    if secret:
        console.print(f"Secret TOTP : {secret}")
        console.print(f"URI : {totp.provisioning_uri(secret, login=login)}")


@users.command("disable")
def disable(login: Annotated[str, typer.Argument(help="Identifiant.")]) -> None:
    """Disable an account and end its sessions."""
    try:
        with migrated_session() as s:
            service.disable_user(s, login=login)
    except ParcoursError as exc:
        _fail(exc)
    console.print(f"Compte {login} désactivé.")


@users.command("unlock")
def unlock(login: Annotated[str, typer.Argument(help="Identifiant.")]) -> None:
    """Clear failed attempts and the lock of an account."""
    try:
        with migrated_session() as s:
            service.unlock_user(s, login=login)
    except ParcoursError as exc:
        _fail(exc)
    console.print(f"Compte {login} déverrouillé.")


@users.command("list")
def list_(
    establishment: Annotated[str | None, typer.Option(help="Filtrer par établissement.")] = None,
) -> None:
    """List the accounts."""
    table = Table("identifiant", "rôle", "établissement", "agence", "agent", "TOTP", "état")
    with migrated_session() as s:
        for u in service.list_users(s, establishment_id=establishment):
            state = "désactivé" if u.disabled else ("verrouillé" if u.locked_until else "actif")
            table.add_row(
                u.login,
                u.role,
                u.establishment_id,
                u.agency_id or "",
                u.agent_id or "",
                "oui" if u.totp_secret else "non",
                state,
            )
    console.print(table)


@users.command("demo")
def demo() -> None:
    """Create (or reset) one demo account per role on the imported region and print them."""
    from parcours.accounts.demo import create_demo_accounts

    try:
        with migrated_session() as s:
            accounts = create_demo_accounts(s)
    except ParcoursError as exc:
        _fail(exc)
        return
    console.print(demo_accounts_table(accounts))


def demo_accounts_table(accounts: list[DemoAccount]) -> Table:
    """The demo accounts as a table (also printed by `parcours demo`)."""
    table = Table(
        "rôle",
        "identifiant",
        "mot de passe",
        "agence",
        "secret TOTP (code actuel)",
        title="Comptes de démonstration",
    )
    for a in accounts:
        code = f"{a.totp_secret} ({totp.current_code(a.totp_secret)})" if a.totp_secret else "—"
        table.add_row(a.role.value, a.login, a.password, a.agency_id or a.establishment_id, code)
    return table


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")
