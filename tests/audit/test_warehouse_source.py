"""The deployment path: warehouse Parquet snapshots + the append-only consultation log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from parcours.audit.cases import Case, case_tables, load_case_file
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import TABLES, WarehouseSource
from parcours.audit.pipeline import run_pipeline
from parcours.consultlog.store import ConsultationEvent, ConsultLog
from parcours.registry.warehouse import Warehouse

ARROW = {
    "text": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "ts": pa.timestamp("us", tz="UTC"),
}


def _typed(table: str, data: pa.Table) -> pa.Table:
    """Snapshot types as `parcours import` writes them (DATE, TIMESTAMPTZ UTC, BOOLEAN)."""
    cols = {}
    for name, kind in TABLES[table].items():
        if name not in data.column_names:
            continue
        values = data[name].to_pylist()
        if kind == "date":
            values = [date.fromisoformat(v) if v else None for v in values]
        elif kind == "bool":
            values = [None if v is None else str(v).lower() == "true" for v in values]
        elif kind == "ts":
            values = [
                datetime.fromisoformat(v.replace("Z", "+00:00")) if v else None for v in values
            ]
        cols[name] = pa.array(values, ARROW[kind])
    return pa.table(cols)


def test_campaign_on_warehouse_and_consultation_log(tmp_path: Path) -> None:
    wh = Warehouse(root=tmp_path / "warehouse", log_root=tmp_path / "log")
    wh.root.mkdir(parents=True)
    cf = load_case_file("w2_current_agents")
    for table, data in case_tables(cf, Case(name="w", alerts=[])).items():
        if table in TABLES and table != "consultations":
            pq.write_table(_typed(table, data), wh.table_path(table))
    log = ConsultLog(wh.log_root)
    log.append_events(
        [
            # A colleague's file opened at night by an agent with a declared purpose: explained.
            ConsultationEvent(
                "a1",
                datetime(2024, 4, 3, 20, 0, tzinfo=UTC),
                "A1",
                "D_A2",
                "AUDE",
                "view",
                purpose="médiation",
            ),
            # The same file opened at night by another agent, no context: mandatory.
            ConsultationEvent(
                "a2", datetime(2024, 4, 3, 21, 0, tzinfo=UTC), "A4", "D_A2", "AUDE", "print"
            ),
        ]
    )
    with DuckDBEngine(threads=1) as engine:
        result = run_pipeline(
            engine, WarehouseSource(wh), start=date(2024, 4, 1), end=date(2024, 4, 30)
        )
    flagged = {(s.agent_id, s.de_id): s.level for s in result.situations if s.level != "none"}
    assert flagged == {("A4", "D_A2"): "mandatory"}
    assert result.explanation.per_explanation["purpose"] == 1
