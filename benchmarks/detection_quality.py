"""Benchmark: detection quality against the ground truth, over several generated regions.

Usage:
    python benchmarks/detection_quality.py [--scale region] [--seeds 7,11] [--workdir DIR] [--keep]
        [--cover-revisits SHARE]
    python benchmarks/detection_quality.py --input DIR [--input DIR ...]

For each seed, generates the synthetic region (`parcours.synth`, with its `truth.csv`), runs the
campaign and the naive baseline (the plain campaign queries) over the quarter, and prints precision,
recall and F1 per level, the per-kind finds, the number of situations and agents to examine, the
workload reduction against the baseline and the share of consultations explained, then one summary
line per seed. The issue's targets are printed beside the figures; nothing here is tuned per seed.
`--cover-revisits SHARE` generates a robustness variant of each region, where that share of the
colleagues' cover looks is followed by one or two more looks at the same file (`parcours synth
--cover-revisits`): how the rules hold when legitimate traffic differs from the shipped generator's.
`--input DIR` evaluates an interchange directory written by another generator instead (its
`truth.csv`; with a `truth_notes.csv` of agent_id, de_id and descriptive columns, recall is also
printed per value of each column), e.g. `benchmarks/clean_room_region.py`'s.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.evaluation import Evaluation, evaluate, read_truth
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import PipelineResult, run_pipeline
from parcours.audit.scoring.score import ScoredSituation
from parcours.synth.generator import generate

START, END = date(2024, 4, 1), date(2024, 6, 30)
TARGETS = "targets: mandatory precision >= 0.90, recall >= 0.95; examined recall >= 0.99; reduction >= 10x"


def run(directory: Path, naive: bool, memory: str) -> PipelineResult:
    with DuckDBEngine(memory_limit=memory) as engine:
        return run_pipeline(
            engine, InterchangeDirSource(directory), start=START, end=END, naive=naive
        )


def evaluate_dir(directory: Path, memory: str) -> Evaluation:
    """The campaign and the naive baseline on `directory`, compared with its `truth.csv`."""
    t0 = time.perf_counter()
    campaign = run(directory, naive=False, memory=memory)
    t1 = time.perf_counter()
    naive = run(directory, naive=True, memory=memory)
    print(f"{directory}: campaign {t1 - t0:.1f} s, naive {time.perf_counter() - t1:.1f} s")
    ev = evaluate(
        [(s.agent_id, s.de_id, s.level) for s in campaign.situations],
        read_truth(directory / "truth.csv"),
        naive=[(s.agent_id, s.de_id, s.level) for s in naive.situations],
    )
    print("\n".join(ev.lines()))
    print(f"consultations explained: {campaign.explanation.share_explained:.3f}")
    if (directory / "truth_plan.csv").exists():
        print("\n".join(plan_breakdown(directory / "truth_plan.csv", campaign.situations)))
    elif (directory / "truth_notes.csv").exists():
        print("\n".join(notes_breakdown(directory / "truth_notes.csv", campaign.situations)))
    print()
    return ev


def one_seed(
    scale: str, seed: int, workdir: Path, memory: str, keep: bool, cover_revisits: float = 0.0
) -> Evaluation:
    out = workdir / (f"{scale}-{seed}" + (f"-cover{cover_revisits}" if cover_revisits else ""))
    if not (out / "truth.csv").exists():
        t0 = time.perf_counter()
        generate(
            scale=scale,
            seed=seed,
            out=out,
            progress=False,
            consultations_format="parquet",
            cover_revisits=cover_revisits,
        )
        print(f"seed {seed}: generated in {time.perf_counter() - t0:.1f} s")
    try:
        return evaluate_dir(out, memory)
    finally:
        if not keep:
            shutil.rmtree(out, ignore_errors=True)


def _recall_lines(header: str, pairs: Iterable[tuple[str, str]]) -> list[str]:
    """One line per label: the misuse pairs, those found mandatory, those examined (pairs: label,
    level found)."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for label, lvl in pairs:
        counts = found[label]
        counts[0] += 1
        counts[1] += lvl == "mandatory"
        counts[2] += lvl in ("mandatory", "optional")
    lines = [f"{header:<48}{'pairs':>6}{'mandatory':>11}{'examined':>10}"]
    for label, (n, mand, exam) in sorted(found.items()):
        lines.append(f"{label:<48}{n:>6}{mand:>11}{exam:>10}")
    return lines


def _levels(situations: list[ScoredSituation]) -> dict[tuple[str, str], str]:
    return {(s.agent_id, s.de_id): s.level for s in situations}


def plan_breakdown(plan: Path, situations: list[ScoredSituation]) -> list[str]:
    """Recall by how the misuse pairs were planned (`truth_plan.csv`): where the misses are."""
    level = _levels(situations)
    pairs = []
    with plan.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            target = "curiosity" if row["kind"] == "curiosity" else "sensitive"
            agency = "same agency" if row["same_agency"] == "true" else "other agency"
            if row["timing"] != "office":
                timing = "off-hours or mixed"
            elif row["single_view"] == "true":
                timing = "office, one view"
            else:
                timing = "office, several"
            lvl = level.get((row["agent_id"], row["de_id"]), "none")
            pairs.append((f"{target}, {agency}, {timing}", lvl))
    return _recall_lines("planned as", pairs)


MAX_NOTE_VALUES = 16


def notes_breakdown(notes: Path, situations: list[ScoredSituation]) -> list[str]:
    """Recall per value of each descriptive column of another generator's `truth_notes.csv`."""
    level = _levels(situations)
    with notes.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = [c for c in (rows[0] if rows else {}) if c not in ("agent_id", "de_id")]
    # Ids, timestamps and other columns with many values say nothing per value: left out.
    kept = [c for c in columns if len({r[c] for r in rows}) <= MAX_NOTE_VALUES]
    pairs = [
        (f"{c} = {r[c] if len(r[c]) <= 24 else r[c][:21] + '...'}", lvl)
        for r in rows
        for lvl in [level.get((r["agent_id"], r["de_id"]), "none")]
        for c in kept
    ]
    return _recall_lines("note = value", pairs)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", default="region", choices=["tiny", "demo", "region", "national"])
    ap.add_argument("--seeds", default="7,11")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--memory", default="3GB")
    ap.add_argument("--keep", action="store_true", help="keep the generated directories")
    ap.add_argument("--cover-revisits", type=float, default=0.0, help="robustness variant (0..1)")
    ap.add_argument(
        "--input", type=Path, action="append", help="evaluate this directory (repeatable)"
    )
    args = ap.parse_args()
    if args.input:
        print(f"load {os.getloadavg()[0]:.1f}; {TARGETS}\n")
        for directory in args.input:
            ev = evaluate_dir(directory, args.memory)
            print(
                f"{directory}: mandatory precision {ev.mandatory.precision:.3f}, recall "
                f"{ev.mandatory.recall:.3f}; examined recall {ev.examined.recall:.3f}; "
                f"{ev.situations} situations, {ev.reduction or 0:.1f}x\n"
            )
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="parcours-quality-"))
    seeds = [int(s) for s in args.seeds.split(",")]
    variant = f", cover revisits {args.cover_revisits}" if args.cover_revisits else ""
    print(f"scale {args.scale}, seeds {seeds}{variant}, load {os.getloadavg()[0]:.1f}; {TARGETS}\n")
    rows = [
        (seed, one_seed(args.scale, seed, workdir, args.memory, args.keep, args.cover_revisits))
        for seed in seeds
    ]
    print("seed  mand.prec  mand.rec  exam.rec  situations  naive  reduction")
    for seed, ev in rows:
        print(
            f"{seed:>4}{ev.mandatory.precision:>11.3f}{ev.mandatory.recall:>10.3f}"
            f"{ev.examined.recall:>10.3f}{ev.situations:>12}{ev.naive_situations or 0:>7}"
            f"{ev.reduction or 0:>10.1f}x"
        )


if __name__ == "__main__":
    main()
