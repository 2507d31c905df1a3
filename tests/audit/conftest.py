"""A tiny interchange directory built from the scenario cases' region (real CSV files)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from parcours.audit.cases import Case, case_tables, load_case_file
from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.evaluation import Evaluation, evaluate, read_truth
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import run_pipeline

# A story for the end-to-end tests: one misuse (a colleague's file at night, printed), one
# legitimate contact (referent), one unknown agent, one unknown file, one unreadable timestamp.
CONSULTATIONS = [
    {"event_id": "e1", "ts": "2024-04-03 21:30:00", "agent_id": "A1", "de_id": "D_A2", "application": "AUDE", "action": "view"},
    {"event_id": "e2", "ts": "2024-04-10 10:45:00", "agent_id": "A1", "de_id": "D_A2", "application": "AUDE", "action": "print"},
    {"event_id": "e3", "ts": "2024-04-04T08:00:00Z", "agent_id": "A1", "de_id": "D_Y", "application": "AUDE", "action": "edit"},
    {"event_id": "e4", "ts": "2024-04-05 10:00:00", "agent_id": "OTHER-REGION", "de_id": "D_Y", "application": "MAP", "action": "view"},
    {"event_id": "e5", "ts": "2024-04-05 10:00:00", "agent_id": "A1", "de_id": "D_UNKNOWN", "application": "AUDE", "action": "view"},
    {"event_id": "e6", "ts": "not a time", "agent_id": "A1", "de_id": "D_Y", "application": "AUDE", "action": "view"},
    {"event_id": "e7", "ts": "2019-01-01 10:00:00", "agent_id": "A1", "de_id": "D_Y", "application": "AUDE", "action": "view"},
    {"event_id": "e8", "ts": "1970-01-01T00:00:00Z", "agent_id": "A1", "de_id": "D_Y", "application": "AUDE", "action": "view"},
]  # fmt: skip


def write_interchange(folder: Path, consultations: list[dict[str, str]]) -> Path:
    cf = load_case_file("w2_current_agents")
    case = Case(name="e2e", consultations=consultations, alerts=[])
    folder.mkdir(parents=True, exist_ok=True)
    for table, data in case_tables(cf, case).items():
        if table == "identity_matches":
            continue
        cols = {
            n: pa.array([None if v is None else str(v) for v in data[n].to_pylist()], pa.string())
            for n in data.column_names
        }
        pacsv.write_csv(pa.table(cols), folder / f"{table}.csv")
    return folder


@pytest.fixture
def interchange_dir(tmp_path: Path) -> Path:
    return write_interchange(tmp_path / "interchange", CONSULTATIONS)


@pytest.fixture
def story_dir(tmp_path: Path) -> Callable[[Callable[[list[dict[str, str]]], None]], Path]:
    """`story_dir(edit)`: the story's interchange directory after `edit` changed its rows in place."""

    def make(edit: Callable[[list[dict[str, str]]], None]) -> Path:
        rows = [dict(r) for r in CONSULTATIONS]
        edit(rows)
        return write_interchange(tmp_path / "story", rows)

    return make


@pytest.fixture
def repeated_interchange_dir(tmp_path: Path) -> Path:
    """The story delivered twice in part: e2 once more, e3 twice more (three repeated event ids)."""
    rows = [*CONSULTATIONS, CONSULTATIONS[1], CONSULTATIONS[2], CONSULTATIONS[2]]
    return write_interchange(tmp_path / "repeated", rows)


# -- engines: every engine test can run on DuckDB and on Spark (marker `spark`) ------------------


# The test session only ever sees a few hundred rows, where Spark's costs are compiling, not
# computing: with its production settings the JVM burnt twice the wall time in CPU on this 2-core
# machine, half of it in the JIT compiler threads, the CPU the other xdist worker needs. Measured on
# the bad-input story run 11 times in one session: 133 s wall / 225 s JVM CPU -> 87 s / 99 s.
# Settings of execution only: the SQL, the plans and the results are the same.
TINY_DATA_CONF = {
    # Expressions interpreted instead of generated Java code: every query's code is compiled by
    # Janino, then by the JIT, for rows that take microseconds to evaluate.
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    # The JIT's quick tier only: C2 kept both cores busy optimising code the tests hardly reuse.
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m",
}
# ...except the tiny-region comparison with DuckDB, which keeps Spark's production execution (generated
# code) so that both ways of evaluating an expression stay covered.
PRODUCTION_EXECUTION_MODULES = {"test_spark_same_alerts"}


@pytest.fixture(scope="session")
def spark_session() -> object:
    """One local SparkSession for the whole test run (starting a JVM costs seconds)."""
    pytest.importorskip("pyspark", reason="the `spark` extra is not installed")
    from parcours.audit.engines.spark import local_session

    # Adaptive execution off: re-planning after each shuffle is worth it on volumes, not on test rows.
    return local_session(
        master="local[2]",
        shuffle_partitions=2,
        driver_memory="1g",
        adaptive=False,
        extra_conf=TINY_DATA_CONF,
    )


@pytest.fixture(autouse=True)
def _spark_production_execution(request: pytest.FixtureRequest) -> Iterator[None]:
    """Generated code again, for the tests of PRODUCTION_EXECUTION_MODULES that use the session."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    if module not in PRODUCTION_EXECUTION_MODULES or "spark_session" not in request.fixturenames:
        yield
        return
    conf: Any = request.getfixturevalue("spark_session").conf
    keys = ("spark.sql.codegen.wholeStage", "spark.sql.codegen.factoryMode")
    for key in keys:
        conf.unset(key)  # Spark's defaults: whole-stage code generation, FALLBACK
    try:
        yield
    finally:
        for key in keys:
            conf.set(key, TINY_DATA_CONF[key])


@pytest.fixture
def open_engine(request: pytest.FixtureRequest) -> Callable[[str], AnalyticsEngine]:
    """`open_engine("duckdb" | "spark")`: a new engine of that name (Spark on the shared session)."""

    def make(name: str) -> AnalyticsEngine:
        if name == "duckdb":
            from parcours.audit.engines.duckdb import DuckDBEngine

            return DuckDBEngine(threads=1)
        from parcours.audit.engines.spark import SparkEngine

        return SparkEngine(session=request.getfixturevalue("spark_session"))

    return make


QualityRun = Callable[[Path], tuple[Evaluation, float]]


@pytest.fixture
def campaign_quality() -> QualityRun:
    """Run the campaign and the naive baseline on a generated directory over the quarter and compare
    both with its `truth.csv`: (the evaluation, the share of consultations explained)."""

    def run(directory: Path) -> tuple[Evaluation, float]:
        results = {}
        for naive in (False, True):
            with DuckDBEngine() as engine:
                results[naive] = run_pipeline(
                    engine,
                    InterchangeDirSource(directory),
                    start=date(2024, 4, 1),
                    end=date(2024, 6, 30),
                    naive=naive,
                )
        ev = evaluate(
            [(s.agent_id, s.de_id, s.level) for s in results[False].situations],
            read_truth(directory / "truth.csv"),
            naive=[(s.agent_id, s.de_id, s.level) for s in results[True].situations],
        )
        return ev, results[False].explanation.share_explained

    return run
