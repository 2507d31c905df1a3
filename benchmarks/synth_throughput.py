"""Synth throughput: rows written per second and peak memory, per scale.

Usage: python benchmarks/synth_throughput.py [demo region national] [--seed N] [--keep DIR]
Each scale runs in a fresh subprocess so that its peak memory (max RSS) is its own.
Prints wall time, consultation rows/s, all rows/s, latency percentiles of the consultation chunks
(the unit of out-of-core work), peak RSS, the machine's load and CPU count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, sys, time
from pathlib import Path
from parcours.synth import generate
began = time.perf_counter()
s = generate(scale=sys.argv[1], seed=int(sys.argv[2]), out=Path(sys.argv[3]), progress=False)
print(json.dumps({"seconds": time.perf_counter() - began, "rows": s.rows, "truth": s.truth,
                  "chunks": s.chunk_seconds}))
"""


def run(scale: str, seed: int, out: Path) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, scale, str(seed), str(out)],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - began
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(done.stdout.strip().splitlines()[-1])
    rows: dict[str, int] = result["rows"]
    chunks = sorted(result["chunks"])

    def pct(q: float) -> float:
        return round(chunks[min(len(chunks) - 1, int(q * len(chunks)))], 2)

    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {
        "scale": scale,
        "wall_s": round(wall, 1),
        "generate_s": round(result["seconds"], 1),
        "consultations": rows["consultations"],
        "consultations_per_s": round(rows["consultations"] / result["seconds"]),
        "all_rows": sum(rows.values()),
        "all_rows_per_s": round(sum(rows.values()) / result["seconds"]),
        # ru_maxrss of children is the largest child so far: scales run smallest first.
        "chunk_s_p50_p95_max": [pct(0.5), pct(0.95), round(chunks[-1], 2)],
        "chunks": len(chunks),
        "peak_rss_mib": round(max(peak_kib, before) / 1024),
        "output_mib": round(size / 2**20),
        "truth_pairs": sum(result["truth"].values()),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scales", nargs="*", default=["demo", "region"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write here and keep the output")
    args = parser.parse_args()
    for scale in args.scales:
        base = args.keep or Path(tempfile.mkdtemp(prefix="synth-bench-"))
        out = base / scale
        try:
            print(json.dumps(run(scale, args.seed, out)), flush=True)
        finally:
            if args.keep is None:
                shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
