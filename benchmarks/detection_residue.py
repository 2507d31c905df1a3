"""Benchmark: where the remaining misses and workload lie, over several generators' regions.

Usage:
    python benchmarks/detection_residue.py --input DIR --input DIR ... [--memory 3GB]
        [--max-features 3] [--promote 0.5] [--drop 0.02]

Runs the campaign on each interchange directory (with its `truth.csv`) and prints, the inputs side
by side:
1. the misuse pairs left unexamined: never selected by a scenario, or selected and scored at level
   none. Beside the never-selected ones, the pairs of the log that have their shape (one day of
   untraced looks in the agent's usual hours at an ordinary file), misuse and legitimate: what a
   rule examining that shape would add to the lists.
2. the optional list split by conjunctions of up to `--max-features` situation features (the
   columns `situations.sql` gives the scoring, and how many agents worked on the file with a strong
   context in the period):
   - those whose misuse share is at least `--promote` on every input that has them, with at least
     15 misuse pairs in all: candidates for mandatory examination;
   - the largest whose misuse share is at most `--drop` on every input: candidates to leave out.
A rule read here must hold on every generator: the columns are the inputs, never one alone. The
seventeenth to nineteenth sessions' rules were read this way (docs/detection-measurements.md).
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from parcours.audit.engines.duckdb import DuckDBEngine
from parcours.audit.evaluation import read_truth
from parcours.audit.inputs import InterchangeDirSource
from parcours.audit.pipeline import run_pipeline
from parcours.audit.sqlfiles import sql_file

START, END = date(2024, 4, 1), date(2024, 6, 30)
MIN_PROMOTED_MISUSE = 15
MIN_DROPPED_SITUATIONS = 300

Row = Mapping[str, Any]


def _n(row: Row, key: str) -> int:
    return int(row.get(key) or 0)


# The features a rule could read, as predicates on a situation's row. Data: add one here to test it.
FEATURES: dict[str, Callable[[Row], bool]] = {
    "sensitive": lambda r: r["target_kind"] is not None,
    "ordinary": lambda r: r["target_kind"] is None,
    "colleague": lambda r: r["target_kind"] == "colleague",
    "ex_colleague": lambda r: r["target_kind"] == "ex_colleague",
    "protected": lambda r: r["target_kind"] == "protected",
    "a look with no context": lambda r: _n(r, "min_strength") == 0,
    "every look weakly explained": lambda r: _n(r, "min_strength") == 1,
    "a strong day": lambda r: _n(r, "max_strength") == 2,
    "one day": lambda r: _n(r, "days_not_strong") == 1,
    "2+ days": lambda r: _n(r, "days_not_strong") >= 2,
    "3+ days": lambda r: _n(r, "days_not_strong") >= 3,
    "3+ consultations": lambda r: _n(r, "not_strong") >= 3,
    "off-hours day": lambda r: _n(r, "off_hours_days_not_strong") >= 1,
    "usual hours only": lambda r: _n(r, "off_hours_days_not_strong") == 0,
    "print or export": lambda r: _n(r, "print_export_not_strong") >= 1,
    "other département": lambda r: _n(r, "outside_territory") == 1,
    "own département": lambda r: _n(r, "outside_territory") == 0,
    "agency context": lambda r: _n(r, "x_agency") == 1,
    "no agency context": lambda r: _n(r, "x_agency") == 0,
    "manager context": lambda r: _n(r, "x_manager") == 1,
    "unidentified call context": lambda r: _n(r, "x_call_unidentified") == 1,
    "agent: <20 untraced files": lambda r: _n(r, "agent_untraced_files") < 20,
    "agent: 100+ untraced files": lambda r: _n(r, "agent_untraced_files") >= 100,
    "agent: <=2 untraced sensitive files": lambda r: _n(r, "agent_untraced_sensitive_files") <= 2,
    "file: no strong agent": lambda r: _n(r, "strong_agents") == 0,
    "file: 3+ strong agents": lambda r: _n(r, "strong_agents") >= 3,
    "identity >= 0.95": lambda r: float(r.get("match_probability") or 1.0) >= 0.95,
    "colleague of the agency": lambda r: _n(r, "target_same_agency") == 1,
}

# One day of untraced looks within the agent's usual hours at an ordinary file, that no scenario
# selects: the shape of most misuse left unexamined, counted on the whole log.
RESIDUE_SHAPE = """
SELECT f.agent_id, f.de_id
FROM facts f
WHERE f.known_file
  AND NOT EXISTS (SELECT 1 FROM fact_targets t WHERE t.agent_id = f.agent_id AND t.de_id = f.de_id)
  AND NOT EXISTS (SELECT 1 FROM scenario_hits h WHERE h.agent_id = f.agent_id AND h.de_id = f.de_id)
GROUP BY f.agent_id, f.de_id
HAVING max(f.strength) = 0 AND count(DISTINCT f.local_date) = 1 AND NOT bool_or(f.off_hours)
"""


@dataclass
class Residue:
    name: str
    misuse: int
    never_selected: int
    at_level_none: int
    shape_misuse: int
    shape_legitimate: int
    optional: list[dict[str, Any]]  # the optional situations' rows, with `misuse`


def analyse(directory: Path, memory: str) -> Residue:
    truth = set(read_truth(directory / "truth.csv").kinds)
    t0 = time.perf_counter()
    with DuckDBEngine(memory_limit=memory) as engine:
        result = run_pipeline(engine, InterchangeDirSource(directory), start=START, end=END)
        level = {(s.agent_id, s.de_id): s.level for s in result.situations}
        pairs = [p for p, lvl in level.items() if lvl == "optional"]
        engine.register_arrow(
            "residue_optional",
            pa.table({"agent_id": [a for a, _ in pairs], "de_id": [d for _, d in pairs]}),
        )
        optional = engine.fetch_dicts(
            f"WITH s AS ({engine.render(sql_file('situations'), {})}), "
            "files AS (SELECT de_id, count(DISTINCT agent_id) AS strong_agents FROM facts "
            "WHERE strength = 2 GROUP BY de_id) "
            "SELECT s.*, coalesce(files.strong_agents, 0) AS strong_agents FROM s "
            "JOIN residue_optional o ON o.agent_id = s.agent_id AND o.de_id = s.de_id "
            "LEFT JOIN files ON files.de_id = s.de_id"
        )
        shape = engine.fetch_dicts(RESIDUE_SHAPE)
    print(f"{directory}: campaign and residue in {time.perf_counter() - t0:.1f} s")
    for row in optional:
        row["misuse"] = (row["agent_id"], row["de_id"]) in truth
    never = [p for p in truth if p not in level]
    shape_misuse = sum((r["agent_id"], r["de_id"]) in truth for r in shape)
    return Residue(
        name=directory.name,
        misuse=len(truth),
        never_selected=len(never),
        at_level_none=sum(level.get(p) == "none" for p in truth),
        shape_misuse=shape_misuse,
        shape_legitimate=len(shape) - shape_misuse,
        optional=optional,
    )


def _cell(n: int, m: int) -> str:
    return f"{m}/{n}" if n else "-"


def subgroups(
    residues: list[Residue], max_features: int, promote: float, drop: float
) -> tuple[list[str], list[str]]:
    """The optional list's conjunctions of features: (candidates to promote, to leave out)."""
    # One bit per optional situation of each input, per feature and for misuse.
    masks = []
    for res in residues:
        feature_bits = {name: 0 for name in FEATURES}
        misuse_bits = 0
        for i, row in enumerate(res.optional):
            for name, holds in FEATURES.items():
                if holds(row):
                    feature_bits[name] |= 1 << i
            if row["misuse"]:
                misuse_bits |= 1 << i
        masks.append((feature_bits, misuse_bits, (1 << len(res.optional)) - 1))
    promoted, dropped = [], []
    for k in range(1, max_features + 1):
        for combo in itertools.combinations(FEATURES, k):
            counts = []
            for feature_bits, misuse_bits, every in masks:
                bits = every
                for name in combo:
                    bits &= feature_bits[name]
                counts.append((bits.bit_count(), (bits & misuse_bits).bit_count()))
            present = [(n, m) for n, m in counts if n]
            if not present:
                continue
            total_n, total_m = sum(n for n, _ in counts), sum(m for _, m in counts)
            line = " + ".join(combo) + ": " + "  ".join(_cell(n, m) for n, m in counts)
            if total_m >= MIN_PROMOTED_MISUSE and min(m / n for n, m in present) >= promote:
                promoted.append((total_m, line))
            if total_n >= MIN_DROPPED_SITUATIONS and max(m / n for n, m in present) <= drop:
                dropped.append((total_n, line))
    return (
        [line for _, line in sorted(promoted, reverse=True)],
        [line for _, line in sorted(dropped, reverse=True)],
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--input", type=Path, action="append", required=True)
    ap.add_argument("--memory", default="3GB")
    ap.add_argument("--max-features", type=int, default=3)
    ap.add_argument("--promote", type=float, default=0.5)
    ap.add_argument("--drop", type=float, default=0.02)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()
    residues = [analyse(d, args.memory) for d in args.input]
    names = "  ".join(r.name for r in residues)
    print(f"\nmisuse pairs left unexamined (inputs: {names})")
    for label, value in (
        ("misuse pairs", lambda r: r.misuse),
        ("never selected", lambda r: r.never_selected),
        ("  of them one untraced office-hours day, ordinary file", lambda r: r.shape_misuse),
        ("  legitimate pairs of that shape in the log", lambda r: r.shape_legitimate),
        ("selected, level none", lambda r: r.at_level_none),
        ("optional situations", lambda r: len(r.optional)),
        ("  of them misuse", lambda r: sum(row["misuse"] for row in r.optional)),
    ):
        print(f"{label:<58}" + "".join(f"{value(r):>12,}" for r in residues))
    promoted, dropped = subgroups(residues, args.max_features, args.promote, args.drop)
    print(
        f"\noptional subgroups with a misuse share >= {args.promote} on every input "
        f"(misuse/situations per input), {len(promoted)} found:"
    )
    print("\n".join(promoted[: args.top]) or "  none")
    print(
        f"\nlargest optional subgroups with a misuse share <= {args.drop} on every input, "
        f"{len(dropped)} found:"
    )
    print("\n".join(dropped[: args.top]) or "  none")


if __name__ == "__main__":
    main()
