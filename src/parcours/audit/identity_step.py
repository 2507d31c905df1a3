"""The pipeline's identity step: Splink on the campaign's engine creates `identity_matches(de_id,
target_kind, target_id, match_probability, match_weight)` from the registered input tables.

Identity depends on the reference files only (job seekers, agents, protected persons), not on the
log: campaigns in flow run every few seconds on the same references. With a cache folder (DuckDB),
the matches are kept as Parquet under a fingerprint of exactly what they depend on — the columns
Splink reads, row by row, the trained model, the threshold and Splink's version — and reused while
none of it changes.
"""

from __future__ import annotations

import hashlib
import os
from importlib.metadata import version
from pathlib import Path

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.identity import resolve_identities as resolve_on_duckdb
from parcours.audit.identity.model import TRAINED_MODEL_PATH
from parcours.audit.identity.resolve import INPUT_COLUMNS

RESOLVER = "splink"

# The pipeline's input table for each of the resolver's roles.
INPUT_TABLES = {
    "job_seekers": "in_job_seekers",
    "agents": "in_agents",
    "protected_persons": "in_protected_persons",
}


def fingerprint(engine: AnalyticsEngine, threshold: float) -> str:
    """Order-independent digest of the identity inputs (one pass over each reference table)."""
    digest = hashlib.sha256()
    for role, table in INPUT_TABLES.items():
        cols = ", ".join(f"CAST({c} AS VARCHAR)" for c in INPUT_COLUMNS[role])
        row = engine.fetch_dicts(
            f"SELECT count(*) AS n, CAST(sum(CAST(hash({cols}) AS HUGEINT)) AS VARCHAR) AS h, "
            f"CAST(bit_xor(hash({cols}, 'x')) AS VARCHAR) AS x FROM {table}"
        )[0]
        digest.update(f"{table}:{row['n']}:{row['h']}:{row['x']};".encode())
    digest.update(TRAINED_MODEL_PATH.read_bytes())
    digest.update(
        f"threshold={threshold!r};splink={version('splink')};duckdb={version('duckdb')}".encode()
    )
    return digest.hexdigest()[:32]


def resolve_identities(
    engine: AnalyticsEngine, *, threshold: float = 0.5, cache_dir: Path | None = None
) -> str:
    """Returns the name of the resolver, recorded with the run ('splink', or 'splink (cache)')."""
    if engine.name == "spark":
        from parcours.audit.engines.spark_identity import resolve_identities_spark

        resolve_identities_spark(engine, threshold=threshold)
        return RESOLVER
    cached = cache_dir / f"identity-{fingerprint(engine, threshold)}.parquet" if cache_dir else None
    if cached is not None and cached.exists():
        engine.create_table("identity_matches", f"SELECT * FROM read_parquet('{cached}')")
        return f"{RESOLVER} (cache)"
    table = resolve_on_duckdb(engine.native_connection(), **INPUT_TABLES, threshold=threshold)
    if table != "identity_matches":
        engine.create_view("identity_matches", f"SELECT * FROM {table}")
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        for old in cached.parent.glob("identity-*.parquet"):  # matches of older references
            old.unlink(missing_ok=True)
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
        engine.execute(f"COPY (SELECT * FROM identity_matches) TO '{tmp}' (FORMAT parquet)")
        os.replace(tmp, cached)
    return RESOLVER
