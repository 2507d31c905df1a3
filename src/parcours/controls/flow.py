"""Detection in flow: consultation files dropped into the inbox (by an export job, or by the ingestion
endpoint) are imported into the log, detection re-reads a sliding window, and the alerts about the
situations those files touched are dispatched within minutes — agents are no longer asked to justify an
access made months earlier.

Crash safety (kill -9 at any point loses nothing and counts nothing twice):
1. a file is claimed by an atomic rename into `inbox/.flow/consultations/`;
2. the import is idempotent (deterministic batch ids, events deduplicated by event_id);
3. the situations to dispatch are read back from the log files the claimed files' import batches
   wrote, so a re-run after a crash finds them even though the import then loads nothing new;
4. controls are deduplicated per agent × file, and overlapping windows never add consultations twice;
5. only then is the file moved to `inbox/done/`, or to `inbox/refused/` when the import refused it whole
   (unreadable, not UTF-8, a column missing: the reason is in the rejects folder, as for any import).
A file is claimed under a name of its own (the claim's instant, then its name): an export job that drops
`consultations.csv` every few minutes never overwrites a claimed file not processed yet, nor its rejects.
A bad file never blocks the flow: the files beside it are processed in the same cycle.
One watcher at a time holds `inbox/.flow/lock` (several web workers may each run the loop safely).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from parcours.audit.scenario import load_scenarios
from parcours.config import Settings, get_settings
from parcours.consultlog.buffer import flush_if_due
from parcours.consultlog.store import ConsultLog
from parcours.controls.campaigns import alerts_from_detection, notify_establishments
from parcours.controls.dispatch import DispatchSummary, dispatch_alerts
from parcours.controls.models import Campaign
from parcours.db import get_engine, session_scope
from parcours.registry.log_upkeep import compact_deployment_log

log = logging.getLogger("parcours.flow")

FLOW_CAMPAIGN = "Détection en flux"
READY_SUFFIXES = (".csv", ".parquet")
# The inbox's folders of processed files (the retention purges them like the log: `archive_dirs`).
DONE, REFUSED = "done", "refused"
COMPACT_EVERY = 3600.0  # seconds between two compactions of the log by the watcher
_STAMP = "%Y%m%dT%H%M%S.%f"


def stamped(name: str, at: datetime) -> str:
    """`name` behind an instant: a claimed file's name (claim), a processed one's (done, refused)."""
    return f"{at:{_STAMP}}Z-{name}"


def unstamped(name: str) -> tuple[datetime, str]:
    """The outer instant of a stamped name and what it was stamped on."""
    stamp, _, rest = name.partition("Z-")
    return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC), rest


def dropped_name(name: str) -> str:
    """The name a file had when it was dropped into the inbox, from its done or refused name."""
    return unstamped(unstamped(name)[1])[1]


def archive_dirs(settings: Settings) -> tuple[Path, ...]:
    """The folders of copies of consultations kept beside the log: the files the flow processed or
    refused, and the import rejects (rejected rows as they were read)."""
    return (settings.inbox_dir / DONE, settings.inbox_dir / REFUSED, settings.rejects_dir)


@dataclass
class FlowCycle:
    files: list[str] = field(default_factory=list)
    files_refused: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_rejected: int = 0
    pairs: int = 0
    alerts: int = 0
    created: int = 0
    updated: int = 0
    seconds: float = 0.0


class FlowWatcher:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        lookback_days: int = 30,
        levels: tuple[str, ...] = ("mandatory", "optional"),
        base_url: str = "http://127.0.0.1:8000",
    ) -> None:
        self.settings = settings or get_settings()
        self._compacted_at: float | None = None
        self.lookback_days = lookback_days
        self.levels = levels
        self.base_url = base_url
        self.inbox = self.settings.inbox_dir
        self.work = self.inbox / ".flow"
        self.claimed = self.work / "consultations"
        self.done = self.inbox / DONE
        self.refused = self.inbox / REFUSED
        for d in (self.inbox, self.claimed, self.done, self.refused):
            d.mkdir(parents=True, exist_ok=True)

    # -- the steps ----------------------------------------------------------------------------------

    @contextmanager
    def lock(self, *, blocking: bool) -> Iterator[bool]:
        with (self.work / "lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def claim(self) -> list[Path]:
        """Move ready files into the work folder (atomic rename), each under a name of its own; include
        files a crash left there."""
        for path in sorted(self.inbox.iterdir()):
            if (
                path.is_file()
                and path.suffix.lower() in READY_SUFFIXES
                and not path.name.startswith(".")
            ):
                os.replace(path, self.claimed / stamped(path.name, datetime.now(UTC)))
        return sorted(
            p for p in self.claimed.iterdir() if p.is_file() and not p.name.startswith(".")
        )

    def _situations(
        self, batches: list[str]
    ) -> tuple[set[tuple[str, str]], date | None, date | None]:
        """The agent × file pairs and the first and last Paris days of the events the cycle's import
        batches wrote to the log (late files holding old events are covered too). Read from the
        log's own files rather than the dropped files: the import accepts files (a CSV with one
        ragged line) that a plain reader refuses whole. A batch run again after a crash finds its
        files of the first run."""
        logbook = ConsultLog(self.settings.log_dir)
        files = [str(f) for b in batches for f in logbook.files_of_batch(b)]
        if not files:
            return set(), None, None
        con = duckdb.connect()
        try:
            rows = con.execute(
                "SELECT DISTINCT agent_id, de_id, CAST(timezone('Europe/Paris', ts) AS DATE) AS day "
                "FROM read_parquet(?)",
                [files],
            ).fetchall()
        finally:
            con.close()
        pairs = {(a, d) for a, d, _ in rows}
        days = [day for _, _, day in rows]
        return pairs, min(days, default=None), max(days, default=None)

    def _flow_campaign(
        self, session: Session, *, start: date, end: date, now: datetime
    ) -> Campaign:
        campaign = session.scalar(
            select(Campaign).where(Campaign.mode == "flow", Campaign.name == FLOW_CAMPAIGN)
        )
        if campaign is None:
            campaign = Campaign(
                name=FLOW_CAMPAIGN, period_start=start, period_end=end, scenarios=[s.id for s in load_scenarios()],
                levels=list(self.levels), mode="flow", launched_by="flux", launched_at=now,
                alerts_received=0, controls_created=0, controls_updated=0,
            )  # fmt: skip
            session.add(campaign)
            session.flush()
        campaign.period_start = min(campaign.period_start, start)
        campaign.period_end = max(campaign.period_end, end)
        # Dispatch keeps only the campaign's situations and levels: a situation added after the flow
        # campaign was first created (or a level the watcher now sends) must not be filtered out.
        current = [s.id for s in load_scenarios()]
        if not set(current) <= set(campaign.scenarios):
            campaign.scenarios = sorted({*campaign.scenarios, *current})
        if not set(self.levels) <= set(campaign.levels):
            campaign.levels = [
                lv for lv in ("mandatory", "optional") if lv in {*campaign.levels, *self.levels}
            ]
        return campaign

    def process(self, files: list[Path]) -> FlowCycle:
        from parcours.audit.campaign import run_campaign
        from parcours.registry.importer import import_directory

        started = time.monotonic()
        cycle = FlowCycle(files=[f.name for f in files])
        if not files:
            return cycle
        summary = import_directory(self.work, settings=self.settings, progress=False)
        cycle.rows_loaded = sum(f.rows_loaded for f in summary.files)
        cycle.rows_rejected = summary.rows_rejected
        refused = {Path(r.label).name for r in summary.files if r.refused is not None}
        cycle.files_refused = sorted(f.name for f in files if f.name in refused)
        for r in summary.files:
            if r.refused is not None:
                log.warning("flow file refused", extra={"file": r.label, "reason": str(r.refused)})
        batches = [r.batch_id for r in summary.files if r.refused is None and r.batch_id]
        pairs, first_day, last_day = self._situations(batches)
        cycle.pairs = len(pairs)
        if pairs and first_day is not None and last_day is not None:
            start = first_day - timedelta(days=self.lookback_days)
            result = run_campaign(start=start, end=last_day, settings=self.settings, progress=False)
            alerts = [
                a
                for a in alerts_from_detection(result.run_id, result.alerts)
                if (a.agent_id, a.de_id) in pairs
            ]
            cycle.alerts = len(alerts)
            now = datetime.now(UTC)
            with session_scope(get_engine(self.settings.sqlalchemy_url)) as session:
                campaign = self._flow_campaign(session, start=start, end=last_day, now=now)
                dispatched: DispatchSummary = dispatch_alerts(
                    session, campaign=campaign, alerts=alerts, now=now
                )
                if dispatched.created:
                    notify_establishments(
                        session,
                        campaign=campaign,
                        summary=dispatched,
                        base_url=self.base_url,
                        now=now,
                    )
            cycle.created, cycle.updated = dispatched.created, dispatched.updated
        for f in files:
            folder = self.refused if f.name in refused else self.done
            shutil.move(str(f), folder / stamped(f.name, datetime.now(UTC)))
        cycle.seconds = time.monotonic() - started
        self._checkpoint(cycle)
        return cycle

    def _checkpoint(self, cycle: FlowCycle) -> None:
        path = self.work / "checkpoint.json"
        state = (
            json.loads(path.read_text()) if path.exists() else {"cycles": 0, "files": 0, "rows": 0}
        )
        state = {
            "cycles": state["cycles"] + 1,
            "files": state["files"] + len(cycle.files),
            "files_refused": state.get("files_refused", 0) + len(cycle.files_refused),
            "rows": state["rows"] + cycle.rows_loaded,
            "last_cycle_at": datetime.now(UTC).isoformat(),
            "last_cycle": cycle.__dict__,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, default=str))
        os.replace(tmp, path)

    # -- loops --------------------------------------------------------------------------------------

    def run_once(self) -> FlowCycle | None:
        """One cycle if this process holds the lock (None when another watcher does)."""
        with self.lock(blocking=False) as held:
            if not held:
                return None
            cycle = self.process(self.claim())
            # The application's own consultations, moved from the database to the log in batches.
            flush_if_due(
                get_engine(self.settings.sqlalchemy_url), ConsultLog(self.settings.log_dir)
            )
            # Between its own campaigns, once an hour: the small files of settled days merged.
            if self._compacted_at is None or time.monotonic() - self._compacted_at >= COMPACT_EVERY:
                self._compacted_at = time.monotonic()
                done = compact_deployment_log(self.settings, today=date.today())
                if done.days_compacted or done.refused:
                    log.info("log compaction", extra=done.__dict__)
            return cycle

    def run_forever(self, *, interval: float = 5.0, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                cycle = self.run_once()
                if cycle and cycle.files:
                    log.info(
                        "flow cycle",
                        extra={k: v for k, v in cycle.__dict__.items() if k != "files"}
                        | {"n_files": len(cycle.files)},
                    )
            except Exception:  # keep watching; the files stay claimed and are retried next cycle
                log.exception("flow cycle failed")
            stop.wait(interval)


def start_background_watcher(settings: Settings, *, interval: float = 5.0) -> threading.Event:
    """The same loop inside `serve`: a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    watcher = FlowWatcher(settings)
    thread = threading.Thread(
        target=watcher.run_forever,
        kwargs={"interval": interval, "stop": stop},
        daemon=True,
        name="parcours-flow",
    )
    thread.start()
    return stop
