"""`parcours log flush|status`: the application's consultations waiting in the database."""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")
