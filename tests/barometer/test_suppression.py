"""Disclosure control: primary and complementary suppression, differencing attacks, nested groups."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.barometer.suppression import Partition, suppress


def peel(
    published: Mapping[Hashable, tuple[int, float] | None],
    counts: Mapping[Hashable, int],
    partitions: list[Partition],
) -> dict[Hashable, float]:
    """The attacker: with every count known (worst case), repeatedly solve any partition equation
    that has exactly one unknown sum; returns the means it recovered for suppressed groups."""
    sums = {k: v[0] * v[1] for k, v in published.items() if v is not None}
    sums.update({k: 0.0 for k, n in counts.items() if n == 0})
    recovered: dict[Hashable, float] = {}
    progress = True
    while progress:
        progress = False
        for p in partitions:
            members = [p.parent, *p.children]
            missing = [m for m in members if m not in sums]
            if len(missing) != 1:
                continue
            (m,) = missing
            children_sum = sum(sums[c] for c in p.children if c in sums)
            sums[m] = sums[p.parent] - children_sum if m != p.parent else children_sum
            recovered[m] = sums[m] / counts[m]
            progress = True
    return recovered


def determined_by_rank(
    counts: Mapping[Hashable, int], partitions: list[Partition], hidden: Mapping[Hashable, str]
) -> list[Hashable]:
    """Independent check of the audit: a hidden sum is determined iff adding its unit vector to the
    system's matrix does not raise the rank."""
    unknowns = [k for k in hidden if counts[k] > 0]
    if not unknowns:
        return []
    col = {k: i for i, k in enumerate(unknowns)}
    rows = []
    for p in partitions:
        row = np.zeros(len(unknowns))
        if p.parent in col:
            row[col[p.parent]] += 1
        for c in p.children:
            if c in col:
                row[col[c]] -= 1
        rows.append(row)
    a = np.array(rows)
    base = np.linalg.matrix_rank(a)
    out = []
    for k in unknowns:
        unit = np.zeros(len(unknowns))
        unit[col[k]] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == base:
            out.append(k)
    return out


def test_primary_and_complementary_by_hand() -> None:
    counts = {"region": 116, "A": 6, "B": 40, "C": 70}
    partitions = [Partition("region", ("A", "B", "C"))]
    hidden = suppress(counts, partitions)
    assert set(hidden) == {"A", "B"}  # B is the smallest cell that hides A
    assert "moins de 10" in hidden["A"] and "secondaire" in hidden["B"]


def test_two_small_cells_hidden_together_still_need_ten() -> None:
    counts = {"p": 100, "a": 3, "b": 4, "c": 30, "d": 63}
    hidden = suppress(counts, [Partition("p", ("a", "b", "c", "d"))])
    # a + b hold only 7 respondents: their union would be revealed, so c is hidden too.
    assert set(hidden) == {"a", "b", "c"}


def test_differencing_attack_on_one_breakdown() -> None:
    rng = np.random.default_rng(7)
    scores = {
        "A": rng.uniform(0, 100, 6),
        "B": rng.uniform(0, 100, 40),
        "C": rng.uniform(0, 100, 70),
    }
    counts = {k: len(v) for k, v in scores.items()}
    everyone = np.concatenate(list(scores.values()))
    counts["region"] = len(everyone)
    means = {k: float(v.mean()) for k, v in scores.items()} | {"region": float(everyone.mean())}
    partitions = [Partition("region", ("A", "B", "C"))]

    naive = {k: None if counts[k] < 10 else (counts[k], means[k]) for k in counts}
    stolen = peel(naive, counts, partitions)
    assert abs(stolen["A"] - means["A"]) < 1e-9  # primary suppression alone leaks group A

    hidden = suppress(counts, partitions)
    safe = {k: None if k in hidden else (counts[k], means[k]) for k in counts}
    assert peel(safe, counts, partitions) == {}


def nested_table() -> tuple[dict[Hashable, int], list[Partition]]:
    """Three regions x three job families, with region totals, national family totals and the nation."""
    cells = {("R1", "GDD"): 4, ("R1", "CDDE"): 50, ("R1", "SUP"): 30,
             ("R2", "GDD"): 25, ("R2", "CDDE"): 60, ("R2", "SUP"): 20,
             ("R3", "GDD"): 40, ("R3", "CDDE"): 80, ("R3", "SUP"): 35}  # fmt: skip
    regions, families = ["R1", "R2", "R3"], ["GDD", "CDDE", "SUP"]
    counts: dict[Hashable, int] = dict(cells)
    for r in regions:
        counts[(r, "*")] = sum(cells[(r, f)] for f in families)
    for f in families:
        counts[("FR", f)] = sum(cells[(r, f)] for r in regions)
    counts[("FR", "*")] = sum(cells.values())
    partitions = [Partition(("FR", "*"), tuple((r, "*") for r in regions))]
    partitions += [Partition(("FR", "*"), tuple(("FR", f) for f in families))]
    partitions += [Partition((r, "*"), tuple((r, f) for f in families)) for r in regions]
    partitions += [Partition(("FR", f), tuple((r, f) for r in regions)) for f in families]
    return counts, partitions


def test_differencing_attack_across_nested_groups() -> None:
    counts, partitions = nested_table()
    rng = np.random.default_rng(3)
    means = {k: float(rng.uniform(20, 80)) for k in counts}
    # Make the means consistent sums (parents are the weighted mean of their children).
    cell_keys = [k for k in counts if k[0] != "FR" and k[1] != "*"]
    for key in [k for k in counts if k not in cell_keys]:
        members = [c for c in cell_keys if key[0] in ("FR", c[0]) and key[1] in ("*", c[1])]
        means[key] = sum(counts[c] * means[c] for c in members) / sum(counts[c] for c in members)

    # Suppressing inside the region alone (row rule only) is not enough: the national GDD figure
    # minus the other regions' GDD figures gives R1's GDD cell back.
    row_only = {("R1", "GDD"), ("R1", "SUP")}
    leaky = {k: None if k in row_only else (counts[k], means[k]) for k in counts}
    stolen = peel(leaky, counts, partitions)
    assert abs(stolen[("R1", "GDD")] - means[("R1", "GDD")]) < 1e-9

    hidden = suppress(counts, partitions)
    safe = {k: None if k in hidden else (counts[k], means[k]) for k in counts}
    assert peel(safe, counts, partitions) == {}
    assert determined_by_rank(counts, partitions, hidden) == []


def test_near_identical_groups_are_not_both_published() -> None:
    # "managers" and "management job family" share 47 people; 3 managers are in another family.
    counts = {"p": 200, "manager": 50, "not_manager": 150, "fam_dir": 47, "fam_other": 153}
    partitions = [
        Partition("p", ("manager", "not_manager")),
        Partition("p", ("fam_dir", "fam_other")),
    ]
    sizes = {("manager", "fam_dir"): 3, ("not_manager", "fam_other"): 3}

    def symdiff(a: Hashable, b: Hashable) -> int:
        return sizes.get((a, b), sizes.get((b, a), 400))  # type: ignore[arg-type]

    hidden = suppress(counts, partitions, symmetric_difference=symdiff)
    assert not ({"manager", "fam_dir"} <= set(counts) - set(hidden))
    assert not ({"not_manager", "fam_other"} <= set(counts) - set(hidden))
    # and each breakdown still hides at least two cells with 10+ respondents, or none
    for p in partitions:
        inside = [c for c in p.children if c in hidden]
        assert not inside or (len(inside) >= 2 and sum(counts[c] for c in inside) >= 10)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda rows: st.integers(2, 5).flatmap(
            lambda cols: st.lists(
                st.lists(st.integers(0, 60), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            )
        )
    )
)
def test_any_two_way_table_is_protected(table: list[list[int]]) -> None:
    counts: dict[Hashable, int] = {}
    partitions: list[Partition] = []
    rows, cols = range(len(table)), range(len(table[0]))
    for r in rows:
        for c in cols:
            counts[(r, c)] = table[r][c]
        counts[(r, "*")] = sum(table[r])
        partitions.append(Partition((r, "*"), tuple((r, c) for c in cols)))
    for c in cols:
        counts[("*", c)] = sum(table[r][c] for r in rows)
        partitions.append(Partition(("*", c), tuple((r, c) for r in rows)))
    counts[("*", "*")] = sum(map(sum, table))
    partitions.append(Partition(("*", "*"), tuple((r, "*") for r in rows)))
    partitions.append(Partition(("*", "*"), tuple(("*", c) for c in cols)))

    hidden = suppress(counts, partitions)
    assert all(n >= 10 for k, n in counts.items() if k not in hidden)
    for p in partitions:
        if p.parent in hidden:
            continue
        inside = [c for c in p.children if c in hidden and counts[c] > 0]
        assert not inside or (len(inside) >= 2 and sum(counts[c] for c in inside) >= 10)
    assert determined_by_rank(counts, partitions, hidden) == []
