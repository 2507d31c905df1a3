"""The pipeline's identity step: Splink on the campaign's engine creates `identity_matches(de_id,
target_kind, target_id, match_probability, match_weight)` from the registered input tables.

Identity depends on the reference files only (job seekers, agents, protected persons), not on the
log: campaigns in flow run every few seconds on the same references. With a cache folder (either
engine), the matches are kept as Parquet under a fingerprint of exactly what they depend on -- the
columns Splink reads, row by row, the trained model, the threshold, the engine and the libraries'
versions -- and reused while none of it changes.
"""

from __future__ import annotations

import hashlib
import os
from importlib.metadata import version
from pathlib import Path

import pyarrow.parquet as pq

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
    """Order-independent digest of the identity inputs (one pass over each reference table).

    Written once for both engines: each row's columns joined by a control character and hashed
    with the function map's 64-bit hash, summed (as a decimal, no overflow) and xor-ed.
    """
    digest = hashlib.sha256()
    for role, table in INPUT_TABLES.items():
        row_text = (
            "concat_ws(chr(31), "
            + ", ".join(f"CAST({c} AS VARCHAR)" for c in INPUT_COLUMNS[role])
            + ")"
        )
        salted = f"concat_ws(chr(31), {row_text}, 'x')"
        row = engine.fetch_dicts(
            engine.render(
                "SELECT count(*) AS n, "
                "CAST(sum(CAST({{ hash64(p.r) }} AS DECIMAL(38, 0))) AS VARCHAR) AS h, "
                "CAST(bit_xor({{ hash64(p.s) }}) AS VARCHAR) AS x "
                f"FROM {table}",
                {"r": row_text, "s": salted},
            )
        )[0]
        digest.update(f"{table}:{row['n']}:{row['h']}:{row['x']};".encode())
    digest.update(TRAINED_MODEL_PATH.read_bytes())
    library = "pyspark" if engine.name == "spark" else "duckdb"
    digest.update(
        f"engine={engine.name};threshold={threshold!r};splink={version('splink')};"
        f"{library}={version(library)}".encode()
    )
    return digest.hexdigest()[:32]


def resolve_identities(
    engine: AnalyticsEngine, *, threshold: float = 0.5, cache_dir: Path | None = None
) -> str:
    """Returns the name of the resolver, recorded with the run ('splink', or 'splink (cache)').

    The matches are small (tens of thousands of rows nationally): they are kept and read back
    through the driver as Arrow, so the cache works the same on DuckDB and on a Spark cluster,
    whose executors need not see the cache folder.
    """
    cached = cache_dir / f"identity-{fingerprint(engine, threshold)}.parquet" if cache_dir else None
    if cached is not None and cached.exists():
        engine.register_arrow("identity_matches", pq.read_table(cached))
        return f"{RESOLVER} (cache)"
    if engine.name == "spark":
        from parcours.audit.engines.spark_identity import resolve_identities_spark

        resolve_identities_spark(engine, threshold=threshold)
    else:
        table = resolve_on_duckdb(
            engine.native_connection(),
            **INPUT_TABLES,
            threshold=threshold,
            processes=engine.threads,
        )
        if table != "identity_matches":
            engine.create_view("identity_matches", f"SELECT * FROM {table}")
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        for old in cached.parent.glob("identity-*.parquet"):  # matches of older references
            old.unlink(missing_ok=True)
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
        pq.write_table(engine.fetch_arrow("SELECT * FROM identity_matches"), tmp)
        os.replace(tmp, cached)
    return RESOLVER
