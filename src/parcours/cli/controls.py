"""Commands of the alert application: campaigns, reminders, retention, the trail, and the review of
controls handled by the agent they concern. Bad input ends with a message and exit code 2, never a
traceback; what the commands change or reveal is written to the trail."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from parcours.cli._shared import migrated_session
from parcours.errors import ParcoursError

if TYPE_CHECKING:
    pass

campaign_app = typer.Typer(
    help="Campagnes de contrôle (détection puis envoi aux établissements).", no_args_is_help=True
)
controls_app = typer.Typer(help="Suivi des contrôles.", no_args_is_help=True)
trail_app = typer.Typer(
    help="Journal des accès chaîné (« surveiller les surveillants »).", no_args_is_help=True
)
console = Console()


def _fail(message: str) -> NoReturn:
    console.print(f"[red]Erreur :[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code=2)


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
    from parcours.controls import trail
    from parcours.controls.campaigns import check_campaign_request, launch_detection_campaign
    from parcours.db import get_engine, session_scope
    from parcours.migrate import upgrade

    levels = level or ["mandatory", "optional"]
    try:
        scenarios = scenario or [s.id for s in load_scenarios()]
        check_campaign_request(scenarios=scenarios, levels=levels)  # before migrating or detecting
        upgrade(get_engine())
        with session_scope() as session:
            campaign, summary, run_id = launch_detection_campaign(
                session, name=name or f"Campagne du {start:%d/%m/%Y} au {end:%d/%m/%Y}", start=start.date(),
                end=end.date(), scenarios=scenarios, levels=levels, launched_by=by, base_url=base_url,
                progress=True,
            )  # fmt: skip
            # Traced like a launch from the campaigns page.
            trail.append(
                session, actor=by, action="launch", object_type="campaign", object_id=str(campaign.campaign_id),
                details={"run_id": run_id, "created": summary.created, "updated": summary.updated,
                         "establishments": sorted(summary.by_establishment), "via": "cli"},
            )  # fmt: skip
            console.print(
                f"Campagne {campaign.campaign_id} (détection {run_id}) : {summary.created} contrôle(s) créé(s), "
                f"{summary.updated} mis à jour, {summary.unchanged} inchangé(s), {summary.already_examined} "
                f"déjà examiné(s) (contrôle clos), {len(summary.by_establishment)} établissement(s)."
            )
    except ParcoursError as exc:
        _fail(str(exc))


@controls_app.command("remind")
def remind(
    base_url: Annotated[
        str, typer.Option(help="Adresse de l'application.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Met en file les rappels d'échéance et les avis de retard (envoyés par `parcours outbox`)."""
    from parcours.controls.reminders import send_reminders

    now = datetime.now(UTC)
    with migrated_session() as session:
        # Due dates are days in Europe/Paris: the day is the protocol's, not the server's nor UTC's.
        n = send_reminders(session, now=now, base_url=base_url)
    console.print(f"{n} rappel(s) mis en file.")


@controls_app.command("reopen")
def reopen(
    control_id: Annotated[int, typer.Argument(help="Numéro du contrôle clos à rouvrir.")],
    reason: Annotated[str, typer.Option(help="Motif de la réouverture (obligatoire).")],
    by: Annotated[
        str, typer.Option(help="Identifiant du compte de l'équipe nationale qui rouvre.")
    ],
) -> None:
    """Rouvre un contrôle clos (équipe nationale) : retour au pré-examen, constat effacé, compte rendu remplacé.

    Refusé si un autre contrôle est ouvert sur le même agent et le même dossier, ou si le compte
    n'est pas un compte actif de l'équipe nationale ; jamais par l'agent concerné. Écrit au journal.
    """
    from parcours.controls import service, trail
    from parcours.controls.protocol import load_protocol

    now = datetime.now(UTC)
    try:
        with migrated_session() as session:
            before = service.get_control(session, control_id).state
            control = service.transition(
                session, control_id=control_id, name="reopen", fields={"reopen_reason": reason},
                actor=by, now=now,
            )  # fmt: skip
            details = service.step_details(control, transition="reopen", before=before)
            # Traced like a reopening from the control's page.
            trail.append(
                session, actor=by, action="status", object_type="control", object_id=str(control_id),
                details=details | {"via": "cli"}, now=now,
            )  # fmt: skip
            label = load_protocol().states[control.state].label
            due = control.step_due_on
    except ParcoursError as exc:
        _fail(str(exc))
    message = f"Contrôle {control_id} rouvert : étape « {label} »"
    message += f", échéance le {due:%d/%m/%Y}" if due else ""
    if details["previous_outcome"]:
        message += f" ; constat précédent ({details['previous_outcome']}) effacé"
    if details["superseded_report_sha256"]:
        message += f" ; compte rendu {details['superseded_report_sha256'][:16]}… remplacé"
    console.print(escape(message + "."), soft_wrap=True)


SELF_HANDLED_COLUMNS = [
    "control_id", "establishment_id", "agent_id", "state", "outcome", "closed_by_agent", "reopened",
    "seq", "at", "login", "action", "transition",
]  # fmt: skip


@controls_app.command("self-handled")
def self_handled(
    views: Annotated[
        bool, typer.Option(help="Inclure les consultations du contrôle et de son compte rendu.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--csv", help="Écrire aussi la liste dans ce fichier CSV.")
    ] = None,
    by: Annotated[str, typer.Option(help="Qui consulte la liste (écrit au journal).")] = "cli",
) -> None:
    """Contrôles traités par l'agent qu'ils concernent (avant la règle) : à revoir par l'équipe nationale,
    qui les rouvre au besoin (`parcours controls reopen`).

    Liste chaque contrôle dont une action (changement d'étape, assignation, commentaire, compte rendu)
    a été faite par un compte de l'agent concerné, d'après le journal chaîné. Code de sortie 1 s'il y en a.
    """
    from parcours.accounts.scope import Scope
    from parcours.controls import trail
    from parcours.controls.protocol import load_protocol
    from parcours.controls.queries import HANDLING_ACTIONS, READING_ACTIONS, self_handled_controls
    from parcours.csvsafe import SafeWriter

    actions = HANDLING_ACTIONS + (READING_ACTIONS if views else ())
    protocol = load_protocol()
    with migrated_session() as session:
        found = self_handled_controls(session, scope=Scope(None, None), actions=actions)
        rows = [
            {
                "control_id": item.control.control_id,
                "establishment_id": item.control.establishment_id,
                "agent_id": item.control.agent_id,
                "state": item.control.state,
                "outcome": item.control.outcome or "",
                "closed_by_agent": "oui" if item.closed_by_agent else "non",
                "reopened": "oui" if item.reopened else "non",
                "seq": a.seq,
                "at": a.at.astimezone(protocol.time_zone).strftime("%Y-%m-%d %H:%M"),
                "login": a.login,
                "action": a.action,
                "transition": str(a.details.get("transition", "")),
            }
            for item in found
            for a in item.actions
        ]
        if out is not None:
            try:
                # For the national team's spreadsheet: logins are free text (csvsafe).
                with out.open("w", newline="", encoding="utf-8") as handle:
                    writer = SafeWriter(handle)
                    writer.writerow(SELF_HANDLED_COLUMNS)
                    writer.writerows([row[c] for c in SELF_HANDLED_COLUMNS] for row in rows)
            except OSError as exc:
                _fail(f"écriture impossible de {out} : {exc.strerror or exc}")
        trail.append(
            session, actor=by, action="review", object_type="control", object_id="self_handled",
            details={"controls": len(found), "actions": list(actions), "csv": str(out) if out else None},
        )  # fmt: skip
    if not found:
        console.print("Aucun contrôle traité par l'agent qu'il concerne.")
        return
    console.print(f"{len(found)} contrôle(s) traité(s) par l'agent concerné :", soft_wrap=True)
    for item in found:
        c = item.control
        state = protocol.states[c.state].label if c.state in protocol.states else c.state
        outcome = f" ({c.outcome})" if c.outcome else ""
        closed = "oui" if item.closed_by_agent else "non"
        reopened = "oui" if item.reopened else "non"
        console.print(
            escape(f"- contrôle {c.control_id} ({c.establishment_id}, agent {c.agent_id}) : "
                   f"{state}{outcome} ; clos par l'agent : {closed} ; rouvert : {reopened}"),
            soft_wrap=True,
        )  # fmt: skip
        for a in item.actions:
            at = a.at.astimezone(protocol.time_zone).strftime("%Y-%m-%d %H:%M")
            what = f"{a.action} {a.details.get('transition', '')}".strip()
            console.print(
                escape(f"    {at}  {a.login}  {what}  (journal n° {a.seq})"), soft_wrap=True
            )
    raise typer.Exit(1)


def purge_command(
    dry_run: Annotated[bool, typer.Option(help="Compter sans supprimer.")] = False,
    by: Annotated[str, typer.Option(help="Auteur de la purge (écrit au journal).")] = "cli",
) -> None:
    """Applique la durée de conservation du journal des consultations et de sa conservation légale.

    Jamais ce qu'un contrôle ouvert retient, ni un détournement avéré pendant sa période d'enquête."""
    from parcours.config import get_settings
    from parcours.controls.retention import purge

    settings = get_settings()
    with migrated_session() as session:
        result = purge(session, settings=settings, today=date.today(), dry_run=dry_run, actor=by)
    verb, copies_verb = (
        ("seraient supprimés", "seraient supprimées") if dry_run else ("supprimés", "supprimées")
    )
    console.print(
        f"Conservation {settings.log_retention_days} jours : {result.days_purged} jour(s), {result.rows_purged} "
        f"consultation(s) {verb} ; {result.rows_held} conservée(s) pour des contrôles ouverts ou des "
        f"détournements avérés. Conservation légale (enquête {settings.investigation_retention_days} jours "
        f"après la clôture) : {result.hold_rows_purged} copie(s) {copies_verb}. Fichiers reçus et "
        f"rejets d'import antérieurs : {result.archive_files_purged} {verb}."
        + (
            f" Dont {result.rows_adopted} ligne(s) qu'une purge interrompue avait déjà retirée(s) "
            "sans les tracer."
            if result.rows_adopted
            else ""
        )
    )


@trail_app.command("verify")
def verify(
    head_hash: Annotated[
        str, typer.Option("--head", help="Empreinte de tête connue (détecte une troncature).")
    ] = "",
    head_seq: Annotated[int, typer.Option(help="Numéro de l'entrée de tête connue.")] = 0,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Vérifier ce fichier exporté (`parcours trail export`) au lieu de la base.",
        ),
    ] = None,
) -> None:
    """Vérifie le chaînage du journal, ou d'un export CSV avec --csv ; code de sortie 1 si une entrée a été modifiée, supprimée ou déplacée."""
    from parcours.controls import trail

    # A known head is a pair: a hash alone would be checked against entry 0 (reported as a truncated
    # trail), a number alone would be ignored.
    if bool(head_hash) != bool(head_seq):
        _fail("--head et --head-seq vont ensemble (empreinte et numéro de l'entrée de tête connue)")
    if head_hash and not re.fullmatch(r"[0-9a-f]{64}", head_hash.strip().lower()):
        _fail("--head : empreinte SHA-256 attendue (64 caractères hexadécimaux)")
    if head_seq < 0:
        _fail("--head-seq : numéro d'entrée positif attendu")
    known = trail.TrailHead(seq=head_seq, hash=head_hash.strip().lower()) if head_hash else None
    if csv_file is not None:
        # newline="": a value may hold line breaks, which the export quotes; "utf-8-sig": a BOM
        # a spreadsheet added is not part of the header.
        try:
            with csv_file.open(encoding="utf-8-sig", newline="") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            _fail(f"lecture impossible de {csv_file} : {reason}")
        entries, problems = trail.read_csv(text)
        problems += trail.verify_entries(entries, known_head=known)
        current = trail.TrailHead(entries[-1].seq, entries[-1].hash) if entries else None
        what = f"Export {csv_file} intègre"
    else:
        with migrated_session() as session:
            problems = trail.verify(session, known_head=known)
            current = trail.head(session)
        what = "Journal intègre"
    if problems:
        for p in problems:
            console.print(f"[red]{escape(str(p))}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        escape(
            f"{what} : {current.seq if current else 0} entrée(s), tête {current.hash if current else '-'}"
        ),
        soft_wrap=True,
    )


@trail_app.command("export")
def export(out: Annotated[Path, typer.Argument(help="Fichier CSV à écrire.")]) -> None:
    """Exporte le journal en CSV (l'export est lui-même journalisé)."""
    from parcours.controls import trail

    with migrated_session() as session:
        try:
            out.write_text(trail.export_csv(session), encoding="utf-8", newline="")
        except OSError as exc:
            _fail(f"écriture impossible de {out} : {exc.strerror or exc}")
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
    from parcours.controls.flow import FlowWatcher
    from parcours.db import get_engine
    from parcours.migrate import upgrade
    from parcours.startup import checked_settings

    settings = checked_settings(process="watch")
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
        if cycle.rows_rejected or cycle.files_refused:
            console.print(
                f"{cycle.rows_rejected} ligne(s) rejetée(s), {len(cycle.files_refused)} fichier(s) "
                f"refusé(s) (déplacés dans {escape(str(watcher.refused))}) : motifs dans "
                f"{escape(str(settings.rejects_dir))}",
                soft_wrap=True,
            )
        return
    watcher.run_forever(interval=interval)
