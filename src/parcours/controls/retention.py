"""`parcours purge`: apply the retention settings without touching what an open control holds. A purge
that deletes is itself an action on personal data: it is written to the trail."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.config import Settings
from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.retention import PurgeSummary, purge_log
from parcours.consultlog.store import ConsultLog
from parcours.controls import trail
from parcours.controls.models import Control
from parcours.controls.protocol import OPEN_STATES
from parcours.db import get_engine


def open_control_pairs(session: Session) -> set[tuple[str, str]]:
    rows = session.execute(
        select(Control.agent_id, Control.de_id).where(Control.state.in_(OPEN_STATES))
    )
    return {(a, d) for a, d in rows}


def purge(
    session: Session,
    *,
    settings: Settings,
    today: date,
    dry_run: bool = False,
    actor: str = "purge",
) -> PurgeSummary:
    cutoff = today - timedelta(days=settings.log_retention_days)
    # The application's buffered views first join their days of the log, so that the retention
    # applies to them like to every other consultation (and a dry run counts them too).
    flush_buffer(get_engine(settings.sqlalchemy_url), ConsultLog(settings.log_dir))
    summary = purge_log(
        settings.log_dir, cutoff=cutoff, held_pairs=open_control_pairs(session), dry_run=dry_run
    )
    if not dry_run:
        trail.append(
            session, actor=actor, action="purge", object_type="consultation_log", object_id="all",
            details={"cutoff": cutoff.isoformat(), "retention_days": settings.log_retention_days,
                     **asdict(summary)},
        )  # fmt: skip
    return summary
