"""Detection quality on regions from the three generators written without seeing the engine.

`benchmarks/clean_room_region.py` (thirteenth session), `benchmarks/heldout_region.py`
(fourteenth) and `benchmarks/blind_region.py` (sixteenth) were each written by a helper session
from the issue's semantics, DOMAIN.md, the interchange contract and the linkage pairs only: no
author read the engine, `parcours.synth`, another generator, the tests or the measurements, nor
ran the detection while writing. Their
legitimate work differs from `parcours.synth`'s where it matters:
- clean room: many lone untraced looks at other départements' files (pooled regional work), and
  untraced looks at sensitive files at the same rate as at any file;
- held out: repeated untraced looks at ordinary files within the usual hours (partners' requests,
  former portfolios, reinforcements in other agencies), prints in ordinary work, consultation files
  in three time notations with a re-exported morning. Its region seed 7 was run once before any
  rule change (mandatory precision 0.32), then used to change the rules; its seed 11 and this small
  scale confirm them;
- blind (sixteenth session, `benchmarks/blind_region.py`, written after every other rule was set):
  back-office agents looking at a file again days after their task on it closed, at any hour, in
  another département. Its region seed 7 was run once before any change (mandatory precision 0.515),
  then led to the follow-up rule (weights.yaml `followed_file_context`); its seed 11 confirms it.
The agent-habit rules of the seventeenth session (off-hours and own-agency returns on many files)
were read on seed 7 of all four generators and confirmed on their seeds 11.
The floors are asserted a little below the level reached on each small scale (seed 7, 50 misuse
pairs); the region-scale figures are in docs/detection.md (benchmarks/detection_quality.py --input).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from parcours.audit.evaluation import Evaluation

from .linkage_pairs import pairs_file

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@dataclass(frozen=True)
class Floors:
    generator: str
    mandatory_precision: float
    mandatory_recall: float
    examined_recall: float
    reduction: float
    explained: float = 0.95


FLOORS = [
    # measured: mandatory precision 0.963 (26 of 27), recall 0.520, examined recall 0.760, 13.5x,
    # 98.0 % of consultations explained
    Floors("clean_room_region.py", 0.90, 0.45, 0.72, 12.0),
    # measured: mandatory precision 0.828 (24 of 29), recall 0.480, examined recall 0.900, 3.9x, 98.0 %
    # explained (the 10x is out of reach there: its naive queries select few situations,
    # and the sensitive files' floor keeps every untraced look at them)
    Floors("heldout_region.py", 0.80, 0.42, 0.86, 3.5),
    # measured: mandatory precision 0.812 (26 of 32), recall 0.520, examined recall 0.820, 3.2x
    # (2.1x before the untraced-pool habit), 96.9 % explained (94.4 % before the call_unidentified
    # explanation: its calls the telephony matched to no file)
    Floors("blind_region.py", 0.80, 0.48, 0.78, 2.9),
]


@pytest.mark.parametrize("floors", FLOORS, ids=[f.generator for f in FLOORS])
def test_quality_holds_on_regions_the_engine_was_not_written_for(
    floors: Floors,
    tmp_path: Path,
    campaign_quality: Callable[[Path], tuple[Evaluation, float]],
) -> None:
    out = tmp_path / "region"
    command = [sys.executable, str(BENCHMARKS / floors.generator), "--out", str(out)]
    if floors.generator != "clean_room_region.py":  # the other two draw names from the real pairs
        command += ["--pairs", str(pairs_file())]
    subprocess.run([*command, "--scale", "small", "--seed", "7"], check=True, capture_output=True)
    ev, explained = campaign_quality(out)
    report = "\n".join(ev.lines())
    assert explained >= floors.explained, report
    assert ev.mandatory.precision >= floors.mandatory_precision, report
    assert ev.reduction is not None and ev.reduction >= floors.reduction, report
    assert ev.mandatory.recall >= floors.mandatory_recall, report
    assert ev.examined.recall >= floors.examined_recall, report
    for kind in ("colleague", "ex_colleague", "protected"):
        n, _, found = ev.per_kind[kind]
        assert found == n, report  # every misuse of a sensitive file is at least examined
