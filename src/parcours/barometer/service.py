"""What other parts of Parcours call: load the imported waves, compute the published reading, and
record what each release of a wave shows before it is shown (`releases.py`)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from parcours.barometer.definitions import Definitions, default_definitions
from parcours.barometer.models import BarometerRelease, BarometerResponse
from parcours.barometer.releases import MeasureRecord, WaveRecord
from parcours.barometer.results import (
    Combination,
    Group,
    LegacyRemainder,
    Results,
    compute_release,
)
from parcours.barometer.suppression import THRESHOLD
from parcours.db import get_engine, session_scope
from parcours.errors import Conflict

# Two processes publishing different states of one wave at once: the second one to record its
# release sees the first and computes again against it; more attempts than this is a fault.
RECORD_ATTEMPTS = 3


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


def _cell_to_json(cell: Hashable) -> list[str | int]:
    if isinstance(cell, Group):
        return ["g", cell.scope, cell.dim, cell.value]
    if isinstance(cell, Combination):
        return ["c", *cell]
    assert isinstance(cell, LegacyRemainder)
    return ["r", cell.scope, cell.rule]


def _cell_from_json(raw: list[Any]) -> Hashable:
    if raw[0] == "g":
        return Group(str(raw[1]), str(raw[2]), str(raw[3]))
    if raw[0] == "c":
        return Combination(*(str(x) for x in raw[1:6]))
    # Recorded before derived cells were named by their members: kept, tied to nothing.
    return LegacyRemainder(str(raw[1]), int(raw[2]))


def encode_record(record: WaveRecord) -> dict[str, Any]:
    return {
        "cells": [_cell_to_json(c) for c in record.cells],
        "groups": record.groups,
        "notes": list(record.notes),
        "measures": {
            name: {
                "n": list(m.n),
                "total": list(m.total),
                "total_sq": list(m.total_sq),
                "published": [int(p) for p in m.published],
                "same_as": list(m.same_as),
                "note": list(m.note),
            }
            for name, m in record.measures.items()
        },
    }


def decode_record(wave: str, threshold: int, raw: Mapping[str, Any]) -> WaveRecord:
    return WaveRecord(
        wave=wave,
        threshold=threshold,
        cells=tuple(_cell_from_json(c) for c in raw["cells"]),
        groups=int(raw["groups"]),
        notes=tuple(raw["notes"]),
        measures={
            name: MeasureRecord(
                n=tuple(int(x) for x in m["n"]),
                total=tuple(float(x) for x in m["total"]),
                total_sq=tuple(float(x) for x in m["total_sq"]),
                published=tuple(bool(x) for x in m["published"]),
                same_as=tuple(int(x) for x in m["same_as"]),
                note=tuple(int(x) for x in m["note"]),
            )
            for name, m in raw["measures"].items()
        },
    )


def load_releases(
    *, engine: Engine | None = None, waves: list[str] | None = None
) -> dict[str, list[WaveRecord]]:
    """Every recorded release per wave, oldest first."""
    query = select(
        BarometerRelease.wave_id, BarometerRelease.threshold, BarometerRelease.record
    ).order_by(BarometerRelease.wave_id, BarometerRelease.sequence)
    if waves:
        query = query.where(BarometerRelease.wave_id.in_(waves))
    found: dict[str, list[WaveRecord]] = {}
    with (engine or get_engine()).connect() as conn:
        for wave, threshold, raw in conn.execute(query):
            found.setdefault(wave, []).append(decode_record(wave, threshold, raw))
    return found


def record_releases(
    records: Mapping[str, WaveRecord],
    earlier: Mapping[str, list[WaveRecord]],
    *,
    engine: Engine | None = None,
) -> list[str]:
    """Keep the record of each wave that shows something its last release did not; returns those
    waves. `Conflict` when another process recorded a release of one of them meanwhile (nothing is
    kept then: compute again against it)."""
    now = datetime.now(UTC)
    kept: list[str] = []
    try:
        with session_scope(engine or get_engine()) as session:
            for wave, record in sorted(records.items()):
                before = earlier.get(wave, [])
                if before and before[-1].same_figures(record):
                    continue
                session.add(
                    BarometerRelease(
                        wave_id=wave,
                        sequence=len(before) + 1,
                        released_at=now,
                        threshold=record.threshold,
                        record=encode_record(record),
                    )
                )
                kept.append(wave)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("une autre diffusion du baromètre vient d'être enregistrée") from exc
    return kept


def barometer_results(
    *,
    engine: Engine | None = None,
    waves: list[str] | None = None,
    threshold: int = THRESHOLD,
    definitions: Definitions | None = None,
) -> Results:
    """The published reading. Every call is a release: a wave is suppressed together with what its
    earlier releases showed, and a wave that now shows something new is recorded before the
    results are returned (so that the next release is checked against this one)."""
    definitions = definitions or default_definitions()
    engine = engine or get_engine()
    for _ in range(RECORD_ATTEMPTS):
        earlier = load_releases(engine=engine, waves=waves)
        frame = load_responses(engine=engine, waves=waves, definitions=definitions)
        results, records = compute_release(frame, definitions, threshold=threshold, earlier=earlier)
        try:
            record_releases(records, earlier, engine=engine)
        except Conflict:
            continue
        return results
    raise Conflict("diffusions concurrentes du baromètre : réessayez")
