"""Every timestamp spelling the interchange contract allows is read as the same instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.inputs import register_normalised

# 2024-04-01 07:05:16 UTC is 09:05:16 in Paris (summer time).
SPELLINGS = {
    "2024-04-01T09:05:16": 16,  # naive: Europe/Paris local time
    "2024-04-01 09:05:16": 16,
    "2024-04-01T09:05:16.000": 16,
    "2024-04-01T09:05": 0,
    "2024-04-01T07:05:16Z": 16,
    "2024-04-01T07:05:16.000Z": 16,
    "2024-04-01T09:05:16+02:00": 16,
    "2024-04-01T09:05:16+0200": 16,
    "2024-04-01T09:05:16+02": 16,
    "2024-04-01T07:05:16+00": 16,  # an hours-only offset is an offset, not Paris time
    "2024-04-01T07:05+00:00": 0,
    "2024-04-01T04:05:16-03:00": 16,
    " 2024-04-01T07:05:16Z ": 16,
}


def _read(engine: AnalyticsEngine) -> list[tuple[str, datetime]]:
    spellings = list(SPELLINGS)
    raw = pa.table({"event_id": [str(i) for i in range(len(spellings))], "ts": spellings})
    engine.register_arrow("raw_consultations", raw)
    register_normalised(engine, "consultations", "raw_consultations")
    rows = engine.fetch_arrow("SELECT event_id, ts FROM in_consultations").to_pylist()
    return [(spellings[int(r["event_id"])], r["ts"]) for r in rows]


@pytest.mark.parametrize(
    "engine_name",
    ["duckdb", pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.xdist_group("spark")])],
)
def test_contract_timestamp_spellings_give_one_instant(
    engine_name: str, open_engine: Callable[[str], AnalyticsEngine]
) -> None:
    engine = open_engine(engine_name)
    try:
        read = _read(engine)
    finally:
        if engine_name == "duckdb":
            engine.close()
    assert len(read) == len(SPELLINGS)
    for spelling, ts in read:
        expected = datetime(2024, 4, 1, 7, 5, SPELLINGS[spelling], tzinfo=UTC)
        assert ts is not None, spelling
        assert ts.astimezone(UTC) == expected, spelling


def test_a_campaign_reads_local_times_as_the_import_does() -> None:
    """Around both daylight-saving changes, a campaign's fast local-time arithmetic gives the same
    instants as `parcours import` (docs/formats.md: the skipped spring hour is shifted forward, the
    repeated autumn hour is standard time); forms the contract refuses are unreadable."""
    import duckdb

    from parcours.audit.engines.duckdb import DuckDBEngine
    from parcours.registry.validation import timestamp_expression

    naive = [
        (day + timedelta(minutes=15 * k)).strftime("%Y-%m-%dT%H:%M:%S")
        for day in (datetime(2024, 3, 30, 22), datetime(2024, 10, 26, 22))
        for k in range(7 * 4)
    ]
    refused = ["2024-04-02", "2024-04-02T10:00:00+25:00", "2024-04-02T10:00:00+02:75"]
    values = naive + refused
    raw = pa.table({"event_id": [str(i) for i in range(len(values))], "ts": values})
    with DuckDBEngine(threads=1) as engine:
        engine.functions.for_period(date(2024, 1, 1), date(2024, 12, 31))
        engine.register_arrow("raw_consultations", raw)
        register_normalised(engine, "consultations", "raw_consultations")
        rows = engine.fetch_arrow("SELECT event_id, ts FROM in_consultations").to_pylist()
    campaign = {values[int(r["event_id"])]: r["ts"] for r in rows}
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [(v,) for v in naive])
    expression = timestamp_expression("v", "Europe/Paris")
    imported = dict(con.execute(f"SELECT v, {expression} FROM t").fetchall())
    con.close()
    assert {v: campaign[v] for v in naive} == imported
    assert [campaign[v] for v in refused] == [None] * len(refused)
