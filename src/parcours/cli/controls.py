"""Commands of the alert application: campaigns, reminders, retention, the trail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

campaign_app = typer.Typer(
    help="Campagnes de contrôle (détection puis envoi aux établissements).", no_args_is_help=True
)
controls_app = typer.Typer(help="Suivi des contrôles.", no_args_is_help=True)
trail_app = typer.Typer(
    help="Journal des accès chaîné (« surveiller les surveillants »).", no_args_is_help=True
)
console = Console()


@campaign_app.command("launch")
def launch(
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="Premier jour de la période.")
    ],
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Dernier jour (inclus).")],
    name: Annotated[str, typer.Option(help="Nom de la campagne.")] = "",
    scenario: Annotated[
        list[str] | None, typer.Option(help="Situations (toutes par défaut).")
    ] = None,
    level: Annotated[list[str] | None, typer.Option(help="Niveaux envoyés.")] = None,
    by: Annotated[str, typer.Option(help="Auteur du lancement.")] = "cli",
    base_url: Annotated[
        str, typer.Option(help="Adresse de l'application, pour les courriels.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Lance une campagne : détection sur la période, envoi des contrôles, courriels aux correspondants."""
    from parcours.audit.scenario import load_scenarios
    from parcours.controls.campaigns import launch_detection_campaign
    from parcours.db import get_engine, session_scope
    from parcours.migrate import upgrade

    upgrade(get_engine())
    scenarios = scenario or [s.id for s in load_scenarios()]
    with session_scope() as session:
        campaign, summary, run_id = launch_detection_campaign(
            session, name=name or f"Campagne du {start:%d/%m/%Y} au {end:%d/%m/%Y}", start=start.date(),
            end=end.date(), scenarios=scenarios, levels=level or ["mandatory", "optional"], launched_by=by,
            base_url=base_url, progress=True,
        )  # fmt: skip
        console.print(
            f"Campagne {campaign.campaign_id} (détection {run_id}) : {summary.created} contrôle(s) créé(s), "
            f"{summary.updated} mis à jour, {len(summary.by_establishment)} établissement(s)."
        )


@controls_app.command("remind")
def remind(
    base_url: Annotated[
        str, typer.Option(help="Adresse de l'application.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Met en file les rappels d'échéance et les avis de retard (envoyés par `parcours outbox`)."""
    from parcours.controls.reminders import send_reminders
    from parcours.db import session_scope

    now = datetime.now(UTC)
    with session_scope() as session:
        n = send_reminders(session, today=now.date(), now=now, base_url=base_url)
    console.print(f"{n} rappel(s) mis en file.")


def purge_command(
    dry_run: Annotated[bool, typer.Option(help="Compter sans supprimer.")] = False,
) -> None:
    """Applique la durée de conservation du journal des consultations (jamais ce qu'un contrôle ouvert retient)."""
    from parcours.config import get_settings
    from parcours.controls.retention import purge
    from parcours.db import session_scope

    settings = get_settings()
    with session_scope() as session:
        result = purge(session, settings=settings, today=date.today(), dry_run=dry_run)
    verb = "seraient supprimés" if dry_run else "supprimés"
    console.print(
        f"Conservation {settings.log_retention_days} jours : {result.days_purged} jour(s), {result.rows_purged} "
        f"consultation(s) {verb} ; {result.rows_held} conservée(s) pour des contrôles ouverts."
    )


@trail_app.command("verify")
def verify(
    head_hash: Annotated[
        str, typer.Option("--head", help="Empreinte de tête connue (détecte une troncature).")
    ] = "",
    head_seq: Annotated[int, typer.Option(help="Numéro de l'entrée de tête connue.")] = 0,
) -> None:
    """Vérifie le chaînage du journal ; code de sortie 1 si une entrée a été modifiée, supprimée ou déplacée."""
    from parcours.controls import trail
    from parcours.db import session_scope

    with session_scope() as session:
        known = trail.TrailHead(seq=head_seq, hash=head_hash) if head_hash else None
        problems = trail.verify(session, known_head=known)
        current = trail.head(session)
    if problems:
        for p in problems:
            console.print(f"[red]{p}")
        raise typer.Exit(1)
    console.print(
        f"Journal intègre : {current.seq if current else 0} entrée(s), tête {current.hash if current else '-'}"
    )


@trail_app.command("export")
def export(out: Annotated[Path, typer.Argument(help="Fichier CSV à écrire.")]) -> None:
    """Exporte le journal en CSV (l'export est lui-même journalisé)."""
    from parcours.controls import trail
    from parcours.db import session_scope

    with session_scope() as session:
        out.write_text(trail.export_csv(session), encoding="utf-8")
        trail.append(
            session,
            actor="cli",
            action="export",
            object_type="trail",
            object_id="all",
            details={"file": str(out)},
        )
    console.print(f"Journal exporté dans {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")
    app.add_typer(controls_app, name="controls")
    app.add_typer(trail_app, name="trail")
    app.command("purge")(purge_command)
    app.command("watch")(watch)


def watch(
    interval: Annotated[float, typer.Option(help="Secondes entre deux passages.")] = 5.0,
    lookback_days: Annotated[
        int, typer.Option(help="Fenêtre de détection glissante (jours).")
    ] = 30,
    once: Annotated[bool, typer.Option(help="Un seul passage puis sortie.")] = False,
) -> None:
    """Détection en flux : importe les fichiers déposés dans la boîte de dépôt et envoie les alertes en quelques minutes."""
    from parcours.config import get_settings
    from parcours.controls.flow import FlowWatcher
    from parcours.db import get_engine
    from parcours.logs import configure_logging
    from parcours.migrate import upgrade

    settings = get_settings()
    configure_logging(json_lines=settings.mode == "production")
    upgrade(get_engine())
    watcher = FlowWatcher(settings, lookback_days=lookback_days)
    console.print(f"Boîte de dépôt : {watcher.inbox}")
    if once:
        with watcher.lock(blocking=True):
            cycle = watcher.process(watcher.claim())
        console.print(
            f"{len(cycle.files)} fichier(s), {cycle.rows_loaded} consultation(s) importée(s), "
            f"{cycle.created} contrôle(s) créé(s), {cycle.updated} mis à jour en {cycle.seconds:.1f} s."
        )
        return
    watcher.run_forever(interval=interval)
