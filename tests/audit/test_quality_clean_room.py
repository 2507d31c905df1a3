"""Detection quality on a region from the independent generator (`benchmarks/clean_room_region.py`).

That generator was written from the issue's semantics and the interchange contract only, by someone
who had not read the engine, its generator or its measurements, and it was not run against the
engine while it was written. Its legitimate traffic differs from `parcours.synth`'s where it matters:
many untraced looks at other départements' files (pooled regional work), and untraced looks at
sensitive files at the same rate as at any file. The floors are asserted below the level reached
on its small scale (seed 7: 50 misuse pairs); the region-scale figures over two seeds are in
docs/detection.md (benchmarks/detection_quality.py --input).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from parcours.audit.evaluation import Evaluation

pytestmark = pytest.mark.slow

# Small scale, seed 7 (50 misuse pairs), measured: mandatory precision 0.857 (24 of 28), recall 0.480,
# examined recall 0.760, 10.5x fewer situations than the naive queries; asserted a little below.
MANDATORY_PRECISION = 0.80
MANDATORY_RECALL = 0.45
EXAMINED_RECALL = 0.72
REDUCTION = 9.5

GENERATOR = Path(__file__).resolve().parents[2] / "benchmarks" / "clean_room_region.py"


def test_quality_holds_on_a_region_the_engine_was_not_written_for(
    tmp_path: Path, campaign_quality: Callable[[Path], tuple[Evaluation, float]]
) -> None:
    out = tmp_path / "region"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), "--scale", "small", "--seed", "7"],
        check=True,
        capture_output=True,
    )
    ev, explained = campaign_quality(out)
    report = "\n".join(ev.lines())
    assert explained >= 0.95, report
    assert ev.mandatory.precision >= MANDATORY_PRECISION, report
    assert ev.reduction is not None and ev.reduction >= REDUCTION, report
    assert ev.mandatory.recall >= MANDATORY_RECALL, report
    assert ev.examined.recall >= EXAMINED_RECALL, report
    for kind in ("colleague", "ex_colleague", "protected"):
        n, _, found = ev.per_kind[kind]
        assert found == n, report  # every misuse of a sensitive file is at least examined
