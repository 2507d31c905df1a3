"""What other parts of Parcours call: load the imported waves and compute the published reading."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from parcours.barometer.definitions import Definitions, default_definitions
from parcours.barometer.models import BarometerResponse
from parcours.barometer.results import Results, compute_results
from parcours.barometer.suppression import THRESHOLD
from parcours.db import get_engine


def load_responses(
    *,
    engine: Engine | None = None,
    waves: list[str] | None = None,
    definitions: Definitions | None = None,
) -> pd.DataFrame:
    """Responses as a frame (wave, attributes, items). Internal: never exported as such."""
    definitions = definitions or default_definitions()
    table = BarometerResponse.__table__
    query = select(table.c.wave_id, table.c.attributes, table.c.answers)
    if waves:
        query = query.where(table.c.wave_id.in_(waves))
    items = list(definitions.questionnaire.items)
    attributes = list(definitions.population.attributes)
    records = []
    with (engine or get_engine()).connect() as conn:
        for wave_id, attrs, answers in conn.execute(query):
            record: dict[str, object] = {"wave": wave_id}
            record.update({a: attrs.get(a) for a in attributes})
            record.update({c: answers.get(c) for c in items})
            records.append(record)
    frame = pd.DataFrame.from_records(records, columns=["wave", *attributes, *items])
    frame[items] = frame[items].astype("float64")
    return frame


def barometer_results(
    *,
    engine: Engine | None = None,
    waves: list[str] | None = None,
    threshold: int = THRESHOLD,
    definitions: Definitions | None = None,
) -> Results:
    definitions = definitions or default_definitions()
    frame = load_responses(engine=engine, waves=waves, definitions=definitions)
    return compute_results(frame, definitions, threshold=threshold)
