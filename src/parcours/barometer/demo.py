"""The demo's barometer: two synthetic waves generated once under PARCOURS_HOME and imported once."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine, select

from parcours.barometer.importer import import_file
from parcours.barometer.synth import SynthOptions, write_survey
from parcours.db import get_engine, session_scope
from parcours.registry.models import ImportBatch


def load_demo_barometer(home: Path, *, engine: Engine | None = None) -> str:
    """Generate (once) and import (once: a file already imported whole is skipped); returns a summary."""
    engine = engine or get_engine()
    path = home / "demo-data" / "barometre.csv"
    if not path.exists():
        write_survey(path, SynthOptions())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with session_scope(engine) as session:
        done = session.scalar(
            select(ImportBatch.rows_loaded).where(
                ImportBatch.file_sha256 == digest, ImportBatch.table_name == "barometer_responses"
            )
        )
    if done:
        return f"{done} réponses déjà importées ({path.name})"
    report = import_file(path, engine=engine)
    return f"{report.inserted} réponses importées, {report.rejected} rejetées ({path.name})"
