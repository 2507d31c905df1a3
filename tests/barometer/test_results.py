"""Results: figures match the arithmetic, nothing about fewer than 10 people is published or derivable,
changes and gaps use the stated tests, the watch list is computed."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parcours.barometer.definitions import default_definitions
from parcours.barometer.results import (
    ALL,
    NATION,
    TOTAL,
    Group,
    Results,
    _wave_frame,
    benjamini_hochberg,
    compute_results,
)
from parcours.barometer.scoring import score_frame
from parcours.barometer.stats import Aggregate, two_proportion_z_test, welch_t_test
from parcours.barometer.synth import SynthOptions, write_survey

from .test_suppression import peel

D = default_definitions()
ITEMS = list(D.questionnaire.items)


def synthetic(
    tmp_path: Path, n: int, seed: int, waves: tuple[str, ...] = ("2024-03", "2024-10")
) -> pd.DataFrame:
    path = tmp_path / "s.csv"
    write_survey(path, SynthOptions(waves=waves, respondents_per_wave=n, seed=seed))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for code in ITEMS:
        frame[code] = pd.to_numeric(frame[code].replace("", np.nan))
    return frame


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Results]:
    """One synthetic survey small enough to have many small groups, computed once for this module."""
    frame = synthetic(tmp_path_factory.mktemp("survey"), 800, seed=13)
    return frame, compute_results(frame, D)


def base_row(**attrs: str) -> dict[str, object]:
    row: dict[str, object] = {
        "wave": "2024-03", "region": "OCC", "establishment": "DR", "agency_size": "M",
        "manager": "non", "job_family": "CDDE", "portfolio": "GUIDE", "disability": "non",
        "contract": "CDI",
    }  # fmt: skip
    row.update(attrs)
    row.update({c: 3.0 for c in ITEMS})
    return row


def test_figures_match_hand_arithmetic() -> None:
    # 12 GDD counsellors answer Q01 = 5 (favourable), 18 CDDE answer Q01 = 2; all in Occitanie.
    rows = [base_row(job_family="GDD", portfolio="AUCUN") | {"Q01": 5.0} for _ in range(12)]
    rows += [base_row() | {"Q01": 2.0} for _ in range(18)]
    results = compute_results(pd.DataFrame(rows), D)
    nation = results.figure("2024-03", "item:Q01", Group(NATION, TOTAL, ALL))
    assert nation.n == 30 and nation.value == pytest.approx(40.0)  # 12 / 30 favourable
    gdd = results.figure("2024-03", "item:Q01", Group(NATION, "job_family", "GDD"))
    assert gdd.value == pytest.approx(100.0) and gdd.n == 12
    # IQVT (mean 0-100): GDD answer 3 everywhere except Q01 = 5 -> (12 x 50 + 100) / 13 items.
    iqvt = results.figure("2024-03", "iqvt", Group(NATION, "job_family", "GDD"))
    assert iqvt.value == pytest.approx((12 * 50 + 100) / 13)
    # Only Occitanie has respondents; the other regions are empty, not figures.
    assert results.figure("2024-03", "iqvt", Group("IDF", TOTAL, ALL)).value is None


def test_small_groups_are_never_published(shared: tuple[pd.DataFrame, Results]) -> None:
    results = shared[1]
    published = [f for f in results.figures.values() if f.published]
    assert published and all(f.n is not None and f.n >= 10 for f in published)
    hidden = [f for f in results.figures.values() if not f.published]
    assert all(f.n is None and f.low is None and f.note for f in hidden)
    assert any("moins de 10" in f.note for f in hidden)
    assert any("secondaire" in f.note for f in hidden)


def test_no_suppressed_figure_can_be_recovered_from_published_ones(
    shared: tuple[pd.DataFrame, Results],
) -> None:
    """The differencing attack on the real output: every partition equation, all counts known."""
    frame, results = shared
    for wave in results.waves:
        sub = frame[frame["wave"] == wave].reset_index(drop=True)
        wf = _wave_frame(sub, D)
        scores = score_frame(sub[ITEMS], D)
        for measure in ("iqvt", "idc", "item:Q19"):
            published: dict[Hashable, tuple[int, float] | None] = {}
            counts: dict[Hashable, int] = {}
            for i, g in enumerate(wf.groups):
                f = results.figure(wave, measure, g)
                published[g] = (f.n, f.value) if f.n is not None and f.value is not None else None
                # Worst case: the attacker knows every group's true count of answers.
                counts[g] = int((wf.masks[i] & scores[measure].notna().to_numpy()).sum())
            # The remainders of the consistency rules are never published; the attacker knows
            # their counts too, and must not get the small ones.
            small: set[Hashable] = set()
            for i, cell in enumerate(wf.derived):
                counts[cell] = int((wf.derived_masks[i] & scores[measure].notna().to_numpy()).sum())
                if 0 < counts[cell] < 10:
                    small.add(cell)
            stolen = peel(published, counts, wf.partitions)
            hidden_nonempty = {g for g, v in published.items() if v is None and counts[g] > 0}
            assert not (set(stolen) & (hidden_nonempty | small)), (
                wave,
                measure,
                set(stolen) & hidden_nonempty,
            )


def test_changes_only_between_published_figures_and_use_the_stated_tests(
    shared: tuple[pd.DataFrame, Results],
) -> None:
    frame, results = shared
    assert results.changes
    for change in results.changes[:200]:
        before = results.figure(change.from_wave, change.measure, change.group)
        after = results.figure(change.to_wave, change.measure, change.group)
        assert before.published and after.published
        assert change.delta == pytest.approx(after.value - before.value)  # type: ignore[operator]
    # Recompute one index change and one item change from the rows.
    nation = Group(NATION, TOTAL, ALL)
    scores = score_frame(frame[ITEMS], D)
    for measure, test in (("iqvt", "welch"), ("item:Q17", "z")):
        change = next(c for c in results.changes if c.measure == measure and c.group == nation)
        a = scores.loc[frame["wave"] == "2024-03", measure].dropna()
        b = scores.loc[frame["wave"] == "2024-10", measure].dropna()
        if test == "welch":
            expected = welch_t_test(
                Aggregate(len(a), a.sum(), (a**2).sum()), Aggregate(len(b), b.sum(), (b**2).sum())
            )
        else:
            expected = two_proportion_z_test(a.sum() / 100, len(a), b.sum() / 100, len(b))
        assert change.test.test == test
        assert change.test.p_value == pytest.approx(expected.p_value)


def test_a_group_suppressed_in_one_wave_gets_no_change() -> None:
    rows = [base_row(wave="2024-03", disability="oui") for _ in range(12)]
    rows += [base_row(wave="2024-03") for _ in range(40)]
    rows += [base_row(wave="2024-10", disability="oui") for _ in range(6)]
    rows += [base_row(wave="2024-10") for _ in range(40)]
    results = compute_results(pd.DataFrame(rows), D)
    group = Group(NATION, "disability", "oui")
    assert results.figure("2024-03", "iqvt", group).published
    assert not results.figure("2024-10", "iqvt", group).published
    assert not any(c.group == group for c in results.changes)


def test_region_gap_is_against_the_rest_of_the_nation(shared: tuple[pd.DataFrame, Results]) -> None:
    results = shared[1]
    gap = next(
        g for g in results.gaps if g.region == "OCC" and g.measure == "iqvt" and g.wave == "2024-03"
    )
    nation = results.figure("2024-03", "iqvt", Group(NATION, TOTAL, ALL))
    occ = results.figure("2024-03", "iqvt", Group("OCC", TOTAL, ALL))
    assert gap.gap == pytest.approx(occ.value - nation.value)  # type: ignore[operator]
    assert gap.test.test == "welch" and 0 <= gap.test.p_value <= 1


def test_watch_list_finds_a_planted_low_group() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(400):
        row = base_row(disability="oui" if i < 60 else "non")
        low = i < 60
        for code in ITEMS:
            row[code] = float(rng.integers(1, 3) if low else rng.integers(3, 6))
        rows.append(row)
    results = compute_results(pd.DataFrame(rows), D)
    planted = [w for w in results.watch if w.group == Group(NATION, "disability", "oui")]
    assert {w.measure for w in planted} == {"iqvt", "idc"}
    assert all(w.kind == "niveau" and w.value < w.reference and w.q_value < 0.05 for w in planted)
    assert not any(w.group == Group(NATION, "disability", "non") for w in results.watch)


def test_benjamini_hochberg_by_hand() -> None:
    # p = .01 .04 .03 .20 (m = 4): sorted .01 .03 .04 .20 -> .04 .06 .0533 .20, then monotone
    # from the top: .20, .0533, .0533, .04.
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.20])
    assert q == pytest.approx([0.04, 0.053333, 0.053333, 0.20], abs=1e-6)
    assert benjamini_hochberg([]) == []


def test_results_keep_no_respondent_rows(shared: tuple[pd.DataFrame, Results]) -> None:
    results = shared[1]
    assert set(vars(results)) == {
        "definitions",
        "waves",
        "threshold",
        "figures",
        "changes",
        "gaps",
        "watch",
    }
    figure_fields = {"wave", "measure", "group", "n", "value", "low", "high", "note"}
    assert all(set(vars(f)) == figure_fields for f in list(results.figures.values())[:50])
