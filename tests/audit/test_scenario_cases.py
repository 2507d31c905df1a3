"""ONE parametrised test runs every scenario's pass/fail cases (scenarios/cases/<id>.yaml)."""

from __future__ import annotations

import pytest

from parcours.audit.cases import case_ids, case_tables, load_case_file
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import TableSource
from parcours.audit.pipeline import run_pipeline
from parcours.audit.scenario import SCENARIOS_DIR, load_scenarios

CASES = case_ids()


def test_every_scenario_has_cases() -> None:
    scenario_ids = {s.id for s in load_scenarios()}
    with_cases = {sid for sid, _, _ in CASES}
    assert scenario_ids == with_cases, f"scenarios without cases: {scenario_ids - with_cases}"
    assert all((SCENARIOS_DIR / f"{sid}.sql").is_file() for sid in scenario_ids)


@pytest.mark.parametrize(
    ("scenario_id", "index", "name"), CASES, ids=[f"{s}:{n}" for s, _, n in CASES]
)
def test_scenario_case(scenario_id: str, index: int, name: str) -> None:
    cf = load_case_file(scenario_id)
    case = cf.cases[index]
    period = case.period or cf.period
    engine = DuckDBEngine(threads=1)
    try:
        result = run_pipeline(
            engine, TableSource(case_tables(cf, case)), start=period.start, end=period.end
        )
    finally:
        engine.close()
    raised = {
        (s.agent_id, s.de_id, s.level)
        for s in result.situations
        if scenario_id in s.scenarios and s.level != "none"
    }
    expected = {(a.agent_id, a.de_id, a.level) for a in case.alerts}
    details = {
        (s.agent_id, s.de_id): (s.level, s.score, s.scenarios, s.reasons) for s in result.situations
    }
    assert raised == expected, f"{name}: got {raised}, expected {expected}\n{details}"
