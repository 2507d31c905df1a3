"""Analytics engines behind one interface: DuckDB by default, Spark imported only when chosen."""

from __future__ import annotations

from parcours.audit.engines.base import AnalyticsEngine, EngineError
from parcours.config import Settings, get_settings


def make_engine(settings: Settings | None = None) -> AnalyticsEngine:
    """The engine selected by `Settings.engine`."""
    s = settings or get_settings()
    if s.engine == "duckdb":
        from parcours.audit.engines.duckdb import DuckDBEngine

        return DuckDBEngine(memory_limit=s.duckdb_memory_limit, threads=s.duckdb_threads)
    try:
        from parcours.audit.engines.spark import SparkEngine, local_session
    except ImportError as exc:
        raise EngineError(
            f"engine 'spark' needs PySpark, which is not installed ({exc}): "
            "install the extra with `pip install 'parcours[spark]'` (and Java 17), "
            "or set PARCOURS_ENGINE=duckdb",
            sql="",
        ) from exc
    session = local_session(
        master=s.spark_master,
        shuffle_partitions=s.spark_shuffle_partitions,
        driver_memory=s.spark_driver_memory,
    )
    return SparkEngine(session=session)


__all__ = ["AnalyticsEngine", "EngineError", "make_engine"]
