"""Analytics engines behind one interface: DuckDB by default, Spark later (imported only when chosen)."""

from __future__ import annotations

from parcours.audit.engines.base import AnalyticsEngine, EngineError
from parcours.config import Settings, get_settings


def make_engine(settings: Settings | None = None) -> AnalyticsEngine:
    """The engine selected by `Settings.engine`."""
    s = settings or get_settings()
    if s.engine == "duckdb":
        from parcours.audit.engines.duckdb import DuckDBEngine

        return DuckDBEngine(memory_limit=s.duckdb_memory_limit, threads=s.duckdb_threads)
    raise EngineError(
        f"engine {s.engine!r} is not available in this build: the Spark backend (issue 9) "
        "is not implemented yet; set PARCOURS_ENGINE=duckdb",
        sql="",
    )


__all__ = ["AnalyticsEngine", "EngineError", "make_engine"]
