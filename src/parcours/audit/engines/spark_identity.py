"""Identity resolution on Spark: the identity package's preparation, scored by Splink's Spark backend.

The record preparation and the name frequencies are the identity package's own functions
(`prepare_records`, `term_frequency_tables`), run through a small adapter that gives them the three
calls of a DuckDB connection they use; the model is the same trained one, its SQL translated for
Spark by `settings_for_engine("spark")`. Same records, same model, so the same matches as DuckDB.
"""

from __future__ import annotations

import itertools
from typing import Any

import pyarrow as pa

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.identity.model import settings_for_engine
from parcours.audit.identity.prepare import Source, prepare_records
from parcours.audit.identity.scoring import term_frequency_tables

OUTPUT_TABLE = "identity_matches"
_runs = itertools.count()


class _Rows:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


class EngineConnection:
    """What `prepare_records` and `term_frequency_tables` call on a DuckDB connection, on any engine."""

    def __init__(self, engine: AnalyticsEngine) -> None:
        self._engine = engine

    def execute(self, sql: str) -> _Rows:
        head = sql.lstrip().upper()
        if head.startswith(("CREATE", "DROP")):
            self._engine.execute(sql)
            return _Rows([])
        table = self._engine.fetch_arrow(sql)
        return _Rows([tuple(r.values()) for r in table.to_pylist()])

    def register(self, name: str, table: pa.Table) -> None:
        self._engine.register_arrow(name, table)

    def unregister(self, name: str) -> None:
        self._engine.execute(f"DROP VIEW IF EXISTS {name}")


def resolve_identities_spark(engine: AnalyticsEngine, *, threshold: float) -> str:
    """Create `identity_matches` (same columns as the DuckDB resolver) from the `in_*` views."""
    from splink import Linker, SparkAPI

    con: Any = EngineConnection(engine)
    prepare_records(
        con, [Source("in_job_seekers", "de_id", "'job_seeker'", "department_code")], "idl"
    )
    prepare_records(
        con,
        [
            Source(
                "in_agents",
                "agent_id",
                "CASE WHEN left_on IS NULL THEN 'agent' ELSE 'ex_agent' END",
            ),
            Source("in_protected_persons", "person_id", "'protected'", "department_code"),
        ],
        "idr",
    )
    tf = term_frequency_tables(con, ["idl", "idr"], "idtf")
    # Splink names its tables per Linker; a run number keeps two campaigns in one session apart.
    run = next(_runs)
    db_api = SparkAPI(  # type: ignore[no-untyped-call]
        spark_session=engine.native_connection(), break_lineage_method="persist"
    )
    left = db_api.register("idl", table_name=f"identity_left_{run}")
    right = db_api.register("idr", table_name=f"identity_right_{run}")
    linker = Linker(
        [left, right], settings_for_engine("spark"), log_level=None, validate_settings=False
    )
    for column, table in tf.items():
        linker.table_management.register_term_frequency_lookup(
            db_api.register(table, table_name=f"identity_tf_{column}_{run}"), column
        )
    predictions = linker.inference.predict_between(
        left, right, threshold_match_probability=threshold, warning_mode="never"
    )
    # One row per pair of people: the best pair of their surname variants, as the DuckDB path does.
    engine.create_table(
        OUTPUT_TABLE,
        f"""
        SELECT CAST(substr(person_key_l, length('job_seeker:') + 1) AS VARCHAR) AS de_id,
               CAST(kind_r AS VARCHAR) AS target_kind,
               CAST(substr(person_key_r, length(kind_r) + 2) AS VARCHAR) AS target_id,
               CAST(max(match_probability) AS DOUBLE) AS match_probability,
               CAST(max(match_weight) AS DOUBLE) AS match_weight
        FROM {predictions.physical_name}
        WHERE match_probability > {float(threshold)!r}
        GROUP BY person_key_l, person_key_r, kind_r
        """,
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    linker.table_management.delete_tables_created_by_splink_from_db()  # type: ignore[no-untyped-call]
    # Splink persists its intermediate tables (blocked pairs, names with frequencies): at national
    # scale tens of GB on the executors' local disks, kept for the rest of the campaign unless
    # released. The engine's own tables are local checkpoints, not cached, so this frees Splink's only.
    engine.native_connection().catalog.clearCache()
    for table in ("idl", "idr", *tf.values()):
        engine.execute(f"DROP TABLE IF EXISTS {table}")
    return OUTPUT_TABLE
