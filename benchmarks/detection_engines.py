"""Benchmark: the same detection campaign on DuckDB (one process) and on Spark local[N], same data.

Usage:
    python benchmarks/detection_engines.py --input DIR [--start 2024-04-01 --end 2024-06-30]
                                           [--repeat 1] [--master local[2]] [--partitions 4]
                                           [--driver-memory 4g] [--engines duckdb,spark]
                                           [--alerts-dir DIR]

DIR is an interchange directory (`parcours synth --scale tiny|demo|region --seed 1 --out DIR`).
Each repetition runs the full pipeline (identity resolution with Splink, every scenario,
explanations, hours, scoring) in a fresh engine; Spark's session is started once and its start-up
is reported apart. Prints wall time per step and in total (p50/p95 over the repetitions),
throughput, peak memory (this process for DuckDB; the Spark JVM's own peak, VmHWM, for Spark),
whether both engines raised the same alerts, and the machine load before and after.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from detection_campaign import add_campaign_arguments, peak_rss_gb, percentile

from parcours.audit.engines.base import AnalyticsEngine
from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import PipelineResult, run_pipeline

Alerts = dict[tuple[str, str], tuple[str, float]]


def jvm_peak_rss_gb(session: Any) -> float:
    """Peak resident memory of the Spark driver JVM (local mode: executors live in it too)."""
    pid = int(session._jvm.java.lang.ProcessHandle.current().pid())
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def alerts_of(result: PipelineResult) -> Alerts:
    return {(s.agent_id, s.de_id): (s.level, round(s.score, 6)) for s in result.situations}


def write_alerts(path: Path, alerts: Alerts) -> None:
    """One engine's situations as CSV, to compare runs made in separate processes (national)."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["agent_id", "de_id", "level", "score"])
        for (agent, de), (level, score) in sorted(alerts.items()):
            w.writerow([agent, de, level, f"{score:.6f}"])


def read_alerts(path: Path) -> Alerts:
    with path.open(newline="") as f:
        return {
            (r["agent_id"], r["de_id"]): (r["level"], float(r["score"])) for r in csv.DictReader(f)
        }


def run(
    label: str, make: Callable[[], AnalyticsEngine], args: argparse.Namespace
) -> tuple[Alerts, list[float]]:
    source = InterchangeDirSource(args.input)
    totals: list[float] = []
    steps: dict[str, list[float]] = {}
    alerts: Alerts = {}
    consultations = 0
    for i in range(args.repeat):
        engine = make()
        t0 = time.perf_counter()

        def progress(step: str, run: int = i + 1, t0: float = t0) -> None:
            # Printed as each step ends, so that a run stopped by a deadline still tells how far it got.
            print(
                f"  {label} run {run}: {step} done at {time.perf_counter() - t0:.1f} s",
                flush=True,
            )

        try:
            result = run_pipeline(engine, source, start=args.start, end=args.end, on_step=progress)
        finally:
            engine.close()
        totals.append(time.perf_counter() - t0)
        for k, v in result.timings.items():
            steps.setdefault(k, []).append(v)
        consultations = result.explanation.consultations
        alerts = alerts_of(result)
        raised = sum(1 for level, _ in alerts.values() if level != "none")
        print(
            f"{label} run {i + 1}: {totals[-1]:.1f} s, {consultations} consultations, "
            f"{raised} alerts, {result.identity_matches} identity matches ({result.identity_resolver})"
        )
    print(
        f"{label}: p50 {percentile(totals, 0.5):.1f} s, p95 {percentile(totals, 0.95):.1f} s; "
        f"{consultations / statistics.median(totals):,.0f} consultations/s"
    )
    for k, v in steps.items():
        print(f"  {label} step {k:<13} p50 {percentile(v, 0.5):7.1f} s")
    return alerts, totals


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_campaign_arguments(ap)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=4, help="Spark shuffle partitions")
    ap.add_argument("--driver-memory", default="4g")
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument(
        "--alerts-dir",
        type=Path,
        help="write each engine's situations to DIR/<engine>.csv and compare with a file left "
        "there by an earlier run of the other engine",
    )
    args = ap.parse_args()
    engines = args.engines.split(",")
    print(f"load before: {os.getloadavg()}")
    results: dict[str, Alerts] = {}
    if "duckdb" in engines:
        results["duckdb"], _ = run(
            "duckdb", lambda: DuckDBEngine(threads=args.threads, memory_limit=args.memory), args
        )
        print(f"duckdb peak memory (RSS of this process): {peak_rss_gb():.2f} GB")
    if "spark" in engines:
        from parcours.audit.engines.spark import SparkEngine, local_session

        t0 = time.perf_counter()
        session = local_session(
            master=args.master,
            shuffle_partitions=args.partitions,
            driver_memory=args.driver_memory,
        )
        print(f"spark session start ({args.master}): {time.perf_counter() - t0:.1f} s")
        results["spark"], _ = run("spark", lambda: SparkEngine(session=session), args)
        print(f"spark peak memory (driver JVM, VmHWM): {jvm_peak_rss_gb(session):.2f} GB")
        session.stop()
    if args.alerts_dir:
        args.alerts_dir.mkdir(parents=True, exist_ok=True)
        for label, alerts in results.items():
            write_alerts(args.alerts_dir / f"{label}.csv", alerts)
        for label in ("duckdb", "spark"):
            earlier = args.alerts_dir / f"{label}.csv"
            if label not in results and earlier.exists():
                results[label] = read_alerts(earlier)
                print(f"{label} situations read from {earlier}")
    if len(results) == 2:
        same = results["duckdb"] == results["spark"]
        print(f"same alerts (pairs, levels, scores to 1e-6): {same}")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
