"""On a tiny synthetic region, DuckDB and Spark raise the same alerts: same pairs, levels, scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import PipelineResult, run_pipeline
from parcours.synth.generator import DEFAULT_PERIOD, generate

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]


def _alerts(result: PipelineResult) -> dict[tuple[str, str], tuple[str, float, str]]:
    return {
        (s.agent_id, s.de_id): (s.level, round(s.score, 6), s.main_scenario)
        for s in result.situations
    }


def test_duckdb_and_spark_raise_the_same_alerts(tmp_path: Path, spark_session: object) -> None:
    from parcours.audit.engines.spark import SparkEngine

    region = tmp_path / "region"
    generate(scale="tiny", seed=7, out=region, progress=False, consultations_format="parquet")
    source = InterchangeDirSource(region)
    start, end = DEFAULT_PERIOD.start, DEFAULT_PERIOD.end
    with DuckDBEngine(threads=1) as duck:
        expected = run_pipeline(duck, source, start=start, end=end)
    with SparkEngine(session=spark_session) as spark:  # type: ignore[arg-type]
        got = run_pipeline(spark, source, start=start, end=end)

    assert got.identity_resolver == expected.identity_resolver == "splink"
    assert got.identity_matches == expected.identity_matches
    assert got.inputs == expected.inputs
    assert got.explanation == expected.explanation
    raised = {k: v for k, v in _alerts(got).items() if v[0] != "none"}
    assert raised, "the tiny region must raise alerts, or the comparison proves nothing"
    assert _alerts(got) == _alerts(expected)
