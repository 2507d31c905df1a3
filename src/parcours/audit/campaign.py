"""A detection campaign: run the pipeline on the deployment (or an interchange directory) and
persist the run and its alerts. `run_campaign` is the entry point of `parcours detect`, the demo
and the alert application.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from parcours.audit.engines import make_engine
from parcours.audit.inputs import InputSource, InterchangeDirSource, WarehouseSource
from parcours.audit.models import Alert, DetectionRun
from parcours.audit.pipeline import DetectionConfig, PipelineResult, Step, run_pipeline
from parcours.audit.scoring.score import ScoredSituation
from parcours.config import Settings, get_settings
from parcours.consultlog.buffer import flush_buffer
from parcours.consultlog.store import ConsultLog
from parcours.db import get_engine, session_scope
from parcours.migrate import upgrade
from parcours.registry.warehouse import Warehouse

STEP_LABELS = {
    "inputs": "Lecture et contrôle des entrées",
    "identity": "Résolution des identités",
    "located": "Consultations de la période",
    "hours": "Jours et horaires habituels (risque de confidentialité uniquement)",
    "explanations": "Explications des consultations",
    "scenarios": "Scénarios",
    "situations": "Situations",
    "scoring": "Risque et niveaux",
}


@dataclass
class CampaignResult:
    run_id: str
    start: date
    end: date
    naive: bool
    alerts: list[ScoredSituation]  # mandatory and optional only
    pipeline: PipelineResult

    @property
    def mandatory(self) -> int:
        return sum(1 for a in self.alerts if a.level == "mandatory")

    @property
    def optional(self) -> int:
        return sum(1 for a in self.alerts if a.level == "optional")

    @property
    def agents(self) -> int:
        return len({a.agent_id for a in self.alerts})


def alert_id(run_id: str, agent_id: str, de_id: str) -> str:
    digest = hashlib.sha1(f"{run_id}|{agent_id}|{de_id}".encode()).hexdigest()[:20]
    return f"al-{digest}"


def _source_for(settings: Settings, input_dir: Path | str | None, db: Engine) -> InputSource:
    if input_dir is not None:
        return InterchangeDirSource(input_dir)
    warehouse = Warehouse.from_settings(settings)
    # The application's own consultations wait in the database: flushed first, so the campaign
    # reads them (a flush already under way elsewhere finishes on its own).
    flush_buffer(db, ConsultLog(warehouse.log_root))
    return WarehouseSource(warehouse)


def run_campaign(
    *,
    start: date,
    end: date,
    settings: Settings | None = None,
    naive: bool = False,
    progress: bool = True,
    input_dir: Path | str | None = None,
    persist: bool = True,
    config: DetectionConfig | None = None,
) -> CampaignResult:
    """Run every scenario over [start, end] (Paris days, inclusive) and store the alerts.

    Reads the warehouse snapshots and the consultation log of the deployment, or `input_dir`
    (interchange files) when given. `naive` runs the plain campaign queries as a baseline.
    """
    s = settings or get_settings()
    run_id = f"run-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    db = get_engine(s.sqlalchemy_url)
    if persist or input_dir is None:  # the database is written, or its buffer flushed
        upgrade(db)
    source = _source_for(s, input_dir, db)
    started = datetime.now(UTC)
    engine = make_engine(s)
    # Identity matches reused while the reference files are unchanged (campaigns in flow).
    cache = s.home / "cache" / "identity"
    try:
        bar = (
            Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            if progress
            else None
        )
        with bar or nullcontext():
            on_step: Step | None = None
            if bar is not None:
                task = bar.add_task(STEP_LABELS["inputs"], total=len(STEP_LABELS))
                names = list(STEP_LABELS)

                def advance(name: str) -> None:
                    i = names.index(name) + 1
                    label = STEP_LABELS[names[i]] if i < len(names) else "Terminé"
                    bar.update(task, advance=1, description=label)

                on_step = advance

            result = run_pipeline(
                engine, source, start=start, end=end, naive=naive, config=config,
                on_step=on_step, identity_cache=cache,
            )  # fmt: skip
    finally:
        engine.close()
    alerts = [a for a in result.situations if a.level != "none"]
    alerts.sort(key=lambda a: (-LEVEL_ORDER[a.level], -a.score, a.agent_id, a.de_id))
    campaign = CampaignResult(
        run_id=run_id, start=start, end=end, naive=naive, alerts=alerts, pipeline=result
    )
    if persist:
        save_campaign(
            campaign,
            db=db,
            started_at=started,
            engine_name=s.engine,
            source=source.describe(),
        )
    return campaign


LEVEL_ORDER = {"mandatory": 2, "optional": 1, "none": 0}


def save_campaign(
    campaign: CampaignResult, *, db: Engine, started_at: datetime, engine_name: str, source: str
) -> None:
    """Store the run and its alerts in one transaction (a crashed run leaves nothing half-written).

    The schema is the caller's to bring up to date (`run_campaign` does, once)."""
    p = campaign.pipeline
    now = datetime.now(UTC)
    with session_scope(db) as session:
        session.add(
            DetectionRun(
                run_id=campaign.run_id,
                started_at=started_at,
                finished_at=now,
                period_start=campaign.start,
                period_end=campaign.end,
                naive=campaign.naive,
                engine=engine_name,
                source=source[:400],
                identity_resolver=p.identity_resolver,
                status="done",
                consultations=p.explanation.consultations,
                situations=len(campaign.alerts),
                mandatory=campaign.mandatory,
                optional=campaign.optional,
                share_explained=None if campaign.naive else p.explanation.share_explained,
                report=json.dumps(p.to_report(), ensure_ascii=False),
            )
        )
        session.flush()
        session.add_all(_alert_rows(campaign.run_id, campaign.alerts, now))


def _alert_rows(run_id: str, alerts: Sequence[ScoredSituation], now: datetime) -> list[Alert]:
    return [
        Alert(
            alert_id=alert_id(run_id, a.agent_id, a.de_id),
            run_id=run_id,
            scenario=a.main_scenario,
            scenarios=",".join(a.scenarios),
            level=a.level,
            score=a.score,
            agent_id=a.agent_id,
            de_id=a.de_id,
            establishment_id=a.establishment_id,
            target_kind=a.target_kind,
            first_seen=a.first_seen,
            last_seen=a.last_seen,
            consultations=a.consultations,
            days=a.days,
            reasons="\n".join(a.reasons),
            match_probability=a.match_probability,
            explanation=a.explanation,
            explanation_summary=a.explanation_summary,
            created_at=now,
        )
        for a in alerts
    ]
