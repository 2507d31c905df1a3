"""`parcours purge`: apply the retention settings without touching what a control holds. A purge that
deletes is itself an action on personal data: it is written to the trail.

A control holds the consultations of its agent × file while it is open. A control closed on a proven misuse
(`conclude` with outcome `proven` in `protocol.yaml`) goes on holding them for the investigation period
after its closing (`investigation_retention_days`: the evidence of a documented investigation, which may
lead to disciplinary or criminal follow-up); any other closing releases them at once, to the normal
retention. Both are derived from the controls' state, outcome and closing time: nothing else is stored.
The copies of consultations kept beside the log (processed inbox files, import rejects) follow the log's
retention, held pairs or not: the log and the legal hold keep what a control needs.

The trail entry is the purge's commit point (`parcours.consultlog.retention`): `purge` commits the session
when it records it, before the rows it counts are deleted for good; its `object_id` is the run's id, which
tells the next purge that this run's tombstones were counted.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from parcours.config import Settings
from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.retention import PurgeSummary, purge_log
from parcours.consultlog.store import ConsultLog
from parcours.controls import trail
from parcours.controls.flow import archive_dirs
from parcours.controls.models import Control
from parcours.controls.protocol import OPEN_STATES, load_protocol
from parcours.db import get_engine

# The closing outcome that proves misuse of purpose (`conclude` → `outcome: proven`).
MISUSE_OUTCOME = "proven"


def held_pairs(session: Session, *, today: date, investigation_days: int) -> set[tuple[str, str]]:
    """The agent × file pairs whose consultations the retention must keep on `today`: those of an open
    control, and those of a control closed on a proven misuse less than `investigation_days` ago
    (counted in the protocol's calendar days, like its deadlines)."""
    protocol = load_protocol()
    rows = session.execute(
        select(Control.agent_id, Control.de_id, Control.state, Control.closed_at).where(
            or_(Control.state.in_(OPEN_STATES), Control.outcome == MISUSE_OUTCOME)
        )
    )
    held: set[tuple[str, str]] = set()
    for agent_id, de_id, state, closed_at in rows:
        if state in OPEN_STATES or (
            # A closing without its time cannot show that the period has passed: kept.
            closed_at is None
            or today < protocol.local_day(closed_at) + timedelta(days=investigation_days)
        ):
            held.add((agent_id, de_id))
    return held


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
    held = held_pairs(
        session, today=today, investigation_days=settings.investigation_retention_days
    )

    def record(summary: PurgeSummary, run_id: str) -> None:
        # Committed here, not by the caller: the purge deletes its tombstones only after this.
        trail.append(
            session, actor=actor, action="purge", object_type="consultation_log", object_id=run_id,
            details={"cutoff": cutoff.isoformat(), "retention_days": settings.log_retention_days,
                     "investigation_days": settings.investigation_retention_days,
                     "held_pairs": len(held), **asdict(summary)},
        )  # fmt: skip
        session.commit()

    def traced(run_ids: list[str]) -> set[str]:
        return set(
            session.scalars(
                select(trail.TrailEntry.object_id).where(
                    trail.TrailEntry.action == "purge",
                    trail.TrailEntry.object_type == "consultation_log",
                    trail.TrailEntry.object_id.in_(run_ids),
                )
            )
        )

    return purge_log(
        settings.log_dir,
        cutoff=cutoff,
        held_pairs=held,
        dry_run=dry_run,
        record=record,
        traced=traced,
        archives=archive_dirs(settings),
    )
