"""What-if throughput: a draft rule set against the adopted one over 1M synthetic interviews.

Goal (issue 6): 1M interviews in <= 60 s. Prints throughput, latency percentiles of 100k-row
batches, peak memory, and the plain (scalar) evaluator's rate for comparison.
Run: PYTHONPATH=src python benchmarks/orientation_whatif.py [--rows 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date

import numpy as np

from parcours.orientation.evaluator import evaluate
from parcours.orientation.library import RULES_DIR, default_library
from parcours.orientation.synth import STANDALONE_AGENCIES, decode_row, sample_columns
from parcours.orientation.vectorised import evaluate_columns
from parcours.orientation.whatif import compare_columns

BATCH = 100_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scalar-rows", type=int, default=5_000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")

    library = default_library()
    draft = library.load_draft(RULES_DIR / "drafts" / "2026-01-projet.yaml")
    baseline = library.chart_at(date(2025, 5, 1))
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    columns = sample_columns(rng, args.rows, library)
    deps = np.array([d for _, d, _ in STANDALONE_AGENCIES])[rng.integers(0, 15, args.rows)]
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = compare_columns(
        columns, deps, at=draft.effective_from, draft=draft, library=library, baseline=baseline
    )
    t_whatif = time.perf_counter() - t0

    latencies = []
    for start in range(0, args.rows, BATCH):
        sub = {k: v[start : start + BATCH] for k, v in columns.items()}
        t0 = time.perf_counter()
        evaluate_columns(
            sub, deps[start : start + BATCH], at=draft.effective_from, library=library, chart=draft
        )
        latencies.append(time.perf_counter() - t0)

    n_scalar = min(args.scalar_rows, args.rows)
    records = [decode_row(library, columns, i) for i in range(n_scalar)]
    t0 = time.perf_counter()
    for i, answers in enumerate(records):
        evaluate(
            answers, at=draft.effective_from, department=str(deps[i]), library=library, chart=draft
        )
    t_scalar = time.perf_counter() - t0

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lat = np.array(latencies) * 1000
    print(f"rows: {args.rows:,}  (generation {t_gen:.2f} s)")
    print(
        f"what-if (baseline {result.baseline} + draft {result.draft_version}, 2 full evaluations): "
        f"{t_whatif:.2f} s, {args.rows / t_whatif:,.0f} interviews/s"
    )
    print(
        f"draft evaluation per {BATCH:,}-row batch: p50 {np.percentile(lat, 50):.0f} ms, "
        f"p95 {np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms"
    )
    print(
        f"scalar evaluator with French trace: {n_scalar / t_scalar:,.0f} interviews/s "
        f"({t_scalar / n_scalar * 1e6:.0f} µs each)"
    )
    print(f"peak RSS: {peak_mb:,.0f} MB")
    for stage, mv in result.stages.items():
        print(f"  {stage}: {mv.moved:,} moved ({mv.moved / args.rows:.1%})")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
