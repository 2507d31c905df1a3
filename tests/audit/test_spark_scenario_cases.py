"""Every scenario's pass/fail cases on both engines: the same YAML cases, the same expected alerts."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from parcours.audit.cases import case_ids, case_tables, load_case_file
from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.inputs import TableSource
from parcours.audit.pipeline import run_pipeline

CASES = case_ids()
# Spark pays seconds of scheduling per pipeline even on a handful of rows: by default it runs the
# first and the last case of each scenario (a raise and a no-raise in every case file), every case
# with PARCOURS_SPARK_ALL_CASES=1. DuckDB always runs them all.
ALL_ON_SPARK = os.environ.get("PARCOURS_SPARK_ALL_CASES") == "1"
_BOUNDS = {
    sid: (min(i for s, i, _ in CASES if s == sid), max(i for s, i, _ in CASES if s == sid))
    for sid, _, _ in CASES
}


def _params() -> list[Any]:
    out = []
    for sid, index, name in CASES:
        case_id = f"{sid}:{name}"
        out.append(pytest.param("duckdb", sid, index, name, id=f"{case_id}-duckdb"))
        spark_marks = [pytest.mark.spark, pytest.mark.xdist_group("spark")]
        if index not in _BOUNDS[sid] and not ALL_ON_SPARK:
            spark_marks.append(
                pytest.mark.skip(reason="set PARCOURS_SPARK_ALL_CASES=1 to run every case on Spark")
            )
        out.append(
            pytest.param("spark", sid, index, name, id=f"{case_id}-spark", marks=spark_marks)
        )
    return out


@pytest.mark.parametrize(("engine_name", "scenario_id", "index", "name"), _params())
def test_scenario_case_on_engine(
    engine_name: str,
    scenario_id: str,
    index: int,
    name: str,
    open_engine: Callable[[str], AnalyticsEngine],
) -> None:
    cf = load_case_file(scenario_id)
    case = cf.cases[index]
    period = case.period or cf.period
    with open_engine(engine_name) as engine:
        result = run_pipeline(
            engine, TableSource(case_tables(cf, case)), start=period.start, end=period.end
        )
    raised = {
        (s.agent_id, s.de_id, s.level)
        for s in result.situations
        if scenario_id in s.scenarios and s.level != "none"
    }
    expected = {(a.agent_id, a.de_id, a.level) for a in case.alerts}
    details = {
        (s.agent_id, s.de_id): (s.level, s.score, s.scenarios, s.reasons) for s in result.situations
    }
    assert raised == expected, f"{engine_name} {name}: got {raised}, expected {expected}\n{details}"
