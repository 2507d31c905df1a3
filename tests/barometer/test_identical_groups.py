"""Groups with exactly the same members are one group for the suppression.

Two differently named populations can be the same people: here the psychologists of Occitanie are
exactly its fixed-term staff (a service and a team). They publish the same figure, so hiding one as
a complement while the other stays published hides nothing: the small group that complement was
meant to protect comes back by difference."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from parcours.barometer.definitions import default_definitions
from parcours.barometer.results import ALL, NATION, TOTAL, Group, Results, compute_results
from parcours.barometer.suppression import Partition, suppress

from .test_nesting import recoverable
from .test_suppression import determined_by_rank, peel

D = default_definitions()
ITEMS = list(D.questionnaire.items)
WAVE = "2025-03"  # the wave of test_nesting's attacker
MEASURES = ("iqvt", "idc", "item:Q01")


def block(count: int, answer: float, **attrs: str) -> list[dict[str, object]]:
    row: dict[str, object] = {
        "wave": WAVE, "region": "OCC", "establishment": "DR", "agency_size": "M",
        "manager": "non", "job_family": "GDD", "portfolio": "AUCUN", "disability": "non",
        "contract": "CDI",
    }  # fmt: skip
    row.update(attrs)
    row.update({c: answer for c in ITEMS})
    return [dict(row) for _ in range(count)]


def survey() -> pd.DataFrame:
    """Occitanie: 4 public agents (the small group), 12 psychologists who are exactly the 12
    fixed-term contracts, and 60 others on permanent contracts; 40 more people in Île-de-France."""
    rows = block(4, 1.0, contract="PUB")
    rows += block(12, 5.0, job_family="PSY", contract="CDD")
    rows += block(30, 4.0) + block(30, 5.0, job_family="SUP")
    rows += block(40, 4.0, region="IDF")
    return pd.DataFrame(rows)


def public_agents_by_difference(results: Results, measure: str, scope: str) -> float | None:
    """The attacker: everyone - permanent contracts - psychologists (who are the fixed-term
    contracts) = the public agents. None when one of the three figures is not published."""
    terms = [
        results.figure(WAVE, measure, Group(scope, dim, value))
        for dim, value in ((TOTAL, ALL), ("contract", "CDI"), ("job_family", "PSY"))
    ]
    if not all(f.published for f in terms):
        return None
    (n0, v0), (n1, v1), (n2, v2) = ((f.n or 0, f.value or 0.0) for f in terms)
    return (n0 * v0 - n1 * v1 - n2 * v2) / (n0 - n1 - n2)


def test_a_group_identical_to_a_complement_does_not_give_the_small_group_away() -> None:
    frame = survey()
    results = compute_results(frame, D)
    for measure in MEASURES:
        for scope in ("OCC", NATION):
            small = results.figure(WAVE, measure, Group(scope, "contract", "PUB"))
            assert not small.published
            stolen = public_agents_by_difference(results, measure, scope)
            assert stolen is None, f"{measure} {scope}: the 4 public agents' mean is {stolen}"
            # One decision for the whole class of identical groups.
            twins = [
                results.figure(WAVE, measure, Group(s, dim, value)).published
                for s in ("OCC", NATION)
                for dim, value in (("contract", "CDD"), ("job_family", "PSY"))
            ]
            assert len(set(twins)) == 1, (measure, scope, twins)
        # The independent attacker (every combination of attributes an unknown) gets nothing.
        assert recoverable(frame, results, measure) == []


def test_identical_groups_share_one_decision_by_hand() -> None:
    # p = a + b + c and p = team + rest, where the team is exactly the people of b.
    counts: dict[Hashable, int] = {"p": 100, "a": 4, "b": 15, "c": 81, "team": 15, "rest": 85}
    partitions = [Partition("p", ("a", "b", "c")), Partition("p", ("team", "rest"))]
    alone = suppress(counts, partitions)
    assert set(alone) == {"a", "b"}  # blind to the identity: the team is published

    hidden = suppress(counts, partitions, same_as={"team": "b"})
    assert {"a", "b", "team"} <= set(hidden)
    assert hidden["team"] == hidden["b"]
    # The attacker who knows that the team is b: a = p - c - team no longer works.
    knows = [*partitions, Partition("team", ("b",))]
    published = {k: None if k in hidden else (n, 50.0) for k, n in counts.items()}
    assert peel(published, counts, knows) == {}
    assert determined_by_rank(counts, knows, hidden) == []
