"""`benchmarks/detection_residue.py`: the residue counts and the subgroup search it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .benchmark_modules import BENCHMARKS, load_benchmark
from .linkage_pairs import pairs_file

residue = load_benchmark("detection_residue")


def situation(misuse: bool, **over: Any) -> dict[str, Any]:
    """An optional situation's row: an ordinary file, one untraced office-hours day."""
    base: dict[str, Any] = {
        "target_kind": None,
        "min_strength": 0,
        "max_strength": 0,
        "days_not_strong": 1,
        "not_strong": 1,
        "x_agency": 0,
        "x_manager": 0,
        "agent_untraced_files": 50,
        "strong_agents": 1,
        "misuse": misuse,
    }
    return base | over


def region(name: str, optional: list[dict[str, Any]]) -> Any:
    return residue.Residue(name, 100, 0, 0, 0, 0, optional)


def test_a_subgroup_is_promoted_only_when_it_holds_on_every_input() -> None:
    evening = {"off_hours_days_not_strong": 1}
    # Off-hours returns are misuse on both inputs (8 of 10, 9 of 10); the rest is legitimate.
    first = [situation(i < 8, **evening) for i in range(10)] + [situation(False)] * 400
    second = [situation(i < 9, **evening) for i in range(10)] + [situation(False)] * 400
    promoted, dropped = residue.subgroups(
        [region("a", first), region("b", second)], 1, promote=0.5, drop=0.02
    )
    assert "off-hours day: 8/10  9/10" in promoted
    assert any(line.startswith("usual hours only: 0/400  0/400") for line in dropped)
    # The same group, misuse on one input only, is not a rule.
    other = [situation(False, **evening) for _ in range(10)] + [situation(False)] * 400
    promoted, _ = residue.subgroups([region("a", first), region("c", other)], 1, 0.5, 0.02)
    assert not any(line.startswith("off-hours day:") for line in promoted)


@pytest.mark.slow
def test_the_residue_of_a_small_region(tmp_path: Path) -> None:
    """On a small held-out region: the counts add up."""
    out = tmp_path / "region"
    generator = [sys.executable, str(BENCHMARKS / "heldout_region.py"), "--out", str(out)]
    generator += ["--pairs", str(pairs_file())]
    subprocess.run([*generator, "--scale", "small", "--seed", "7"], check=True, capture_output=True)
    res = residue.analyse(out, "2GB")
    assert res.misuse == 50
    examined = sum(row["misuse"] for row in res.optional)
    assert 0 < examined < len(res.optional)
    assert res.shape_misuse <= res.never_selected < res.misuse
    assert res.shape_legitimate > 1000  # the shape legitimate work leaves by the thousand
