"""Stand-in identity resolution, used only while `parcours.audit.identity` (Splink) has not landed.

Deliberately conservative and simple: same birth date, a shared surname token (usage or birth name,
accents and hyphens folded) and a shared given name. It produces the same table as the real
resolver so the rest of the pipeline does not change when the real one arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any, cast

from parcours.audit.engines.base import AnalyticsEngine

Resolver = Callable[..., str]


def real_resolver() -> Resolver | None:
    """The Splink-based resolver of the identity branch, when present."""
    try:
        module = import_module("parcours.audit.identity")
    except ImportError:
        return None
    fn = getattr(module, "resolve_identities", None)
    return cast(Resolver, fn) if callable(fn) else None


def resolve_identities_interim(engine: AnalyticsEngine) -> str:
    """Create `identity_matches(de_id, target_kind, target_id, match_probability, match_weight)`."""
    n = engine.functions.functions["normalize_name"]

    def tokens(alias: str, table: str, id_col: str, kind: str) -> str:
        return f"""
        SELECT {id_col} AS id, {kind} AS kind, birth_date,
               unnest(string_split({n("last_name")} || ' ' || {n("birth_name")}, ' ')) AS surname,
               {n("first_names")} AS given
        FROM {table} {alias} WHERE birth_date IS NOT NULL
        """

    engine.create_table("id_js", tokens("j", "in_job_seekers", "de_id", "'de'"))
    engine.create_table(
        "id_targets",
        tokens(
            "a",
            "in_agents",
            "agent_id",
            "CASE WHEN left_on IS NULL THEN 'agent' ELSE 'ex_agent' END",
        )
        + " UNION ALL "
        + tokens("p", "in_protected_persons", "person_id", "'protected'"),
    )
    engine.create_table(
        "identity_matches",
        """
        SELECT j.id AS de_id, t.kind AS target_kind, t.id AS target_id,
               max(CASE WHEN split_part(j.given, ' ', 1) = split_part(t.given, ' ', 1)
                        THEN 0.97 ELSE 0.90 END) AS match_probability,
               max(CASE WHEN split_part(j.given, ' ', 1) = split_part(t.given, ' ', 1)
                        THEN 5.0 ELSE 3.2 END) AS match_weight
        FROM id_js j
        JOIN id_targets t ON t.birth_date = j.birth_date AND t.surname = j.surname
        WHERE length(j.surname) >= 2
          AND list_has_any(string_split(j.given, ' '), string_split(t.given, ' '))
        GROUP BY j.id, t.kind, t.id
        """,
    )
    return "identity_matches"


def resolve_identities(engine: AnalyticsEngine, *, threshold: float = 0.5) -> tuple[str, str]:
    """Run the real resolver if available (DuckDB connection API), else the interim one.

    Returns (table name, resolver name) so that the run records which one produced the matches.
    """
    real = real_resolver()
    if real is not None and engine.name == "duckdb":
        con: Any = engine.native_connection()
        table = real(
            con,
            job_seekers="in_job_seekers",
            agents="in_agents",
            protected_persons="in_protected_persons",
            threshold=threshold,
        )
        if table != "identity_matches":
            engine.create_view("identity_matches", f"SELECT * FROM {table}")
        return "identity_matches", "splink"
    if real is not None and engine.name == "spark":
        from parcours.audit.engines.spark_identity import resolve_identities_spark

        return resolve_identities_spark(engine, threshold=threshold), "splink"
    return resolve_identities_interim(engine), "interim"
