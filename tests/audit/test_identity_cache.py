"""Identity matches are reused while the reference files, the model and the threshold are unchanged,
and recomputed as soon as one of them changes."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import DetectionConfig, PipelineResult, run_pipeline
from parcours.synth.generator import DEFAULT_PERIOD, generate

pytestmark = pytest.mark.slow


def _run(
    region: Path, cache: Path, *, threshold: float = 0.5, engine: AnalyticsEngine | None = None
) -> tuple[PipelineResult, list]:
    config = DetectionConfig.load()
    config.min_match_probability = threshold
    own = engine is None
    engine = engine or DuckDBEngine(threads=1)
    try:
        result = run_pipeline(
            engine, InterchangeDirSource(region), start=DEFAULT_PERIOD.start,
            end=DEFAULT_PERIOD.end, config=config, identity_cache=cache,
        )  # fmt: skip
        matches = engine.fetch_arrow(
            "SELECT * FROM identity_matches ORDER BY de_id, target_id"
        ).to_pylist()
    finally:
        if own:
            engine.close()
    return result, matches


def _alerts(result: PipelineResult) -> list[tuple[str, str, str, float]]:
    return sorted((s.agent_id, s.de_id, s.level, s.score) for s in result.situations)


def test_identity_cache_is_reused_then_invalidated(tmp_path: Path) -> None:
    region, cache = tmp_path / "region", tmp_path / "cache"
    generate(scale="tiny", seed=5, out=region, progress=False, consultations_format="parquet")
    first, matches = _run(region, cache)
    again, matches_again = _run(region, cache)
    assert (first.identity_resolver, again.identity_resolver) == ("splink", "splink (cache)")
    assert matches and matches_again == matches
    assert _alerts(again) == _alerts(first)
    assert len(list(cache.glob("identity-*.parquet"))) == 1

    # Another threshold is another result: recomputed.
    other, _ = _run(region, cache, threshold=0.9)
    assert other.identity_resolver == "splink"

    # One job seeker renamed: the references changed, recomputed.
    changed = tmp_path / "changed"
    shutil.copytree(region, changed)
    path = changed / "job_seekers.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["last_name"] = rows[0]["last_name"] + "X"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    recomputed, _ = _run(changed, cache)
    assert recomputed.identity_resolver == "splink"
    assert len(list(cache.glob("identity-*.parquet"))) == 1, "older matches are removed"


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_identity_cache_on_spark(tmp_path: Path, spark_session: object) -> None:
    """Spark keeps and reuses its matches the same way (read back through the driver)."""
    from parcours.audit.engines.spark import SparkEngine

    region, cache = tmp_path / "region", tmp_path / "cache"
    generate(scale="tiny", seed=5, out=region, progress=False, consultations_format="parquet")
    first, matches = _run(region, cache, engine=SparkEngine(session=spark_session))
    again, matches_again = _run(region, cache, engine=SparkEngine(session=spark_session))
    assert (first.identity_resolver, again.identity_resolver) == ("splink", "splink (cache)")
    assert matches and matches_again == matches
    assert _alerts(again) == _alerts(first)
    assert len(list(cache.glob("identity-*.parquet"))) == 1
