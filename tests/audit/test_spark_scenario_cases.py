"""Every scenario's pass/fail cases on both engines: the same YAML cases, the same expected alerts."""

from __future__ import annotations

import pytest

from parcours.audit.cases import case_ids, case_tables, load_case_file
from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.inputs import TableSource
from parcours.audit.pipeline import run_pipeline

CASES = case_ids()
ENGINES = [pytest.param("duckdb"), pytest.param("spark", marks=pytest.mark.spark)]


def open_engine(name: str, request: pytest.FixtureRequest) -> AnalyticsEngine:
    if name == "duckdb":
        from parcours.audit.engines.duckdb import DuckDBEngine

        return DuckDBEngine(threads=1)
    from parcours.audit.engines.spark import SparkEngine

    return SparkEngine(session=request.getfixturevalue("spark_session"))


@pytest.mark.parametrize("engine_name", ENGINES)
@pytest.mark.parametrize(
    ("scenario_id", "index", "name"), CASES, ids=[f"{s}:{n}" for s, _, n in CASES]
)
def test_scenario_case_on_engine(
    engine_name: str, scenario_id: str, index: int, name: str, request: pytest.FixtureRequest
) -> None:
    cf = load_case_file(scenario_id)
    case = cf.cases[index]
    period = case.period or cf.period
    with open_engine(engine_name, request) as engine:
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
