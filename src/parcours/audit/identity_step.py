"""The pipeline's identity step: Splink on the campaign's engine creates `identity_matches(de_id,
target_kind, target_id, match_probability, match_weight)` from the registered input tables."""

from __future__ import annotations

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.identity import resolve_identities as resolve_on_duckdb

RESOLVER = "splink"


def resolve_identities(engine: AnalyticsEngine, *, threshold: float = 0.5) -> str:
    """Returns the name of the resolver, recorded with the run."""
    if engine.name == "spark":
        from parcours.audit.engines.spark_identity import resolve_identities_spark

        resolve_identities_spark(engine, threshold=threshold)
        return RESOLVER
    table = resolve_on_duckdb(
        engine.native_connection(),
        job_seekers="in_job_seekers",
        agents="in_agents",
        protected_persons="in_protected_persons",
        threshold=threshold,
    )
    if table != "identity_matches":
        engine.create_view("identity_matches", f"SELECT * FROM {table}")
    return RESOLVER
