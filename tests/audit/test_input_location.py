"""Inputs are found by the engine that reads them: local folders, and storage URIs on a cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import InterchangeDirSource
from parcours.errors import InvalidInput

SPARK = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=SPARK)])
def engine(request: pytest.FixtureRequest) -> Iterator[AnalyticsEngine]:
    if request.param == "duckdb":
        made: AnalyticsEngine = DuckDBEngine(threads=1)
    else:
        from parcours.audit.engines.spark import SparkEngine

        made = SparkEngine(session=request.getfixturevalue("spark_session"))
    yield made
    made.close()


def test_list_files_sees_one_file_a_partitioned_folder_and_nothing(
    engine: AnalyticsEngine, tmp_path: Path
) -> None:
    (tmp_path / "agents.csv").write_text("agent_id\nA1\n", encoding="utf-8")
    for day in ("2024-04-01", "2024-04-02"):
        (tmp_path / "consultations" / f"day={day}").mkdir(parents=True)
        (tmp_path / "consultations" / f"day={day}" / "part-0.parquet").write_bytes(b"PAR1")

    def names(uri: str) -> list[str]:
        return [f.split(str(tmp_path), 1)[1] for f in engine.list_files(uri)]

    assert names(str(tmp_path / "agents.csv")) == ["/agents.csv"]
    assert names(str(tmp_path / "consultations")) == [
        "/consultations/day=2024-04-01/part-0.parquet",
        "/consultations/day=2024-04-02/part-0.parquet",
    ]
    assert engine.list_files(str(tmp_path / "missing.csv")) == []


def test_an_interchange_uri_reads_like_the_local_folder(
    engine: AnalyticsEngine, interchange_dir: Path
) -> None:
    """`file://` stands for any storage scheme: located and read by the engine, not by Python."""
    source = InterchangeDirSource(f"file://{interchange_dir}")
    assert source.is_remote and source.describe() == f"interchange:file://{interchange_dir}"
    source.register(engine)
    assert engine.scalar("SELECT count(*) FROM in_consultations") == 8
    assert engine.scalar("SELECT count(*) FROM in_agents") > 0


def test_a_uri_without_the_required_files_names_them(
    engine: AnalyticsEngine, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput) as err:
        InterchangeDirSource(f"file://{tmp_path}/nothing-here").register(engine)
    files = {Path(i.file).name for i in err.value.issues}
    assert "consultations.csv" in files and "agents.csv" in files
