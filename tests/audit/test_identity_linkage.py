"""The measurement the issue asks for: real same-person variants and hard negatives (pairs_dev.csv).

Goal at the production threshold: recall >= 0.98 on same + same_variant, false matches <= 1 % on
different + homonym. The figures and the per-label breakdown are printed (`pytest -s`).
"""

from __future__ import annotations

import pytest

from parcours.audit.identity import DEFAULT_THRESHOLD
from parcours.audit.identity.evaluate import evaluate, load_pairs

from .benchmark_modules import load_benchmark
from .linkage_pairs import pairs_file


def test_recall_and_false_matches_on_dev_pairs() -> None:
    result = evaluate(load_pairs(pairs_file()), DEFAULT_THRESHOLD)
    print("\n" + result.report())
    assert result.positives > 1000 and result.negatives > 200
    assert result.recall >= 0.98
    assert result.false_match_rate <= 0.01


@pytest.mark.slow
def test_variants_written_by_the_labelling_rules_are_found() -> None:
    """`benchmarks/identity_variants.py`: each dev positive rewritten within one labelling rule.

    Accents and separators, compound surnames, extended given names, one surname edit and one
    given-name edit are found at least 99 % of the time; two surname edits are only printed (about
    87 %: with a common given name, two edits do not outweigh the prior, see docs/identity.md).
    """
    import random

    variants = load_benchmark("identity_variants")
    pairs = load_pairs(pairs_file())
    positives = [p for p in pairs if p.label in variants.POSITIVE_LABELS]
    pools = variants.Pools(
        surnames=sorted({p.right["last_name"] or "" for p in pairs} - {""}),
        given_names=sorted({(p.right["first_names"] or "").split(" ")[0] for p in pairs} - {""}),
    )
    rules = {
        "a": variants.rule_a,
        "b": variants.rule_b(pools),
        "c": variants.rule_c(pools),
        "d1": variants.surname_edits(1),
        "e": variants.rule_e,
    }
    for name, rule in rules.items():
        scored = variants.score_rule(positives, rule, random.Random(f"1-{name}"))
        found = sum(p > DEFAULT_THRESHOLD for _, p in scored)
        print(f"rule {name}: {found} / {len(scored)}")
        assert len(scored) > 500 and found >= 0.99 * len(scored), name
