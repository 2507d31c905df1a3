from __future__ import annotations

from pathlib import Path

import pytest

from parcours.audit.evaluation import evaluate, read_truth
from parcours.errors import InvalidInput


def test_metrics_by_hand() -> None:
    truth = {
        ("a", "1"): "colleague",
        ("a", "2"): "curiosity",
        ("b", "3"): "protected",
        ("c", "4"): "curiosity",
    }
    alerts = [
        ("a", "1", "mandatory"),
        ("b", "3", "mandatory"),
        ("x", "9", "mandatory"),
        ("a", "2", "optional"),
        ("y", "8", "optional"),
    ]
    naive = [(str(i), "n", "optional") for i in range(50)]
    ev = evaluate(alerts, truth, naive=naive)
    assert (ev.mandatory.precision, ev.mandatory.recall) == (2 / 3, 2 / 4)
    assert (ev.examined.precision, ev.examined.recall) == (3 / 5, 3 / 4)
    assert ev.per_kind["curiosity"] == (2, 0, 1)
    assert (ev.situations, ev.agents, ev.mandatory_agents) == (5, 4, 3)
    assert ev.reduction == 10.0
    assert ev.misses == [("c", "4", "curiosity")]


def test_truth_file_must_have_the_contract_columns(tmp_path: Path) -> None:
    bad = tmp_path / "truth.csv"
    bad.write_text("agent,de,kind\n")
    with pytest.raises(InvalidInput, match="colonnes attendues"):
        read_truth(bad)
