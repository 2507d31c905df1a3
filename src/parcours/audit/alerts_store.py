"""Reads of stored runs and alerts: the CSV export external tools read, and evaluation inputs."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from parcours.audit.models import Alert, DetectionRun
from parcours.db import session_scope
from parcours.errors import NotFound

# The export contract: exact names, exact order (external evaluation tools read it).
EXPORT_COLUMNS = (
    "alert_id",
    "scenario",
    "level",
    "score",
    "agent_id",
    "de_id",
    "first_seen",
    "last_seen",
    "consultations",
    "reasons",
)


def latest_run(db: Engine, *, naive: bool = False, period_of: str | None = None) -> DetectionRun:
    """The most recent finished run (of the same period as run `period_of` when given)."""
    with session_scope(db) as s:
        q = select(DetectionRun).where(DetectionRun.naive == naive, DetectionRun.status == "done")
        if period_of is not None:
            ref = s.get(DetectionRun, period_of)
            if ref is None:
                raise NotFound(f"campagne inconnue : {period_of}")
            q = q.where(
                DetectionRun.period_start == ref.period_start,
                DetectionRun.period_end == ref.period_end,
            )
        run = s.scalars(q.order_by(DetectionRun.started_at.desc()).limit(1)).first()
        if run is None:
            kind = "naïve" if naive else "de détection"
            raise NotFound(f"aucune campagne {kind} enregistrée : lancer `parcours detect`")
        return run


def get_run(db: Engine, run_id: str) -> DetectionRun:
    with session_scope(db) as s:
        run = s.get(DetectionRun, run_id)
        if run is None:
            raise NotFound(f"campagne inconnue : {run_id}")
        return run


def run_alerts(db: Engine, run_id: str) -> list[Alert]:
    with session_scope(db) as s:
        return list(
            s.scalars(
                select(Alert)
                .where(Alert.run_id == run_id)
                .order_by(Alert.level, Alert.score.desc(), Alert.alert_id)
            )
        )


def _iso_utc(dt: datetime) -> str:
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_csv(db: Engine, run_id: str, path: Path) -> int:
    alerts = run_alerts(db, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(EXPORT_COLUMNS)
        for a in alerts:
            w.writerow(
                [
                    a.alert_id,
                    a.scenario,
                    a.level,
                    f"{a.score:.2f}",
                    a.agent_id,
                    a.de_id,
                    _iso_utc(a.first_seen),
                    _iso_utc(a.last_seen),
                    a.consultations,
                    " | ".join(a.reasons.splitlines()),
                ]
            )
    tmp.replace(path)
    return len(alerts)
