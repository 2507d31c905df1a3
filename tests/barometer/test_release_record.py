"""The record of each release and the cross-release rule: by hand; on synthetic waves released two
and three times, against two attackers (the partition equations written for the changes; every
combination of attributes in every batch of respondents as an unknown); and the stored record (kept
once per state, shown again unchanged, JSON round trip, equal to the figures)."""

from __future__ import annotations

import json
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from parcours.barometer.definitions import default_definitions
from parcours.barometer.importer import import_file
from parcours.barometer.models import BarometerRelease
from parcours.barometer.results import (
    ALL,
    NATION,
    TOTAL,
    Group,
    Results,
    _wave_frame,
    compute_release,
    compute_results,
)
from parcours.barometer.scoring import score_frame
from parcours.barometer.service import barometer_results, decode_record, encode_record
from parcours.barometer.suppression import Partition, Release, suppress

from .test_releases import MEASURES, WAVE, differences, first_collection, people, write
from .test_results import synthetic
from .test_suppression import peel

D = default_definitions()
ITEMS = list(D.questionnaire.items)


def change_attack(
    before: Results, after: Results, frame: pd.DataFrame, early: pd.DataFrame
) -> dict[Hashable, float]:
    """A stronger attacker: the change of every group between the releases is known where both
    figures are published, and is zero where no respondent came (counts are known); the partition
    equations hold for the changes as well. Returns the changes recovered for groups that 1 to 9
    respondents joined."""
    wf = _wave_frame(frame.reset_index(drop=True), D)
    wf_early = _wave_frame(early.reset_index(drop=True), D)
    recovered: dict[Hashable, float] = {}
    for measure in MEASURES:
        answered = score_frame(frame[ITEMS], D)[measure].notna().to_numpy()
        answered_early = score_frame(early[ITEMS], D)[measure].notna().to_numpy()
        came: dict[Hashable, int] = {}
        known: dict[Hashable, tuple[int, float] | None] = {}
        for i, g in enumerate(wf.groups):
            n_after = int((wf.masks[i] & answered).sum())
            came[g] = n_after - int((wf_early.masks[i] & answered_early).sum())
            a, b = before.figure(WAVE, measure, g), after.figure(WAVE, measure, g)
            known[g] = None
            if a.published and b.published and came[g] > 0:
                change = (b.n or 0) * (b.value or 0.0) - (a.n or 0) * (a.value or 0.0)
                known[g] = (came[g], change / came[g])
        for i, cell in enumerate(wf.derived):
            came[cell] = int((wf.derived_masks[i] & answered).sum()) - int(
                (wf_early.derived_masks[i] & answered_early).sum()
            )
            known[cell] = None
        for key, mean in peel(known, came, wf.partitions).items():
            if 0 < came[key] < 10:
                recovered[(measure, key)] = mean
        recovered.update(
            {(measure, k): v[1] for k, v in known.items() if v is not None and 0 < came[k] < 10}
        )
    return recovered


def rank_attack(releases: list[tuple[pd.DataFrame, Results]], measure: str) -> list[str]:
    """The exact attacker over several releases of one wave, each adding respondents to the one
    before (frames nested, in order). Unknowns: the sum of every combination of attributes within
    each batch of respondents (the first collection, then each batch of latecomers); every
    published figure of every release is an equation. Returns the groups and pairwise
    intersections of 1 to 9 respondents (in a batch of latecomers, or in a release) whose sum lies
    in the row space of the releases. Only combinations present are unknowns, so the attacker
    knows every structural rule of the synthetic population (and every empty combination): until
    platforms were declared non-agencies, one release alone gave the regional staff outside
    agencies away (test_structural_rules.py), and this attacker had to be told to ignore it."""
    attrs = [a for a in D.population.attributes if a != "region"]
    full = releases[-1][0]
    answered = score_frame(full[ITEMS], D)[measure].notna().to_numpy()
    batch = np.zeros(len(full), dtype=int)
    for i, (frame, _) in enumerate(releases[1:], start=1):
        batch[len(releases[i - 1][0]) : len(frame)] = i
    people = full[answered].assign(_batch=batch[answered])
    atoms = people.groupby(["_batch", "region", *attrs]).size().reset_index(name="_n")
    columns = {c: atoms[c].to_numpy(dtype=object) for c in ["region", *attrs]}
    batch_of = atoms["_batch"].to_numpy()
    weight = atoms["_n"].to_numpy()

    def inside(scope: str, terms: dict[str, str], batches: range) -> np.ndarray:
        mask = (batch_of >= batches.start) & (batch_of < batches.stop)
        if scope != NATION:
            mask &= columns["region"] == scope
        for dim, value in terms.items():
            mask &= columns[dim] == value
        return mask

    def indicator(scope: str, terms: dict[str, str], batches: range) -> np.ndarray:
        return inside(scope, terms, batches).astype(float)

    def null_space(rows: list[np.ndarray]) -> np.ndarray:
        matrix = np.array(rows)
        # Only the right singular vectors matter; all of them are needed when rows are fewer.
        full = matrix.shape[0] < matrix.shape[1]
        _, singular, vt = np.linalg.svd(matrix, full_matrices=full)
        return vt[int((singular > 1e-8 * singular.max()).sum()) :]

    each: list[list[np.ndarray]] = []
    for r, (_, results) in enumerate(releases):
        each.append([])
        for (_, m, g), f in results.figures.items():
            if m == measure and f.published:
                terms = {} if g.dim == TOTAL else {g.dim: g.value}
                each[-1].append(indicator(g.scope, terms, range(r + 1)))
    together = null_space([row for rows in each for row in rows])

    targets: list[tuple[str, str, dict[str, str], range]] = []
    kinds = [(f"lot {b}", range(b, b + 1)) for b in range(1, len(releases))]
    kinds += [(f"diffusion {r}", range(r + 1)) for r in range(len(releases))]
    for name, batches in kinds:
        scopes = set(columns["region"][inside(NATION, {}, batches)])
        for scope in [NATION, *sorted(scopes)]:
            local = inside(scope, {}, batches)
            for i, a in enumerate(attrs):
                for b in [None, *attrs[i + 1 :]]:
                    keys = (a,) if b is None else (a, b)
                    combos = {tuple(columns[k][j] for k in keys) for j in np.flatnonzero(local)}
                    for values in sorted(combos):
                        terms = dict(zip(keys, values, strict=True))
                        n = int(weight[inside(scope, terms, batches)].sum())
                        if 0 < n < 10:
                            targets.append((f"{name} {scope} {terms} n={n}", scope, terms, batches))
            n = int(weight[local].sum())
            if 0 < n < 10:
                targets.append((f"{name} {scope} n={n}", scope, {}, batches))

    def solved(null: np.ndarray, target: np.ndarray) -> bool:
        return bool(np.abs(null @ target).max(initial=0.0) < 1e-7)

    found = []
    for label, scope, terms, batches in targets:
        target = indicator(scope, terms, batches)
        if solved(together, target):
            found.append(label)
    return found


def test_a_synthetic_wave_released_twice_keeps_the_latecomers_hidden(tmp_path: Path) -> None:
    frame = synthetic(tmp_path, 400, seed=21, waves=(WAVE,))
    late = synthetic(tmp_path, 40, seed=5, waves=(WAVE,)).iloc[:3]  # three late questionnaires
    complete = pd.concat([frame, late], ignore_index=True)

    before, records = compute_release(frame, D)
    after = compute_results(complete, D, earlier={WAVE: [records[WAVE]]})
    assert differences(before, after) == {}
    assert change_attack(before, after, complete, frame) == {}
    for measure in ("iqvt", "item:Q19"):
        assert rank_attack([(frame, before), (complete, after)], measure) == []
    # Without the record, the second release is computed as if it were the first: it leaks.
    blind = compute_results(complete, D)
    assert differences(before, blind)
    assert rank_attack([(frame, before), (complete, blind)], "iqvt")


def test_three_releases_of_a_wave(tmp_path: Path) -> None:
    frame = synthetic(tmp_path, 400, seed=4, waves=(WAVE,))
    extra = synthetic(tmp_path, 40, seed=6, waves=(WAVE,))
    second = pd.concat([frame, extra.iloc[:4]], ignore_index=True)
    third = pd.concat([second, extra.iloc[4:9]], ignore_index=True)  # 9 since the first

    first_results, first = compute_release(frame, D)
    second_results, record = compute_release(second, D, earlier={WAVE: [first[WAVE]]})
    records = [first[WAVE], record[WAVE]]
    third_results = compute_results(third, D, earlier={WAVE: records})
    releases = [(frame, first_results), (second, second_results), (third, third_results)]
    for a, b in ((0, 1), (1, 2), (0, 2)):
        assert differences(releases[a][1], releases[b][1]) == {}, (a, b)
    for measure in ("iqvt", "item:Q19"):
        assert rank_attack(releases, measure) == []


def test_a_release_is_recorded_once_per_state_and_shown_again_unchanged(
    engine: Engine, tmp_path: Path
) -> None:
    def releases() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(BarometerRelease)) or 0)

    rows = first_collection() + people("pub", 4, 2, contract="PUB")  # a small group: hidden
    import_file(write(tmp_path / "vague.csv", rows), engine=engine)
    first = barometer_results(engine=engine)
    assert releases() == 1
    assert barometer_results(engine=engine).figures == first.figures
    import_file(write(tmp_path / "vague.csv", rows), engine=engine)  # nothing new
    assert barometer_results(engine=engine).figures == first.figures
    assert releases() == 1
    import_file(write(tmp_path / "vague-2.csv", rows + people("late", 3, 5)), engine=engine)
    second = barometer_results(engine=engine)
    assert releases() == 2
    assert barometer_results(engine=engine).figures == second.figures
    assert releases() == 2
    with engine.connect() as conn:
        sequences = list(conn.scalars(select(BarometerRelease.sequence)))
    assert sorted(sequences) == [1, 2]


def test_the_record_survives_its_json_round_trip() -> None:
    frame = pd.DataFrame(first_collection())
    frame[ITEMS] = frame[ITEMS].astype("float64")
    _, records = compute_release(frame, D)
    record = records[WAVE]
    again = decode_record(WAVE, record.threshold, json.loads(json.dumps(encode_record(record))))
    assert again == record


def test_a_change_of_few_respondents_is_hidden_by_hand() -> None:
    partitions = [Partition("p", ("a", "b", "c"))]
    shown = Release(counts={"p": 100, "a": 20, "b": 40, "c": 40}, published={"p", "a", "b", "c"})

    def grown(now: dict[Hashable, int]) -> dict[Hashable, str]:
        return suppress(
            now,
            partitions,
            earlier=[shown],
            changed=lambda i, j, k: abs(now[k] - shown.counts[k]),
        )

    # Two newcomers in a: a and p changed by 2, both hidden; b and c are the same people as
    # before, so showing them again reveals nothing.
    hidden = grown({"p": 102, "a": 22, "b": 40, "c": 40})
    assert set(hidden) == {"a", "p"}
    assert "ajoutés ou modifiés" in hidden["a"]
    # Twelve newcomers: a group of twelve may be shown.
    assert grown({"p": 112, "a": 32, "b": 40, "c": 40}) == {}


def test_what_was_hidden_stays_hidden_while_unchanged() -> None:
    partitions = [Partition("p", ("a", "b", "c"))]
    # The first release hid a (5) and, to protect it, b (15).
    shown = Release(counts={"p": 100, "a": 5, "b": 15, "c": 80}, published={"p", "c"})
    now: dict[Hashable, int] = {"p": 107, "a": 12, "b": 15, "c": 80}  # 7 joined a
    hidden = suppress(
        now, partitions, earlier=[shown], changed=lambda i, j, k: abs(now[k] - shown.counts[k])
    )
    # On its own this state hides nothing (every group has 10+). But b is the same 15 people:
    # showing it now gives a's first-release figure back (p - c - b).
    assert suppress(now, partitions) == {}
    assert "b" in hidden and "diffusion précédente" in hidden["b"]
    assert "p" in hidden  # changed by 7


def test_a_synthetic_record_matches_the_figures(tmp_path: Path) -> None:
    frame = synthetic(tmp_path, 300, seed=8, waves=(WAVE,))
    results, records = compute_release(frame, D)
    record = records[WAVE]
    for measure in MEASURES:
        m = record.measures[measure]
        for i, cell in enumerate(record.cells[: record.groups]):
            assert isinstance(cell, Group)
            figure = results.figure(WAVE, measure, cell)
            assert m.published[i] == figure.published
            if figure.published:
                assert figure.n == m.n[i]
                assert figure.value == pytest.approx(m.total[i] / m.n[i])
            else:
                assert record.notes[m.note[i]] == figure.note
        assert not any(m.published[record.groups :])  # derived cells are never published
    assert np.isfinite([x for m in record.measures.values() for x in m.total]).all()
    assert record.cells[0] == Group(NATION, TOTAL, ALL)
