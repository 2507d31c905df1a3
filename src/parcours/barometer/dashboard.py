"""What the web dashboard shows, without web code: the results computed once per imported state of the
database (a cache keyed by the last import batch), the scope an account may read, and the page data."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from parcours.barometer.charts import chart_spec
from parcours.barometer.definitions import default_definitions
from parcours.barometer.models import BarometerResponse
from parcours.barometer.report import (
    SECRET,
    breakdown_tables,
    chart_data,
    fmt,
    measure_rows,
    stars,
    watch_rows,
)
from parcours.barometer.results import ALL, NATION, TOTAL, Group, Results
from parcours.barometer.service import barometer_results
from parcours.registry.models import Establishment, ImportBatch

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[object, ...], Results]] = {}


def data_version(engine: Engine) -> tuple[object, ...]:
    """Changes whenever an import adds or updates responses."""
    with engine.connect() as conn:
        last = conn.execute(
            select(func.max(ImportBatch.finished_at), func.count()).where(
                ImportBatch.table_name == "barometer_responses"
            )
        ).one()
        rows = conn.scalar(select(func.count()).select_from(BarometerResponse))
    return (str(engine.url), last[0], last[1], rows)


def cached_results(engine: Engine) -> Results:
    """Computing every figure with its suppression takes seconds: do it once per imported state."""
    version = data_version(engine)
    with _lock:
        hit = _cache.get(str(engine.url))
        if hit is not None and hit[0] == version:
            return hit[1]
        results = barometer_results(engine=engine)
        _cache[str(engine.url)] = (version, results)
        return results


def readable_scopes(session: Session, *, establishment_id: str | None, national: bool) -> list[str]:
    """The nation for every reader; every region for the national team; otherwise the region of the
    account's establishment (none for a national establishment such as DG or DSI)."""
    regions = list(default_definitions().population.attributes["region"].values)
    if national:
        return [NATION, *regions]
    region = None
    if establishment_id:
        est = session.get(Establishment, establishment_id)
        region = default_definitions().population.region_of_insee(est.region_code if est else None)
    return [NATION] if region is None else [NATION, region]


def region_gaps(results: Results) -> list[dict[str, Any]]:
    last = results.waves[-1]
    rows = []
    for code, label in results.definitions.population.attributes["region"].values.items():
        cells: list[str] = []
        for m in ("iqvt", "idc"):
            f = results.figure(last, m, Group(code, TOTAL, ALL))
            gap = next(
                (g for g in results.gaps if g.wave == last and g.measure == m and g.region == code),
                None,
            )
            cells += [
                fmt(f.value),
                SECRET if gap is None else fmt(gap.gap, signed=True) + stars(gap.test.p_value),
            ]
        rows.append({"code": code, "label": label, "cells": cells})
    return rows


def dashboard_context(results: Results, scope: str) -> dict[str, Any]:
    """Page data for one scope: a region against the nation, or the nation with its regions."""
    d = results.definitions
    indices = [i.id for i in d.indices.values() if i.kind == "index"]
    themes = [i.id for i in d.indices.values() if i.kind == "theme"]
    region = scope if scope != NATION else None
    charts = chart_data(results, region or NATION)
    if region is None:  # the nation's own charts: drop the duplicate "region" series
        for bars in charts.values():
            bars.rows[:] = [r for r in bars.rows if r["scope"] == "France"]
    watch = [w for w in results.watch if w.group.scope == scope]
    return {
        "scope": scope,
        "scope_label": results.group_label(Group(scope, TOTAL, ALL)),
        "is_nation": region is None,
        "waves": results.waves,
        "headline": measure_rows(results, scope, indices),
        "themes": measure_rows(results, scope, themes),
        "breakdowns": breakdown_tables(results, scope),
        "watch": watch_rows(results, watch),
        "regions": region_gaps(results) if region is None else [],
        "threshold": results.threshold,
        "specs": {name: chart_spec(name, bars.rows) for name, bars in charts.items()},
    }
