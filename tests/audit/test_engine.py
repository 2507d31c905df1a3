from __future__ import annotations

import sys
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from parcours.audit.engines import make_engine
from parcours.audit.engines.base import EngineError
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.engines.functions import function_map
from parcours.config import Settings


def test_engine_errors_carry_the_failing_sql() -> None:
    with DuckDBEngine(threads=1) as engine:
        with pytest.raises(EngineError) as exc:
            engine.create_table("t", "SELECT nope FROM missing_table")
        assert "missing_table" in exc.value.sql
        assert "failing SQL" in str(exc.value)


def test_local_time_and_weekday_through_the_function_map() -> None:
    with DuckDBEngine(threads=1) as engine:
        # 2024-03-31 is the switch to summer time in Paris: 01:30Z is 03:30 local, a Sunday.
        engine.register_arrow(
            "t",
            pa.table(
                {
                    "ts": pa.array(
                        [datetime(2024, 3, 31, 1, 30, tzinfo=UTC)], pa.timestamp("us", tz="UTC")
                    )
                }
            ),
        )
        row = engine.fetch_dicts(
            engine.render(
                "SELECT {{ isodow(local_ts('ts')) }} AS dow, {{ minute_of_day(local_ts('ts')) }} AS m FROM t"
            )
        )[0]
        assert row == {"dow": 7, "m": 3 * 60 + 30}


def test_spark_map_covers_every_duckdb_function() -> None:
    assert set(function_map("spark").functions) == set(function_map("duckdb").functions)


def test_spark_without_pyspark_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import pyspark` raise ImportError, as when it is absent;
    # its submodules too, in case a Spark test of the same worker imported them already.
    for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")] + [
        "pyspark"
    ]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "parcours.audit.engines.spark", raising=False)
    with pytest.raises(EngineError, match=r"parcours\[spark\].*PARCOURS_ENGINE=duckdb"):
        make_engine(Settings(engine="spark"))
