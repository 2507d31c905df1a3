"""`parcours log status|flush|compact`: the application's consultations waiting in the database, and
the compaction of settled days of the log."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

from parcours.config import get_settings
from parcours.consultlog.buffer import flush_buffer, pending_count
from parcours.consultlog.store import ConsultLog
from parcours.db import get_engine, session_scope
from parcours.migrate import upgrade

log_app = typer.Typer(
    help="Journal des consultations écrites par l'application.", no_args_is_help=True
)
console = Console()


@log_app.command("status")
def status() -> None:
    """How many consultations wait in the database, and how many days the log holds."""
    engine = get_engine()
    upgrade(engine)
    with session_scope(engine) as s:
        pending = pending_count(s)
    days = ConsultLog(get_settings().log_dir).days()
    console.print(
        f"{pending} consultation(s) en attente dans la base ; journal : {len(days)} jour(s)"
    )


@log_app.command("flush")
def flush() -> None:
    """Move every waiting consultation to the Parquet log now (the watcher does it on its own)."""
    engine = get_engine()
    upgrade(engine)
    summary = flush_buffer(engine, ConsultLog(get_settings().log_dir))
    console.print(
        f"{summary.rows} consultation(s) écrite(s) dans le journal en {summary.batches} lot(s)"
        + (" ; un autre processus vide la file en ce moment" if summary.busy else "")
    )


@log_app.command("compact")
def compact(
    min_age_days: int = typer.Option(2, min=1, help="Only days at least this old (settled)."),
) -> None:
    """Merge the small files of each settled day into one (the watcher does it every hour)."""
    from parcours.registry.log_upkeep import compact_deployment_log

    engine = get_engine()
    upgrade(engine)
    summary = compact_deployment_log(get_settings(), today=date.today(), min_age_days=min_age_days)
    if summary.refused:
        console.print(f"[red]{summary.refused}[/red]")
        raise typer.Exit(1)
    console.print(
        f"{summary.days_compacted} jour(s) compacté(s) : {summary.files_before} fichier(s) → "
        f"{summary.files_after}, {summary.rows} consultation(s)"
        + (
            f" ; laissés tels quels (lot en cours) : {', '.join(summary.days_unsettled)}"
            if summary.days_unsettled
            else ""
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")
