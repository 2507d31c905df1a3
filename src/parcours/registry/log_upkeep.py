"""Upkeep of the deployment's consultation log: compaction of settled days (consultlog.compaction),
knowing which batches are still in progress — an import that has not finished, the buffer flush
under way — whose files must keep their names."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from parcours.config import Settings
from parcours.consultlog.compaction import CompactionSummary, compact_log
from parcours.consultlog.models import LogFlush
from parcours.db import get_engine, session_scope
from parcours.registry.models import ImportBatch


def unsettled_log_batches(settings: Settings) -> list[str]:
    with session_scope(get_engine(settings.sqlalchemy_url)) as s:
        running = s.scalars(select(ImportBatch.batch_id).where(ImportBatch.finished_at.is_(None)))
        return [*running, *s.scalars(select(LogFlush.batch_id))]


def compact_deployment_log(
    settings: Settings, *, today: date, min_age_days: int = 2
) -> CompactionSummary:
    return compact_log(
        settings.log_dir,
        today=today,
        unsettled=lambda: unsettled_log_batches(settings),
        min_age_days=min_age_days,
    )
