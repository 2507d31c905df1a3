"""Reads of stored runs and alerts: the CSV export external tools read, and evaluation inputs."""

from __future__ import annotations

import contextlib
import csv
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine, select

from parcours.audit.models import Alert, DetectionRun
from parcours.db import session_scope
from parcours.errors import InvalidInput, Issue, NotFound

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


def check_naive_baseline(baseline: DetectionRun, evaluated: DetectionRun) -> None:
    """A workload reduction means something only against the plain campaign queries run on the
    same period as the evaluated run: refuse any other baseline instead of printing a ratio."""
    if not baseline.naive:
        reason = (
            f"la campagne {baseline.run_id} n'est pas une référence naïve "
            "(en lancer une avec `parcours detect --naive`)"
        )
        raise InvalidInput([Issue("--naive-run", None, None, reason)])
    if (baseline.period_start, baseline.period_end) != (
        evaluated.period_start,
        evaluated.period_end,
    ):
        reason = (
            f"la référence naïve {baseline.run_id} couvre du {baseline.period_start} au "
            f"{baseline.period_end}, la campagne évaluée {evaluated.run_id} du "
            f"{evaluated.period_start} au {evaluated.period_end} : même période attendue"
        )
        raise InvalidInput([Issue("--naive-run", None, None, reason)])


# Mandatory before optional, whatever the level's spelling sorts to.
LEVEL_RANK = {"mandatory": 0, "optional": 1}


def _export_order(a: Alert) -> tuple[int, float, str, str, str, str]:
    # Ties on (level, score) are broken by the pair, not by alert_id: the id hashes the run id, so
    # two runs of identical results would list equal scores in different orders. Sorted here
    # rather than in SQL so that the order does not depend on the database's collation either.
    return (
        LEVEL_RANK.get(a.level, len(LEVEL_RANK)),
        -a.score,
        a.agent_id,
        a.de_id,
        a.scenario,
        a.alert_id,
    )


def run_alerts(db: Engine, run_id: str) -> list[Alert]:
    """The run's alerts, mandatory first, by decreasing score, then by agent, file and scenario."""
    with session_scope(db) as s:
        return sorted(s.scalars(select(Alert).where(Alert.run_id == run_id)), key=_export_order)


def _iso_utc(dt: datetime) -> str:
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _prepare_target(path: Path) -> Path:
    """The file to write (a symlink's target: the link stays), its missing folders created; or say
    what is wrong with it before anything is written (no traceback, no temporary file)."""
    try:
        target = path.resolve()
        mode = target.stat().st_mode if target.exists() else None
        if mode is not None and stat.S_ISDIR(mode):
            reason = "c'est un dossier : donner le chemin du fichier CSV à écrire"
        elif mode is not None and not stat.S_ISREG(mode):
            # A device, a pipe or a socket would be replaced by a regular file, not written to.
            reason = "ce n'est pas un fichier ordinaire : donner le chemin du fichier CSV à écrire"
        else:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                return target
            except OSError as exc:  # a regular file on the way, a read-only place
                reason = f"dossier {target.parent} impossible à créer : {exc.strerror or exc}"
    except (OSError, RuntimeError) as exc:  # a name too long; a symlink loop (RuntimeError)
        reason = f"écriture impossible : {getattr(exc, 'strerror', None) or exc}"
    raise InvalidInput([Issue(str(path), None, None, reason)])


def _write_rows(fh: TextIO, alerts: list[Alert]) -> None:
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


def _discard(tmp: Path) -> None:
    # The temporary file holds every alert (agents, files, reasons): never leave it behind.
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def export_csv(db: Engine, run_id: str, path: Path) -> int:
    """Write the run's alerts to `path` atomically (a temporary file renamed over it)."""
    get_run(db, run_id)  # an unknown run is named, not exported as an empty file
    target = _prepare_target(path)
    alerts = run_alerts(db, run_id)
    # Beside the target (a rename within one file system), under a short name of its own: derived
    # from the target's name it went over the 255-byte limit of a legal long name. Created with
    # "x" (never through a file or link already there) and the usual permissions, as a plain open.
    tmp = target.with_name(f".{secrets.token_hex(8)}.tmp")
    try:
        with tmp.open("x", encoding="utf-8", newline="") as fh:
            _write_rows(fh, alerts)
        tmp.replace(target)
    except OSError as exc:
        _discard(tmp)
        reason = f"écriture impossible : {exc.strerror or exc}"
        raise InvalidInput([Issue(str(path), None, None, reason)]) from exc
    except BaseException:
        _discard(tmp)
        raise
    return len(alerts)
