"""The barometer's reading: every index, theme and item per wave and group with a confidence interval,
wave-over-wave changes, region against nation and the populations to watch, all after disclosure
control (`suppression.py`). Nothing here returns a respondent row or a suppressed figure.

Groups: the nation ("FR") and each region are scopes; in each scope, the whole scope and each value
of each population attribute. Partitions tie them together for the suppression: a scope and its
values of one attribute; the nation and its regions; an attribute value nationally and per region.
The consistency rules of `population.yaml` are public and nest some groups in others (only CDDE
counsellors hold a portfolio; platforms, the DSI and the DG are never an agency), so the part of a
parent that the nested groups leave out is known by difference: each such remainder is a derived
cell of the suppression, tied to the published groups by one more partition per scope; and the
intersections of the two attributes of a rule are derived cells too, tied to both breakdowns, so
that several rules on the same two attributes are read together (`_combinations`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from parcours.barometer.definitions import Definitions
from parcours.barometer.releases import (
    CellAggregates,
    MeasureRecord,
    WaveRecord,
    changed_respondents,
    with_cells,
)
from parcours.barometer.scoring import ITEM_PREFIX, score_frame
from parcours.barometer.stats import (
    Aggregate,
    TestResult,
    mean_interval,
    two_proportion_z_test,
    welch_t_test,
    wilson_interval,
)
from parcours.barometer.suppression import THRESHOLD, Partition, suppress

NATION = "FR"
TOTAL = "total"
ALL = "*"
ALPHA = 0.05
WATCH_MEASURES = ("iqvt", "idc")  # the two headline indices decide which populations to watch
# With thousands of respondents a gap of half a point is "significant" yet meaningless: a population is
# watched only when it is also at least this many points below its reference.
WATCH_MIN_GAP = 2.0


class Group(NamedTuple):
    """A tuple, not a dataclass: the suppression hashes groups millions of times."""

    scope: str  # NATION or a region code
    dim: str  # TOTAL or an attribute name
    value: str  # ALL or an attribute value


class Combination(NamedTuple):
    """Respondents of `scope` whose attribute `first` is one of `first_values` and whose attribute
    `second` is one of `second_values` (attributes in population order; values sorted, joined by
    "|"): an intersection of two breakdowns, never published, that the consistency rules make
    computable or constrain (see `_combinations`). Named by its members, not by a rule, so a release
    recorded under other rules names the same people the same way. Five fields, so never equal to a
    `Group` in the suppression's dictionaries."""

    scope: str
    first: str
    first_values: str
    second: str
    second_values: str


class LegacyRemainder(NamedTuple):
    """A derived cell of a release recorded when derived cells were named by the index of their
    rule (whose meaning may have changed since): read back from old records, never built, tied by no
    partition, so an isolated unknown."""

    scope: str
    rule: int


@dataclass(frozen=True)
class Figure:
    wave: str
    measure: str
    group: Group
    n: int | None  # None when suppressed
    value: float | None  # 0-100; None when suppressed
    low: float | None
    high: float | None
    note: str = ""

    @property
    def published(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Change:
    measure: str
    group: Group
    from_wave: str
    to_wave: str
    before: float
    after: float
    test: TestResult

    @property
    def delta(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class RegionGap:
    wave: str
    measure: str
    region: str
    region_value: float
    nation_value: float
    test: TestResult  # the region against the rest of the nation (independent samples)

    @property
    def gap(self) -> float:
        return self.region_value - self.nation_value


@dataclass(frozen=True)
class Watch:
    wave: str
    measure: str
    group: Group
    kind: str  # "niveau" (significantly below its scope) or "baisse" (significant drop)
    value: float
    reference: float  # the scope's figure, or the previous wave's
    p_value: float
    q_value: float = math.nan  # Benjamini-Hochberg adjusted over every test of the watch list

    @property
    def difference(self) -> float:
        return self.value - self.reference


@dataclass
class Results:
    definitions: Definitions
    waves: list[str]
    threshold: int
    figures: dict[tuple[str, str, Group], Figure] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    gaps: list[RegionGap] = field(default_factory=list)
    watch: list[Watch] = field(default_factory=list)

    def figure(self, wave: str, measure: str, group: Group) -> Figure:
        return self.figures[(wave, measure, group)]

    @property
    def measures(self) -> list[str]:
        return [
            *self.definitions.indices,
            *(f"{ITEM_PREFIX}{c}" for c in self.definitions.questionnaire.items),
        ]

    def measure_label(self, measure: str) -> str:
        if measure.startswith(ITEM_PREFIX):
            code = measure.removeprefix(ITEM_PREFIX)
            return f"{code} — {self.definitions.questionnaire.items[code].text}"
        return self.definitions.indices[measure].label

    def group_label_short(self, scope: str) -> str:
        return self.group_label(Group(scope, TOTAL, ALL))

    def group_label(self, group: Group) -> str:
        attrs = self.definitions.population.attributes
        scope = (
            "France"
            if group.scope == NATION
            else attrs["region"].values.get(group.scope, group.scope)
        )
        if group.dim == TOTAL:
            return scope
        return f"{scope} · {attrs[group.dim].values.get(group.value, group.value)}"


def is_item(measure: str) -> bool:
    return measure.startswith(ITEM_PREFIX)


def compare(measure: str, a: Aggregate, b: Aggregate) -> TestResult:
    """The test used for a change or a gap: z-test on % favourable for items, Welch otherwise."""
    if is_item(measure):
        return two_proportion_z_test(a.total / 100, a.n, b.total / 100, b.n)
    return welch_t_test(a, b)


def interval(measure: str, agg: Aggregate) -> tuple[float, float]:
    if is_item(measure):
        lo, hi = wilson_interval(agg.total / 100, agg.n)
        return (lo * 100, hi * 100)
    # Every score is on 0-100, so the t interval (symmetric) is clipped to the scale: a bound
    # above 100 means nothing to a reader and hints at how concentrated the scores are.
    lo, hi = mean_interval(agg)
    return (max(lo, 0.0), min(hi, 100.0))


@dataclass
class _WaveFrame:
    """The groups of one wave with their membership masks and the partitions between them."""

    groups: list[Group]
    masks: np.ndarray  # groups x respondents, bool
    partitions: list[Partition]
    regions: np.ndarray  # per respondent
    derived: list[Combination] = field(default_factory=list)
    derived_masks: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    def symmetric_difference(self, answered: np.ndarray) -> Callable[[Hashable, Hashable], int]:
        """Respondents (who answered the measure) in exactly one of two groups."""
        row: dict[Hashable, int] = {g: i for i, g in enumerate(self.groups)}

        def count(a: Hashable, b: Hashable) -> int:
            return int(((self.masks[row[a]] ^ self.masks[row[b]]) & answered).sum())

        return count

    @cached_property
    def cell_masks(self) -> np.ndarray:
        """Groups, then derived cells: the cells of a release record."""
        return np.vstack([self.masks, self.derived_masks])

    def twins(self, answered: np.ndarray) -> dict[Hashable, Hashable]:
        """Each group or derived cell whose members (who answered the measure) are exactly those of
        an earlier one, mapped to that first one: groups come first, so a class with a group is
        represented by a group. Empty cells are left out (their sum is known: zero)."""
        cells: list[Hashable] = [*self.groups, *self.derived]
        rows = self.cell_masks & answered
        packed = np.packbits(rows, axis=1)
        first: dict[bytes, Hashable] = {}
        same: dict[Hashable, Hashable] = {}
        for cell, row, bits in zip(cells, rows, packed, strict=True):
            if not row.any():
                continue
            rep = first.setdefault(bits.tobytes(), cell)
            if rep != cell:
                same[cell] = rep
        return same


def _wave_frame(responses: pd.DataFrame, definitions: Definitions) -> _WaveFrame:
    pop = definitions.population
    regions = list(pop.attributes["region"].values)
    dims = [a for a in pop.breakdowns if a.name != "region"]
    region_col = responses["region"].to_numpy()
    groups: list[Group] = [Group(NATION, TOTAL, ALL)]
    masks: list[np.ndarray] = [np.ones(len(responses), dtype=bool)]
    partitions: list[Partition] = []
    scope_masks = {NATION: masks[0]}
    for r in regions:
        groups.append(Group(r, TOTAL, ALL))
        scope_masks[r] = region_col == r
        masks.append(scope_masks[r])
    partitions.append(
        Partition(Group(NATION, TOTAL, ALL), tuple(Group(r, TOTAL, ALL) for r in regions))
    )
    for attr in dims:
        column = responses[attr.name].to_numpy()
        value_masks = {v: column == v for v in attr.values}
        for scope, scope_mask in scope_masks.items():
            children = tuple(Group(scope, attr.name, v) for v in attr.values)
            for child in children:
                groups.append(child)
                masks.append(scope_mask & value_masks[child.value])
            partitions.append(Partition(Group(scope, TOTAL, ALL), children))
        for v in attr.values:
            partitions.append(
                Partition(
                    Group(NATION, attr.name, v), tuple(Group(r, attr.name, v) for r in regions)
                )
            )
    derived, derived_partitions = _combinations(
        responses, definitions, [a.name for a in dims], scope_masks
    )
    partitions.extend(derived_partitions)
    return _WaveFrame(
        groups,
        np.array(masks),
        partitions,
        region_col,
        list(derived),
        np.array(list(derived.values()), dtype=bool).reshape(len(derived), len(responses)),
    )


def _combinations(
    responses: pd.DataFrame,
    definitions: Definitions,
    published: list[str],
    scope_masks: Mapping[str, np.ndarray],
) -> tuple[dict[Combination, np.ndarray], list[Partition]]:
    """The derived cells that the consistency rules create between published breakdowns, with their
    membership masks, and the partitions that tie them to the groups.

    A rule "when A is in W, then B is in V" declares the combinations W x (not V) empty. Per scope:
    - its remainder, the respondents with B in V and A outside W: `B = v` is the groups `A = w` plus
      the remainder when V is one value v (platforms, DSI, DG and the regional staff outside
      agencies make "outside agencies"), and `A = o` is the groups `B` outside V plus the remainder
      when one value o is outside W (CDDE = every portfolio + the CDDE without one);
    - for two attributes that several rules tie, each combination (a, b) that no rule excludes:
      the groups `A = a` and `B = b` are the sums of their combinations. This reads the rules on
      the two attributes together: two rules ("PES is not an agency", "DSI and DG are not
      agencies") each leave a large remainder, yet together they make "regional staff outside
      agencies" computable. Most combinations have the members of a group (the platform staff
      outside agencies are the platform staff) and are merged with it as identical cells. With a
      single rule these partitions say nothing that the remainder's do not, and are not built.
    Each derived cell of a region adds up to the same cell nationally."""
    pop = definitions.population
    order = {name: i for i, name in enumerate(pop.attributes)}
    regions = [s for s in scope_masks if s != NATION]
    columns = {name: responses[name].to_numpy() for name in published}
    cells: dict[Combination, np.ndarray] = {}
    partitions: list[Partition] = []

    def cell(
        scope: str, a: str, a_values: Collection[str], b: str, b_values: Collection[str]
    ) -> Combination:
        if order[a] > order[b]:
            a, a_values, b, b_values = b, b_values, a, a_values
        key = Combination(scope, a, "|".join(sorted(a_values)), b, "|".join(sorted(b_values)))
        if key not in cells:
            cells[key] = (
                scope_masks[scope]
                & np.isin(columns[a], list(a_values))
                & np.isin(columns[b], list(b_values))
            )
            if scope == NATION:
                national = [cell(r, a, a_values, b, b_values) for r in regions]
                partitions.append(Partition(key, tuple(national)))
        return key

    rules_on: dict[tuple[str, str], int] = {}  # per two attributes (in population order)
    for rule in pop.consistency:
        when, then = rule.when_attribute, rule.then_attribute
        if when == then or when not in columns or then not in columns:
            continue  # a rule about the region or an unpublished attribute ties no published groups
        pair = (when, then) if order[when] < order[then] else (then, when)
        rules_on[pair] = rules_on.get(pair, 0) + 1
        when_values = pop.attributes[when].values
        then_values = pop.attributes[then].values
        nested = rule.when_in(when_values)
        outside = [w for w in when_values if w not in nested]
        allowed = [v for v in then_values if v in rule.then_values]
        excluded = [v for v in then_values if v not in rule.then_values]
        # Each difference an attacker can take directly. With the scope's own partitions the
        # equations are equivalent, but rule 2 (complementary) works partition by partition, so
        # both single-parent readings are given when they exist.
        for scope in scope_masks:
            rest = cell(scope, then, allowed, when, outside)
            inside = [Group(scope, when, w) for w in when_values if w in nested]
            others = [Group(scope, then, v) for v in excluded]
            if len(allowed) == 1:
                partitions.append(Partition(Group(scope, then, allowed[0]), (*inside, rest)))
            if len(outside) == 1:
                partitions.append(Partition(Group(scope, when, outside[0]), (*others, rest)))
            if len(allowed) != 1 and len(outside) != 1:
                # No single parent: the scope is the excluded values, the nested ones and the rest.
                partitions.append(Partition(Group(scope, TOTAL, ALL), (*others, *inside, rest)))
    # One rule excludes a block W x (not V): its remainder is the only combination it makes
    # computable that is not a group (the rest have a group's members). Two rules or more on the
    # same attributes can make single combinations computable that no remainder covers.
    for a, b in (pair for pair, count in rules_on.items() if count > 1):
        empty = pop.forbidden(a, b)
        a_values, b_values = list(pop.attributes[a].values), list(pop.attributes[b].values)
        for scope in scope_masks:
            for va in a_values:
                row = [cell(scope, a, [va], b, [vb]) for vb in b_values if (va, vb) not in empty]
                partitions.append(Partition(Group(scope, a, va), tuple(row)))
            for vb in b_values:
                column = [cell(scope, a, [va], b, [vb]) for va in a_values if (va, vb) not in empty]
                partitions.append(Partition(Group(scope, b, vb), tuple(column)))
    return cells, partitions


def _changed(states: list[CellAggregates], older: int, newer: int, cell: Hashable) -> int:
    return changed_respondents(states[older], states[newer], cell)


def _disjoint(a: Hashable, b: Hashable) -> bool:
    assert isinstance(a, Group) and isinstance(b, Group)
    if a.scope != NATION and b.scope != NATION and a.scope != b.scope:
        return True
    return a.scope == b.scope and a.dim == b.dim and a.dim != TOTAL and a.value != b.value


def compute_results(
    responses: pd.DataFrame,
    definitions: Definitions,
    *,
    threshold: int = THRESHOLD,
    watch_measures: tuple[str, ...] = WATCH_MEASURES,
    alpha: float = ALPHA,
    watch_min_gap: float = WATCH_MIN_GAP,
    earlier: Mapping[str, Sequence[WaveRecord]] | None = None,
) -> Results:
    """`responses`: one row per respondent and wave, columns wave, the attributes and the item codes.
    `earlier`: per wave, the releases already shown, oldest first (see `compute_release`)."""
    return compute_release(
        responses,
        definitions,
        threshold=threshold,
        watch_measures=watch_measures,
        alpha=alpha,
        watch_min_gap=watch_min_gap,
        earlier=earlier,
    )[0]


def compute_release(
    responses: pd.DataFrame,
    definitions: Definitions,
    *,
    threshold: int = THRESHOLD,
    watch_measures: tuple[str, ...] = WATCH_MEASURES,
    alpha: float = ALPHA,
    watch_min_gap: float = WATCH_MIN_GAP,
    earlier: Mapping[str, Sequence[WaveRecord]] | None = None,
) -> tuple[Results, dict[str, WaveRecord]]:
    """The results and, per wave, the record of what they show (to keep before showing them).

    A wave whose earlier releases are given is suppressed together with them: what they published
    stays known, what they hid stays an unknown, and a figure that changed by fewer than
    `threshold` respondents since one of them is hidden (`suppression.suppress(earlier=...)`). A wave
    whose aggregates are exactly those of its last release is shown as that release showed it."""
    waves = sorted(responses["wave"].unique())
    results = Results(definitions=definitions, waves=waves, threshold=threshold)
    items = list(definitions.questionnaire.items)
    aggregates: dict[tuple[str, str, Group], Aggregate] = {}
    records: dict[str, WaveRecord] = {}
    for wave in waves:
        sub = responses[responses["wave"] == wave].reset_index(drop=True)
        scores = score_frame(sub[items], definitions)
        frame = _wave_frame(sub, definitions)
        valid = scores.notna().to_numpy()
        filled = np.nan_to_num(scores.to_numpy())
        # Groups, then derived cells: the cells of the record.
        m = frame.cell_masks.astype(np.float64)
        cells: tuple[Hashable, ...] = (*frame.groups, *frame.derived)
        index = {c: i for i, c in enumerate(cells)}
        n = np.rint(m @ valid).astype(np.int64)
        total = m @ filled
        total_sq = m @ (filled * filled)
        measures = [str(c) for c in scores.columns]
        now = {
            measure: CellAggregates(
                index, n[:, j].tolist(), total[:, j].tolist(), total_sq[:, j].tolist()
            )
            for j, measure in enumerate(measures)
        }
        # Releases recorded under other consistency rules lack some of today's derived cells: those
        # that follow from their groups are added, so the changes since are guarded like any other.
        before = [
            with_cells(r, frame.derived, frame.partitions) for r in (earlier or {}).get(wave, ())
        ]
        last = before[-1] if before else None
        unchanged = (
            last is not None
            and last.threshold == threshold
            and last.cells == cells
            and set(last.measures) == set(measures)
            and all(now[k].same(last.aggregates(k)) for k in measures)
        )
        notes: dict[str, int] = {"": 0}
        kept: dict[str, MeasureRecord] = {}
        for j, measure in enumerate(measures):
            counts: dict[Hashable, int] = {c: int(n[i, j]) for i, c in enumerate(cells)}
            hidden: dict[Hashable, str]
            if unchanged:
                assert last is not None
                shown = last.measures[measure]
                hidden = {
                    c: last.notes[shown.note[i]]
                    for i, c in enumerate(frame.groups)
                    if not shown.published[i]
                }
                twins = {
                    c: cells[r]
                    for i, (c, r) in enumerate(zip(cells, shown.same_as, strict=True))
                    if r != i
                }
            else:
                twins = frame.twins(valid[:, j])
                releases = [(r, r.release(measure)) for r in before]
                usable = [(r, rel) for r, rel in releases if rel is not None]
                states = [r.aggregates(measure) for r, _ in usable] + [now[measure]]
                hidden = suppress(
                    counts,
                    frame.partitions,
                    threshold=threshold,
                    symmetric_difference=frame.symmetric_difference(valid[:, j]),
                    disjoint=_disjoint,
                    derived=frame.derived,
                    same_as=twins,
                    earlier=[rel for _, rel in usable],
                    changed=partial(_changed, states),
                )
            for i, g in enumerate(frame.groups):
                agg = Aggregate(counts[g], float(total[i, j]), float(total_sq[i, j]))
                key = (wave, measure, g)
                if g in hidden:
                    results.figures[key] = Figure(
                        wave, measure, g, None, None, None, None, hidden[g]
                    )
                    continue
                aggregates[key] = agg
                lo, hi = interval(measure, agg)
                results.figures[key] = Figure(wave, measure, g, agg.n, agg.mean, lo, hi)
            kept[measure] = MeasureRecord(
                n=tuple(now[measure].n),
                total=tuple(now[measure].total),
                total_sq=tuple(now[measure].total_sq),
                published=tuple(
                    c not in hidden and i < len(frame.groups) for i, c in enumerate(cells)
                ),
                same_as=tuple(index[twins.get(c, c)] for c in cells),
                note=tuple(notes.setdefault(hidden.get(c, ""), len(notes)) for c in cells),
            )
        records[wave] = WaveRecord(
            wave=wave,
            threshold=threshold,
            cells=cells,
            groups=len(frame.groups),
            notes=tuple(notes),
            measures=kept,
        )
    _changes(results, aggregates)
    _gaps(results, aggregates)
    _watch(results, aggregates, watch_measures, alpha, watch_min_gap)
    return results, records


def _changes(results: Results, aggregates: dict[tuple[str, str, Group], Aggregate]) -> None:
    """Only between two published figures: a change never reveals a suppressed one."""
    for before, after in zip(results.waves, results.waves[1:], strict=False):
        for (wave, measure, group), agg in aggregates.items():
            if wave != before or (after, measure, group) not in aggregates:
                continue
            later = aggregates[(after, measure, group)]
            results.changes.append(
                Change(
                    measure,
                    group,
                    before,
                    after,
                    agg.mean,
                    later.mean,
                    compare(measure, agg, later),
                )
            )


def _gaps(results: Results, aggregates: dict[tuple[str, str, Group], Aggregate]) -> None:
    nation = Group(NATION, TOTAL, ALL)
    for (wave, measure, group), agg in aggregates.items():
        if group.dim != TOTAL or group.scope == NATION or (wave, measure, nation) not in aggregates:
            continue
        whole = aggregates[(wave, measure, nation)]
        rest = whole - agg  # the rest of the nation: the region and it are independent samples
        results.gaps.append(
            RegionGap(wave, measure, group.scope, agg.mean, whole.mean, compare(measure, rest, agg))
        )


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Adjusted p-values (q-values) controlling the false discovery rate over a family of tests."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = running
    return adjusted


def _watch(
    results: Results,
    aggregates: dict[tuple[str, str, Group], Aggregate],
    measures: tuple[str, ...],
    alpha: float,
    min_gap: float,
) -> None:
    """Populations below the rest of their scope in the last wave ("niveau") and drops since the
    previous wave ("baisse"), for the headline indices. Hundreds of groups are tested at once, so
    a population is kept when its Benjamini-Hochberg adjusted p-value is under `alpha` (false
    discovery rate), not its raw p-value, and when it is at least `min_gap` points below; the list is
    sorted by how far below it is."""
    if not results.waves:
        return
    last = results.waves[-1]
    candidates: list[Watch] = []
    for (wave, measure, group), agg in aggregates.items():
        if wave != last or measure not in measures or group.dim == TOTAL:
            continue
        scope = aggregates.get((wave, measure, Group(group.scope, TOTAL, ALL)))
        if scope is not None:
            rest = scope - agg
            test = compare(measure, rest, agg)
            if not math.isnan(test.p_value) and agg.mean < rest.mean:
                candidates.append(
                    Watch(wave, measure, group, "niveau", agg.mean, scope.mean, test.p_value)
                )
    for change in results.changes:
        if (
            change.to_wave == last
            and change.measure in measures
            and change.delta < 0
            and not math.isnan(change.test.p_value)
        ):
            candidates.append(
                Watch(
                    last,
                    change.measure,
                    change.group,
                    "baisse",
                    change.after,
                    change.before,
                    change.test.p_value,
                )
            )
    adjusted = benjamini_hochberg([w.p_value for w in candidates])
    kept = [
        Watch(w.wave, w.measure, w.group, w.kind, w.value, w.reference, w.p_value, q)
        for w, q in zip(candidates, adjusted, strict=True)
        if q < alpha and w.difference <= -min_gap
    ]
    kept.sort(key=lambda w: (w.kind != "niveau", w.difference, w.group))
    results.watch = kept


def nan_to_none(x: float) -> float | None:
    return None if math.isnan(x) else x
