"""What a release of the barometer showed, kept so that a later release of the same wave is checked
against it (`suppression.py`, successive releases).

A release is one computation of the reading that left the process (dashboard, report, command line)
for a wave whose responses differ from what was shown before. It records, per measure and cell (the
groups, then the derived cells of the consistency rules), the aggregate the figure came from
(n, sum, sum of squares), whether the figure was published, the representative of the cell's
identical cells and the note of a hidden figure. The aggregates of hidden cells are internal, like
the responses they come from: they stay in the database (`barometer_releases`) and are never shown.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import NamedTuple

from parcours.barometer.suppression import Partition, Release


@dataclass(frozen=True)
class MeasureRecord:
    """One measure of a recorded release; every tuple is indexed like `WaveRecord.cells`."""

    n: tuple[int, ...]
    total: tuple[float, ...]
    total_sq: tuple[float, ...]
    published: tuple[bool, ...]
    same_as: tuple[int, ...]  # index of the representative of the cell's identical cells
    note: tuple[int, ...]  # index in `WaveRecord.notes`; 0 ("") when published


@dataclass(frozen=True)
class WaveRecord:
    """One release of one wave."""

    wave: str
    threshold: int
    cells: tuple[Hashable, ...]
    groups: int  # cells[:groups] are published groups or not; the rest are derived cells
    notes: tuple[str, ...]
    measures: Mapping[str, MeasureRecord]

    @cached_property
    def index(self) -> dict[Hashable, int]:
        return {c: i for i, c in enumerate(self.cells)}

    def release(self, measure: str) -> Release | None:
        """The release as the suppression reads it, or None when it did not have this measure."""
        m = self.measures.get(measure)
        if m is None:
            return None
        return Release(
            counts=dict(zip(self.cells, m.n, strict=True)),
            published=frozenset(
                c for c, shown in zip(self.cells, m.published, strict=True) if shown
            ),
            derived=self.cells[self.groups :],
            same_as={
                c: self.cells[r]
                for i, (c, r) in enumerate(zip(self.cells, m.same_as, strict=True))
                if r != i
            },
        )

    def aggregates(self, measure: str) -> CellAggregates:
        m = self.measures[measure]
        return CellAggregates(self.index, m.n, m.total, m.total_sq)

    def same_figures(self, other: WaveRecord) -> bool:
        """Same aggregates and the same decisions: publishing `other` again shows nothing new."""
        if (self.threshold, self.cells, set(self.measures)) != (
            other.threshold,
            other.cells,
            set(other.measures),
        ):
            return False
        return all(
            self.measures[k].published == other.measures[k].published
            and self.aggregates(k).same(other.aggregates(k))
            for k in self.measures
        )


def with_cells(
    record: WaveRecord, cells: Collection[Hashable], partitions: Sequence[Partition]
) -> WaveRecord:
    """`record` with those derived `cells` it lacks that the `partitions` compute from the cells it
    has (an earlier release recorded under other consistency rules, read with today's rules: the
    regional staff outside agencies of a release made before platforms were declared non-agencies
    are "outside agencies" minus platforms, DSI and DG then). Each added cell is hidden, and is its
    own representative. A cell that would come out with a negative count (the rule did not hold in
    that release's data) or that the partitions do not determine is left out: its partitions then
    play no part for that release."""
    wanted = {c for c in cells if c not in record.index}
    if not wanted:
        return record
    position = dict(record.index)
    columns = {
        name: (list(m.n), list(m.total), list(m.total_sq)) for name, m in record.measures.items()
    }
    relevant = [p for p in partitions if any(m in wanted for m in (p.parent, *p.children))]
    added: list[Hashable] = []
    progress = True
    while progress:
        progress = False
        for p in relevant:
            unknown = [m for m in (p.parent, *p.children) if m not in position]
            if len(unknown) != 1 or unknown[0] not in wanted:
                continue
            (cell,) = unknown
            if cell == p.parent:
                terms = [(1, position[c]) for c in p.children]
            else:
                terms = [(1, position[p.parent])]
                terms += [(-1, position[c]) for c in p.children if c != cell]
            values = {
                name: tuple(sum(sign * column[i] for sign, i in terms) for column in triple)
                for name, triple in columns.items()
            }
            wanted.discard(cell)
            if any(n < 0 for n, _, _ in values.values()):
                continue
            position[cell] = len(record.cells) + len(added)
            added.append(cell)
            for name, (n, total, total_sq) in values.items():
                columns[name][0].append(int(n))
                columns[name][1].append(float(total))
                columns[name][2].append(max(float(total_sq), 0.0))
            progress = True
    if not added:
        return record
    start = len(record.cells)
    own = tuple(range(start, start + len(added)))
    return replace(
        record,
        cells=(*record.cells, *added),
        measures={
            name: MeasureRecord(
                n=tuple(columns[name][0]),
                total=tuple(columns[name][1]),
                total_sq=tuple(columns[name][2]),
                published=(*m.published, *(False for _ in added)),
                same_as=(*m.same_as, *own),
                note=(*m.note, *(0 for _ in added)),
            )
            for name, m in record.measures.items()
        },
    )


class CellAggregates(NamedTuple):
    """The aggregates of one measure in one state of a wave, per cell."""

    where: Mapping[Hashable, int]  # cell -> position in the tuples
    n: tuple[int, ...] | list[int]
    total: tuple[float, ...] | list[float]
    total_sq: tuple[float, ...] | list[float]

    def same(self, other: CellAggregates) -> bool:
        return len(self.n) == len(other.n) and all(
            changed_respondents(self, other, cell) == 0 for cell in self.where
        )


def _close(a: float, b: float) -> bool:
    # The sums of the same scores come out of a matrix product whose rounding depends on the
    # number of rows: equal contents may differ in the last bits.
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def changed_respondents(a: CellAggregates, b: CellAggregates, cell: Hashable) -> int:
    """How many respondents' contributions to `cell` differ between two states, never fewer than
    the truth: the difference of the counts (each added or removed respondent is one), or 1 when
    the counts are equal but the sums are not (someone changed an answer, or one left and another
    came: at least one, perhaps many; taking 1 hides such a cell, which is the safe side)."""
    i, j = a.where[cell], b.where[cell]
    if a.n[i] != b.n[j]:
        return abs(a.n[i] - b.n[j])
    if _close(a.total[i], b.total[j]) and _close(a.total_sq[i], b.total_sq[j]):
        return 0
    return 1
