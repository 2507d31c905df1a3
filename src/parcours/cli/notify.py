"""`parcours outbox ...`: send what the outbox holds, and see its state."""

from __future__ import annotations

import time
from collections import Counter

import typer
from sqlalchemy import select

from parcours.cli._shared import migrated_engine, migrated_session
from parcours.notify.dispatch import dispatch_pending
from parcours.notify.models import OutboxMessage
from parcours.notify.senders import FileSmsSender, SmtpEmailSender

outbox_app = typer.Typer(help="File d'envoi des courriels et SMS (outbox transactionnelle).")


@outbox_app.command("dispatch")
def dispatch(
    loop: bool = typer.Option(False, help="Keep sending every --interval seconds."),
    interval: float = typer.Option(30.0, help="Seconds between two passes with --loop."),
    passes: int = typer.Option(0, help="With --loop, stop after this many passes (0: never)."),
) -> None:
    """Send due messages over SMTP (settings smtp_*) and SMS to the file adapter (home/sms.jsonl)."""
    from parcours.config import get_settings

    engine = migrated_engine()
    sms = FileSmsSender(get_settings().home / "sms.jsonl")
    done = 0
    while True:
        report = dispatch_pending(engine=engine, email=SmtpEmailSender.from_settings(), sms=sms)
        typer.echo(
            f"envoyés {len(report.sent)}, à réessayer {len(report.retried)}, abandonnés {len(report.failed)}"
        )
        done += 1
        if not loop or (passes and done >= passes):
            return
        time.sleep(interval)


@outbox_app.command("status")
def status() -> None:
    """Count messages by state."""
    with migrated_session() as s:
        counts = Counter(s.scalars(select(OutboxMessage.status)))
    for state in ("pending", "sending", "sent", "failed", "cancelled"):
        typer.echo(f"{state}\t{counts.get(state, 0)}")


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
