"""Statistical disclosure control: no figure about fewer than `threshold` respondents, including
through differences between published figures.

The published figures of one measure and one wave are group aggregates (a count and a mean). A group
sum is `n x mean`, so whenever a parent group and all but one of its subgroups are published, the
missing subgroup follows by subtraction: the classic differencing attack. The rules, applied until
nothing changes:

1. primary: a group with fewer than `threshold` respondents is suppressed;
2. complementary, per partition (a parent and subgroups that add up to it, e.g. a region and its
   job families, or a job family nationally and per region): when the parent is published and any
   subgroup is suppressed, at least two subgroups are suppressed and together they hold at least
   `threshold` respondents; the smallest published subgroups are added first (least loss);
3. overlap: two published groups that are not in a partition relation but differ by fewer than
   `threshold` respondents (e.g. "managers" and "management job family") would reveal the
   difference; the smaller one is suppressed;
4. audit: the partitions form a linear system over the suppressed sums; a suppressed group whose
   sum is determined by the system (its unit vector lies in the row space) gets one more
   complementary suppression in one of its partitions.

Derived cells: some groups that are never published still follow from published ones because the
population's consistency rules are public (only CDDE counsellors hold a portfolio, so "CDDE" minus
every portfolio group is the CDDE counsellors without one). The caller passes such cells as
`derived`, with their counts and the partitions that tie them to published groups. A derived cell is
always an unknown of the system (it is never published); it must stay undetermined when it holds 1
to `threshold - 1` respondents, exactly like a suppressed group, and may be determined otherwise.

The audit checks single groups exactly (linear algebra over every partition at once, which catches
chains across nested levels); rule 2 additionally keeps every union of suppressed subgroups inside
one partition at or above the threshold. Counts of respondents are not treated as sensitive; the
figures (means, shares) are.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

THRESHOLD = 10


@dataclass(frozen=True)
class Partition:
    """`parent` is exactly the disjoint union of `children`."""

    parent: Hashable
    children: tuple[Hashable, ...]


def _components(unknowns: list[Hashable], rows: list[list[int]]) -> list[list[int]]:
    """Equations grouped by the unknowns they share (union-find), so each block is solved alone."""
    parent = list(range(len(unknowns)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in rows:
        for other in row[1:]:
            parent[find(other)] = find(row[0])
    blocks: dict[int, list[int]] = {}
    for r, row in enumerate(rows):
        blocks.setdefault(find(row[0]), []).append(r)
    return list(blocks.values())


def _solved_columns(matrix: np.ndarray) -> list[int]:
    """Columns whose unknown the system determines: in the reduced row echelon form, a row with a
    single non-zero entry. (Gaussian elimination: the matrices are sparse, with small integers.)"""
    a = matrix.astype(np.float64)
    rows, cols = a.shape
    pivots: list[int] = []
    r = 0
    for c in range(cols):
        if r == rows:
            break
        p = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[p, c]) < 1e-9:
            continue
        a[[r, p]] = a[[p, r]]
        a[r] /= a[r, c]
        others = np.nonzero(np.abs(a[:, c]) > 1e-12)[0]
        others = others[others != r]
        if len(others):
            a[others] -= np.outer(a[others, c], a[r])
        pivots.append(c)
        r += 1
    return [c for i, c in enumerate(pivots) if int((np.abs(a[i]) > 1e-9).sum()) == 1]


def solved_by_propagation(
    counts: Mapping[Hashable, int],
    partitions: Sequence[Partition],
    suppressed: Mapping[Hashable, str],
) -> list[Hashable]:
    """Suppressed groups an attacker gets by solving, again and again, any partition equation left
    with a single unknown: most leaks, found without matrix algebra."""
    unknown = {k for k in suppressed if counts.get(k, 0) > 0}
    open_unknowns = set(unknown)
    solved: list[Hashable] = []
    progress = True
    while progress:
        progress = False
        for p in partitions:
            missing = [m for m in (p.parent, *p.children) if m in open_unknowns]
            if len(missing) == 1:
                open_unknowns.discard(missing[0])
                solved.append(missing[0])
                progress = True
    return solved


def determinable(
    counts: Mapping[Any, int],
    partitions: Sequence[Partition],
    suppressed: Mapping[Hashable, str],
) -> list[Hashable]:
    """Suppressed groups whose sum can be computed exactly from the published ones."""
    # An empty group has a known sum (zero): it is never an unknown of the system.
    unknowns = [k for k in suppressed if counts.get(k, 0) > 0]
    col = {k: i for i, k in enumerate(unknowns)}
    rows: list[list[int]] = []
    signs: list[list[float]] = []
    for p in partitions:
        cols = [col[p.parent]] if p.parent in col else []
        sign = [1.0] * len(cols)
        for c in p.children:
            if c in col:
                cols.append(col[c])
                sign.append(-1.0)
        if cols:
            rows.append(cols)
            signs.append(sign)
    found: list[Hashable] = []
    for block in _components(unknowns, rows):
        members = sorted({c for r in block for c in rows[r]})
        local = {c: i for i, c in enumerate(members)}
        matrix = np.zeros((len(block), len(members)))
        for i, r in enumerate(block):
            for c, coefficient in zip(rows[r], signs[r], strict=True):
                matrix[i, local[c]] += coefficient
        for c in _solved_columns(matrix):
            found.append(unknowns[members[c]])
    return found


def suppress(
    counts: Mapping[Any, int],
    partitions: Sequence[Partition],
    *,
    threshold: int = THRESHOLD,
    symmetric_difference: Callable[[Hashable, Hashable], int] | None = None,
    disjoint: Callable[[Hashable, Hashable], bool] | None = None,
    derived: Collection[Hashable] = (),
) -> dict[Hashable, str]:
    """Return the suppressed groups with the reason of each (in French, shown in reports).

    `symmetric_difference(a, b)` counts respondents in exactly one of two groups (rule 3);
    `disjoint(a, b)` may say cheaply that two groups share nobody, to skip them. `derived` are keys
    of `counts` that are never published (see the module docstring); they are not in the result.
    """
    virtual = frozenset(derived)
    suppressed: dict[Hashable, str] = {
        k: ("aucun répondant" if n == 0 else f"moins de {threshold} répondants")
        for k, n in counts.items()
        if n < threshold
    }
    # Never published, so always an unknown for the attacker; never a complement either, since
    # hiding what is not shown protects nothing (they are already in `suppressed`).
    suppressed.update({k: "jamais publié (cellule déduite)" for k in virtual})

    def sensitive(k: Hashable) -> bool:
        """A hidden group that must not be recomputed: a derived cell only when it is small."""
        return k not in virtual or 0 < counts.get(k, 0) < threshold

    order = sorted(counts, key=lambda k: (counts[k], repr(k)))
    rank = {k: i for i, k in enumerate(order)}
    children_by_size = {
        id(p): sorted((c for c in p.children if counts.get(c, 0) > 0), key=rank.__getitem__)
        for p in partitions
    }

    def add_complement(p: Partition, avoid: Hashable | None = None) -> bool:
        for c in children_by_size[id(p)]:
            if c not in suppressed and c != avoid:
                suppressed[c] = "secret secondaire (éviter un calcul par différence)"
                return True
        if p.parent not in suppressed:
            suppressed[p.parent] = "secret secondaire (éviter un calcul par différence)"
            return True
        return False

    # Rule 3 depends on the groups only, not on what is suppressed: find the near-identical pairs once.
    conflicts: list[tuple[Hashable, Hashable]] = []
    if symmetric_difference is not None:
        candidates = [k for k in order if counts[k] >= threshold and k not in virtual]
        for i, a in enumerate(candidates):
            for b in candidates[i + 1 :]:
                if counts[b] - counts[a] >= threshold:
                    break
                if disjoint is not None and disjoint(a, b):
                    continue
                if 0 < symmetric_difference(a, b) < threshold:
                    conflicts.append((a, b))  # a is the smaller one

    changed = True
    while changed:
        changed = False
        for p in partitions:
            while p.parent not in suppressed:
                hidden = [c for c in children_by_size[id(p)] if c in suppressed and sensitive(c)]
                if not hidden or (len(hidden) >= 2 and sum(counts[c] for c in hidden) >= threshold):
                    break
                if not add_complement(p):
                    break
                changed = True
        if changed:
            continue
        for a, b in conflicts:
            if a not in suppressed and b not in suppressed:
                suppressed[a] = "secret secondaire (groupe presque identique à un autre)"
                changed = True
        if changed:
            continue
        # Cheap propagation first; the exact elimination only once propagation finds nothing.
        # A large derived cell may well be determined: that is allowed, so it is no leak.
        revealed = [
            k for k in solved_by_propagation(counts, partitions, suppressed) if sensitive(k)
        ]
        if not revealed:
            revealed = [k for k in determinable(counts, partitions, suppressed) if sensitive(k)]
        for key in revealed:
            # Prefer the partitions where the revealed group is a subgroup of a published parent.
            around = sorted(
                (p for p in partitions if key == p.parent or key in p.children),
                key=lambda p: (p.parent in suppressed, key == p.parent),
            )
            # Repair every revealed group in one pass: the audit is the costly step.
            for p in around:
                if add_complement(p, avoid=key):
                    changed = True
                    break
    return {k: reason for k, reason in suppressed.items() if k not in virtual}
