"""`parcours purge`: apply the retention settings without touching what an open control holds."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.config import Settings
from parcours.consultlog.retention import PurgeSummary, purge_log
from parcours.controls.models import Control
from parcours.controls.protocol import OPEN_STATES


def open_control_pairs(session: Session) -> set[tuple[str, str]]:
    rows = session.execute(
        select(Control.agent_id, Control.de_id).where(Control.state.in_(OPEN_STATES))
    )
    return {(a, d) for a, d in rows}


def purge(
    session: Session, *, settings: Settings, today: date, dry_run: bool = False
) -> PurgeSummary:
    cutoff = today - timedelta(days=settings.log_retention_days)
    return purge_log(
        settings.log_dir, cutoff=cutoff, held_pairs=open_control_pairs(session), dry_run=dry_run
    )
