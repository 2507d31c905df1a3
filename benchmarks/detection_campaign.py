"""Benchmark: a whole detection campaign against the floor of one DuckDB group-by pass over the log.

Usage:
    python benchmarks/detection_campaign.py --input DIR [--start 2024-04-01 --end 2024-06-30]
                                            [--repeat 3] [--threads 2] [--memory 3GB]

DIR is an interchange directory (e.g. `parcours synth --scale region --seed 1 --out DIR`, 20M
consultations). Each repetition runs the full pipeline (identity resolution, every scenario,
explanations, hours, scoring) in a fresh engine. Prints throughput, per-step and total latency
percentiles over the repetitions, the ratio to the group-by floor, peak memory (RSS of this
process, DuckDB included) and the machine load.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import run_pipeline


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process (DuckDB's threads included): comparable under a busy machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def add_campaign_arguments(ap: argparse.ArgumentParser) -> None:
    """The arguments every detection benchmark takes: input, period, repetitions, DuckDB's limits."""
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--start", type=date.fromisoformat, default=date(2024, 4, 1))
    ap.add_argument("--end", type=date.fromisoformat, default=date(2024, 6, 30))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    ap.add_argument("--memory", default="3GB", help="DuckDB memory limit")


def group_by_floor(
    source: InterchangeDirSource, threads: int, memory: str
) -> tuple[float, float, int]:
    """One pass over the raw log: count consultations per (agent, file)."""
    engine = DuckDBEngine(threads=threads, memory_limit=memory)
    try:
        found = source.locate(engine, "consultations")
        assert found is not None, "no consultations in the input directory"
        raw = engine.read_files(found[0], file_format=found[1])
        t0, c0 = time.perf_counter(), cpu_seconds()
        n = engine.scalar(
            f"SELECT count(*) FROM (SELECT agent_id, de_id, count(*) AS n FROM {raw} GROUP BY agent_id, de_id)"
        )
        return time.perf_counter() - t0, cpu_seconds() - c0, int(n)
    finally:
        engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_campaign_arguments(ap)
    ap.add_argument(
        "--identity-cache",
        type=Path,
        default=None,
        help="reuse identity matches from this folder (as campaigns in flow do); default: computed",
    )
    args = ap.parse_args()
    source = InterchangeDirSource(args.input)
    print(f"load before: {os.getloadavg()}")
    floor, floor_cpu, pairs = group_by_floor(source, args.threads, args.memory)
    print(
        f"floor: one group-by pass over the log: {floor:.2f} s wall, {floor_cpu:.2f} s CPU "
        f"({pairs} agent x file pairs)"
    )
    totals: list[float] = []
    cpus: list[float] = []
    steps: dict[str, list[float]] = {}
    consultations = 0
    for i in range(args.repeat):
        engine = DuckDBEngine(threads=args.threads, memory_limit=args.memory)
        t0, c0 = time.perf_counter(), cpu_seconds()
        try:
            result = run_pipeline(
                engine, source, start=args.start, end=args.end, identity_cache=args.identity_cache
            )
        finally:
            engine.close()
        total = time.perf_counter() - t0
        totals.append(total)
        cpus.append(cpu_seconds() - c0)
        for k, v in result.timings.items():
            steps.setdefault(k, []).append(v)
        consultations = result.explanation.consultations
        alerts = sum(1 for s in result.situations if s.level != "none")
        print(
            f"run {i + 1}: {total:.1f} s wall, {cpus[-1]:.1f} s CPU, {consultations} consultations, "
            f"{alerts} alerts, identity resolver {result.identity_resolver}"
        )
    p50, p95 = percentile(totals, 0.5), percentile(totals, 0.95)
    print(f"campaign: p50 {p50:.1f} s, p95 {p95:.1f} s, max {max(totals):.1f} s")
    print(f"throughput: {consultations / statistics.median(totals):,.0f} consultations/s")
    print(
        f"ratio campaign / group-by floor: {statistics.median(totals) / floor:.1f} (wall), "
        f"{statistics.median(cpus) / floor_cpu:.1f} (CPU)"
    )
    for k, v in steps.items():
        print(f"  step {k:<13} p50 {percentile(v, 0.5):6.1f} s  p95 {percentile(v, 0.95):6.1f} s")
    print(f"peak memory (RSS): {peak_rss_gb():.2f} GB")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
