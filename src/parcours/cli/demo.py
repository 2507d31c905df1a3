"""`parcours demo`: the main job on the embedded defaults, from nothing to a running application.

Creates the deployment under PARCOURS_HOME (SQLite + DuckDB), generates the demo region once, imports it
(idempotent: a re-run loads nothing twice), runs detection and dispatches its alerts, creates one account
per role, prints them, then serves the web application.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from parcours.accounts.demo import DemoAccount
from parcours.config import get_settings

console = Console()

DEMO_SEED = 42


def demo(
    seed: Annotated[int, typer.Option(help="Graine de la région de démonstration.")] = DEMO_SEED,
    serve: Annotated[bool, typer.Option(help="Lancer l'application web à la fin.")] = True,
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Déploiement embarqué de démonstration : région générée, import, détection, comptes, application web."""
    from parcours.accounts.demo import create_demo_accounts
    from parcours.db import get_engine, session_scope
    from parcours.registry.importer import import_directory
    from parcours.synth.generator import generate

    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    data = settings.home / "demo-data"
    console.rule(f"[bold]Parcours — démonstration dans {settings.home.resolve()}")
    if not (data / "truth_meta.json").exists():
        console.print("1/5 Génération de la région de démonstration…")
        generate(scale="demo", seed=seed, out=data, progress=True)
    else:
        console.print(f"1/5 Région de démonstration déjà générée ({data}).")
    console.print("2/5 Import (idempotent)…")
    summary = import_directory(data, settings=settings, progress=True)
    if not summary.ok:
        console.print(
            f"[red]{summary.rows_rejected} lignes rejetées (voir {settings.rejects_dir})."
        )
        raise typer.Exit(1)
    console.print("3/5 Comptes de démonstration…")
    with session_scope(get_engine()) as session:
        accounts = create_demo_accounts(session)
    console.print("4/5 Détection et envoi des contrôles aux établissements…")
    _run_pipeline(data)
    console.print("5/5 Entretiens d'orientation et baromètre interne…")
    _orientation_interviews()
    from parcours.barometer.demo import load_demo_barometer

    console.print(f"   baromètre interne : {load_demo_barometer(settings.home)}")
    _print_accounts(accounts)
    if serve:
        from parcours.cli.serve import serve as serve_command

        console.print(f"Application : http://{host}:{port}/  (Ctrl+C pour arrêter)")
        serve_command(host=host, port=port, workers=1)


def _orientation_interviews() -> None:
    """A month of orientation interviews under the law (from January 2025: the rules apply from then),
    proposals and counsellors' decisions, once."""
    from datetime import date

    from sqlalchemy import func, select

    from parcours.db import session_scope
    from parcours.orientation.models import OrientationInterview
    from parcours.orientation.synth import synthesize_interviews

    with session_scope() as session:
        if session.scalar(select(func.count()).select_from(OrientationInterview)):
            console.print("   entretiens d'orientation déjà générés.")
            return
        summary = synthesize_interviews(
            session, start=date(2025, 4, 1), end=date(2025, 4, 30), per_day=40
        )
    console.print(
        f"   {summary.interviews} entretiens d'orientation, {summary.decisions} décisions dont "
        f"{summary.changed} proposition(s) modifiée(s) par le conseiller."
    )


def _run_pipeline(data: Path) -> None:
    """Detection over the generated period, then dispatch of its alerts (once: a re-run finds the
    campaign already launched and leaves the controls as the demo users left them)."""
    import json
    from datetime import date

    from sqlalchemy import select

    from parcours.audit.scenario import load_scenarios
    from parcours.controls.campaigns import launch_detection_campaign
    from parcours.controls.models import Campaign
    from parcours.db import session_scope

    period = json.loads((data / "truth_meta.json").read_text(encoding="utf-8"))["period"]
    start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    name = f"Démonstration — vague du {start:%d/%m/%Y} au {end:%d/%m/%Y}"
    with session_scope() as session:
        if session.scalar(select(Campaign.campaign_id).where(Campaign.name == name)) is not None:
            console.print("   campagne de démonstration déjà lancée.")
            return
        _, summary, run_id = launch_detection_campaign(
            session, name=name, start=start, end=end, scenarios=[s.id for s in load_scenarios()],
            levels=["mandatory", "optional"], launched_by="demo", progress=True,
        )  # fmt: skip
    console.print(
        f"   {summary.created} contrôle(s) envoyé(s) à {len(summary.by_establishment)} établissement(s) "
        f"(détection {run_id})."
    )


def _print_accounts(accounts: list[DemoAccount]) -> None:
    # Plain lines, never truncated: the passwords must be copyable whatever the terminal width.
    console.print(
        "[bold]Comptes de démonstration[/bold] (mots de passe renouvelés à chaque lancement) :"
    )
    for a in accounts:
        where = a.establishment_id + (f"/{a.agency_id}" if a.agency_id else "")
        totp = f"  secret TOTP {a.totp_secret}" if a.totp_secret else ""
        console.print(
            f"  {a.login:<20} {a.password}  ({a.role.value}, {where}){totp}", soft_wrap=True
        )
    console.print(
        "Les rôles qui voient les alertes exigent un code TOTP : ajoutez le secret à une application "
        "d'authentification, ou obtenez le code courant avec [bold]parcours demo-code IDENTIFIANT[/bold].",
        soft_wrap=True,
    )


def demo_code(
    login: Annotated[str, typer.Argument(help="Identifiant d'un compte de démonstration.")],
) -> None:
    """Affiche le code TOTP courant d'un compte (mode développement uniquement)."""
    from sqlalchemy import select

    from parcours.accounts.models import User
    from parcours.accounts.totp import current_code
    from parcours.db import get_engine, session_scope

    if get_settings().mode != "development":
        typer.echo("Commande réservée au mode développement.", err=True)
        raise typer.Exit(2)
    with session_scope(get_engine()) as session:
        user = session.scalar(select(User).where(User.login == login))
        if user is None or not user.totp_secret:
            typer.echo(f"Aucun secret TOTP pour {login}.", err=True)
            raise typer.Exit(1)
        typer.echo(current_code(user.totp_secret))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("demo-code")(demo_code)
