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
   complementary suppression in one of its partitions (or, when every cell of those is hidden or
   frozen, the smallest published group of the equations that reach it through hidden cells).

Derived cells: some groups that are never published still follow from published ones because the
population's consistency rules are public (only CDDE counsellors hold a portfolio, so "CDDE" minus
every portfolio group is the CDDE counsellors without one). The caller passes such cells as
`derived`, with their counts and the partitions that tie them to published groups. A derived cell is
always an unknown of the system (it is never published); it must stay undetermined when it holds 1
to `threshold - 1` respondents, exactly like a suppressed group, and may be determined otherwise.

Identical groups: two groups with the same members (a service and a team that are the same
people; the nation and its only populated region) publish the same figure, so hiding one and
showing the other hides nothing. `same_as` maps every group to one representative of its class of
identical groups; the rules run on the representatives, so the class gets one decision.

Successive releases of one wave: when a wave is published again (late responses, corrections),
the earlier release is public too, and a figure of the new release minus the same figure of the
earlier one is the aggregate of the respondents added, removed or changed in between. Each earlier
release (`earlier`, as recorded when it was shown) joins the system: its cells are frozen (what it
published is known and can never be hidden again, what it hid stays an unknown), and for every
cell and every pair of releases a derived "change" cell ties the two: new = old + change, where
the change concerns `changed(i, j, cell)` respondents. A change of 1 to `threshold - 1`
respondents must stay undetermined exactly like a small group, so the new figure is hidden when the
old one was published (rule 2 on the pair: the change alone is hidden); a figure hidden before
and unchanged since stays hidden; and the audit runs over every release at once. A cell that no
respondent changed between two releases is one unknown in both (merged), so a re-release with few
changes adds few unknowns. A group or change already determined by the earlier releases alone cannot
be protected any more and is not treated as sensitive.

The audit checks single groups exactly (linear algebra over every partition at once, which catches
chains across nested levels); rule 2 additionally keeps every union of suppressed subgroups inside
one partition at or above the threshold. Counts of respondents are not treated as sensitive; the
figures (means, shares) are.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import numpy as np

THRESHOLD = 10


@dataclass(frozen=True)
class Partition:
    """`parent` is exactly the disjoint union of `children`."""

    parent: Hashable
    children: tuple[Hashable, ...]


@dataclass(frozen=True)
class Release:
    """An earlier release of the same figures (one wave, one measure), as recorded when it was
    shown: the respondents of every cell then, the groups it published, its derived cells (never
    published) and its classes of identical groups (each cell to its representative)."""

    counts: Mapping[Hashable, int]
    published: Collection[Hashable]
    derived: Collection[Hashable] = ()
    same_as: Mapping[Hashable, Hashable] = field(default_factory=dict)


class _Tag:
    """A marker that no caller's key can equal: it makes the keys below distinct from any group."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_THEN, _CHANGE = _Tag("then"), _Tag("change")


class _Then(NamedTuple):
    """A cell as an earlier release showed (or hid) it."""

    tag: _Tag
    release: int
    cell: Hashable


class _Change(NamedTuple):
    """The respondents of a cell that differ between two releases (`newer` = len(earlier) is now)."""

    tag: _Tag
    older: int
    newer: int
    cell: Hashable


def _canonical(partition: Partition, canon: Callable[[Hashable], Hashable]) -> Partition:
    return Partition(canon(partition.parent), tuple(canon(c) for c in partition.children))


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


SECONDARY = "secret secondaire (éviter un calcul par différence)"
HIDDEN_BEFORE = "secret (masqué lors d'une diffusion précédente de la vague)"


def suppress(
    counts: Mapping[Any, int],
    partitions: Sequence[Partition],
    *,
    threshold: int = THRESHOLD,
    symmetric_difference: Callable[[Hashable, Hashable], int] | None = None,
    disjoint: Callable[[Hashable, Hashable], bool] | None = None,
    derived: Collection[Hashable] = (),
    same_as: Mapping[Hashable, Hashable] | None = None,
    earlier: Sequence[Release] = (),
    changed: Callable[[int, int, Hashable], int] | None = None,
) -> dict[Hashable, str]:
    """Return the suppressed groups with the reason of each (in French, shown in reports).

    `symmetric_difference(a, b)` counts respondents in exactly one of two groups (rule 3);
    `disjoint(a, b)` may say cheaply that two groups share nobody, to skip them. `derived` are keys
    of `counts` that are never published (see the module docstring); they are not in the result.
    `same_as` maps a key to the representative of its identical keys (a key absent is its own);
    a representative is a published key whenever its class has one. `earlier` are the releases
    already shown of the same figures, oldest first; `changed(i, j, key)` counts the respondents
    whose contribution to `key` differs between releases i < j, where j = len(earlier) is the
    state being published (an overestimate is safe, an underestimate is not).
    """
    if earlier and changed is None:
        raise ValueError("earlier releases need `changed`")
    same = same_as or {}

    def canon(k: Hashable) -> Hashable:
        return same.get(k, k)

    derived_keys = frozenset(derived)
    now: dict[Hashable, int] = {canon(k): n for k, n in counts.items()}
    shown = {canon(k) for k in counts if k not in derived_keys}
    # Never published, so always an unknown for the attacker; never a complement either, since
    # hiding what is not shown protects nothing (they are already in `suppressed`).
    virtual = {canon(k) for k in derived_keys} - shown
    parts = [_canonical(p, canon) for p in partitions] if same else list(partitions)
    suppressed: dict[Hashable, str] = {
        k: ("aucun répondant" if n == 0 else f"moins de {threshold} répondants")
        for k, n in now.items()
        if n < threshold
    }
    suppressed.update({k: "jamais publié (cellule déduite)" for k in virtual})

    # The earlier releases of the same figures, frozen, and the changes between every two releases.
    joint: dict[Hashable, int] = dict(now)
    locked: set[Hashable] = set()  # published before: known to everyone, never hidden again
    small_only = set(virtual)  # hidden cells that only matter when they are small
    changes: set[Hashable] = set()
    change_of: dict[int, Hashable] = {}  # id(partition new = old + change) -> the change cell
    exposed: set[Hashable] = set()  # already determined by the earlier releases: lost, not guarded
    if earlier:
        assert changed is not None
        current = len(earlier)

        def cells_of(i: int) -> Mapping[Any, int]:
            return counts if i == current else earlier[i].counts

        def plain(i: int, k: Hashable) -> Hashable:
            if i == current:
                return canon(k)
            return _Then(_THEN, i, earlier[i].same_as.get(k, k))

        # A cell no respondent changed between two releases is one unknown in both: merge them
        # (union-find, the newer release as root, so a current key is always its class's root).
        link: dict[Hashable, Hashable] = {}

        def find(k: Hashable) -> Hashable:
            while k in link:
                k = link[k]
            return k

        pairs: list[tuple[int, int, Hashable, int]] = []
        for newer in range(1, current + 1):
            for older in range(newer):
                for k in cells_of(newer):
                    if k not in cells_of(older):
                        continue
                    size = changed(older, newer, k)
                    if size:
                        pairs.append((older, newer, k, size))
                        continue
                    old, new = find(plain(older, k)), find(plain(newer, k))
                    if old != new:
                        link[old] = new

        keys = [{k: find(plain(i, k)) for k in cells_of(i)} for i in range(current + 1)]

        def key_in(i: int, k: Hashable) -> Hashable:
            return keys[i][k]

        seen = set(parts)
        before_parts: list[Partition] = []
        hidden_then: set[Hashable] = set()
        for i, release in enumerate(earlier):
            shown_then = {key_in(i, k) for k in release.published}
            for k, n in release.counts.items():
                key = key_in(i, k)
                joint.setdefault(key, n)
                (locked if key in shown_then else hidden_then).add(key)
            small_only.update(key_in(i, k) for k in release.derived)
            present = release.counts
            for p in partitions:
                if p.parent in present and all(c in present for c in p.children):
                    mapped = _canonical(p, partial(key_in, i))
                    if mapped not in seen:
                        seen.add(mapped)
                        before_parts.append(mapped)
        # Shown once and hidden once with nobody changed in between: known, so not hidden at all.
        hidden_then -= locked
        small_only -= locked
        before_hidden: dict[Hashable, str] = {k: HIDDEN_BEFORE for k in hidden_then}
        between: list[Partition] = []
        for older, newer, k, size in pairs:
            cell = _Change(_CHANGE, older, newer, k)
            joint[cell] = size
            changes.add(cell)
            pair = Partition(key_in(newer, k), (key_in(older, k), cell))
            change_of[id(pair)] = cell
            if newer == current:
                between.append(pair)
                suppressed[cell] = HIDDEN_BEFORE
            else:
                before_parts.append(pair)
                before_hidden[cell] = HIDDEN_BEFORE
        exposed = set(determinable(joint, before_parts, before_hidden))
        # A current figure still equal to one hidden before stays hidden; one equal to a figure
        # shown before is known whatever this release does (hidden only if it is small now).
        for key, reason in before_hidden.items():
            suppressed.setdefault(key, reason)
        exposed |= {k for k in locked if k in suppressed}
        parts += before_parts + between

    def sensitive(k: Hashable) -> bool:
        """A hidden cell that must not be recomputed: a derived or change cell only when small."""
        if k in exposed:
            return False
        if k in small_only or k in changes:
            return 0 < joint.get(k, 0) < threshold
        return True

    changed_reason = (
        f"secret (moins de {threshold} répondants ajoutés ou modifiés depuis une diffusion "
        "précédente de la vague)"
    )
    order = sorted(joint, key=lambda k: (joint[k], repr(k)))
    rank = {k: i for i, k in enumerate(order)}
    children_by_size = {
        id(p): sorted((c for c in p.children if joint.get(c, 0) > 0), key=rank.__getitem__)
        for p in parts
    }
    touching: dict[Hashable, list[Partition]] = {}
    for p in parts:
        for member in (p.parent, *p.children):
            touching.setdefault(member, []).append(p)

    def add_complement(
        p: Partition, avoid: Hashable | None = None, reason: str = SECONDARY
    ) -> bool:
        for c in children_by_size[id(p)]:
            if c not in suppressed and c not in locked and c != avoid:
                suppressed[c] = reason
                return True
        if p.parent not in suppressed and p.parent not in locked:
            suppressed[p.parent] = reason
            return True
        return False

    def widen(key: Hashable) -> bool:
        """No partition around `key` can take one more hidden cell (all frozen or hidden): hide the
        smallest published group of the equations that reach `key` through hidden cells."""
        seen, stack, candidates = {key}, [key], set()
        while stack:
            for p in touching.get(stack.pop(), ()):
                for m in (p.parent, *p.children):
                    if joint.get(m, 0) == 0 or m in seen or m in locked:
                        continue
                    if m in suppressed:
                        seen.add(m)
                        stack.append(m)
                    else:
                        candidates.add(m)
        if not candidates:
            return False
        suppressed[min(candidates, key=rank.__getitem__)] = SECONDARY
        return True

    # Rule 3 depends on the groups only, not on what is suppressed: find the near-identical pairs once.
    conflicts: list[tuple[Hashable, Hashable]] = []
    if symmetric_difference is not None:
        candidates = [k for k in order if k in now and now[k] >= threshold and k not in virtual]
        for i, a in enumerate(candidates):
            for b in candidates[i + 1 :]:
                if now[b] - now[a] >= threshold:
                    break
                if disjoint is not None and disjoint(a, b):
                    continue
                if 0 < symmetric_difference(a, b) < threshold:
                    conflicts.append((a, b))  # a is the smaller one

    moved = True
    while moved:
        moved = False
        for p in parts:
            while p.parent not in suppressed:
                # Hidden children: the sensitive ones, and changes of any size (unknown to the
                # attacker, they hide an earlier figure as well as a small group would).
                hidden = [
                    c
                    for c in children_by_size[id(p)]
                    if c in suppressed and c not in exposed and (c in changes or sensitive(c))
                ]
                if not any(sensitive(c) for c in hidden) or (
                    len(hidden) >= 2 and sum(joint[c] for c in hidden) >= threshold
                ):
                    break
                reason = SECONDARY
                if id(p) in change_of:
                    change = change_of[id(p)]
                    small = change in hidden and sensitive(change)
                    reason = changed_reason if small else HIDDEN_BEFORE
                if not add_complement(p, reason=reason):
                    break
                moved = True
        if moved:
            continue
        for a, b in conflicts:
            if a not in suppressed and b not in suppressed:
                suppressed[a] = "secret secondaire (groupe presque identique à un autre)"
                moved = True
        if moved:
            continue
        # Cheap propagation first; the exact elimination only once propagation finds nothing.
        # A large derived cell may well be determined: that is allowed, so it is no leak.
        revealed = [k for k in solved_by_propagation(joint, parts, suppressed) if sensitive(k)]
        if not revealed:
            revealed = [k for k in determinable(joint, parts, suppressed) if sensitive(k)]
        for key in revealed:
            # Prefer the partitions where the revealed group is a subgroup of a published parent.
            around = sorted(
                touching.get(key, ()), key=lambda p: (p.parent in suppressed, key == p.parent)
            )
            # Repair every revealed group in one pass: the audit is the costly step.
            for p in around:
                reason = changed_reason if id(p) in change_of else SECONDARY
                if add_complement(p, avoid=key, reason=reason):
                    moved = True
                    break
            else:
                moved = widen(key) or moved
    return {
        k: suppressed[canon(k)] for k in counts if k not in derived_keys and canon(k) in suppressed
    }
