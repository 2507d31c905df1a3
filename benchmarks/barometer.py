"""Barometer benchmark: synthetic waves -> import -> results (with disclosure control) -> report.

Prints throughput, latency percentiles over repeated runs and peak memory (max RSS), with the machine
load, so the figures can be compared. Usage:

    PYTHONPATH=src python benchmarks/barometer.py [--respondents 10000] [--waves 2024-03,2024-10]
        [--repeat 3] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--respondents", type=int, default=10000, help="per wave")
    parser.add_argument("--waves", default="2024-03,2024-10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-barometer-"))
    os.environ["PARCOURS_HOME"] = str(home)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url

    from parcours.barometer.importer import import_file
    from parcours.barometer.report import write_report
    from parcours.barometer.service import barometer_results, load_responses
    from parcours.barometer.synth import SynthOptions, parse_waves, write_survey
    from parcours.db import get_engine
    from parcours.migrate import upgrade

    print(f"load before: {os.getloadavg()}")
    engine = get_engine()
    upgrade(engine)
    survey = home / "vagues.csv"
    t = time.perf_counter()
    rows = write_survey(survey, SynthOptions(parse_waves(args.waves), args.respondents, 2024))
    synth_s = time.perf_counter() - t
    print(f"synth: {rows} rows in {synth_s:.2f} s ({rows / synth_s:,.0f} rows/s)")

    t = time.perf_counter()
    report = import_file(survey, engine=engine)
    import_s = time.perf_counter() - t
    print(
        f"import ({engine.dialect.name}): {report.inserted} rows in {import_s:.2f} s ({rows / import_s:,.0f} rows/s)"
    )
    t = time.perf_counter()
    again = import_file(survey, engine=engine)
    reimport_s = time.perf_counter() - t
    print(
        f"re-import (idempotent, {again.unchanged} unchanged): {reimport_s:.2f} s ({rows / reimport_s:,.0f} rows/s)"
    )

    t = time.perf_counter()
    load_responses(engine=engine)
    print(f"load responses from the database: {time.perf_counter() - t:.2f} s")

    latencies = []
    results = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        results = barometer_results(engine=engine)
        latencies.append(time.perf_counter() - t)
    assert results is not None
    published = sum(f.published for f in results.figures.values())
    print(
        f"results (load + score + suppress + tests), {len(results.figures)} figures, {published} published: "
        f"p50 {statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
        f"max {max(latencies):.2f} s over {args.repeat} runs"
    )
    # The first run records each wave's first release; the next ones compute against it (the same
    # data: nothing new is recorded, the release is shown again).
    print(
        "  per run (first release, then re-releases): " + ", ".join(f"{s:.2f} s" for s in latencies)
    )
    t = time.perf_counter()
    write_report(results, home / "rapport", region="OCC")
    print(f"report HTML + PDF: {time.perf_counter() - t:.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    print(f"load after: {os.getloadavg()}  cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
