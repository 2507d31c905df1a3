"""Differences through the consistency rules of population.yaml (tester's findings B1, B2) and the
precision of the chart exports (B4).

The rules are public: only CDDE counsellors hold a portfolio, and the DSI and the DG are never an
agency. So "CDDE - Suivi - Guidé" is the CDDE counsellors without a portfolio, and "outside agencies
- DSI - DG" the regional staff outside agencies, although neither is a published group."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from parcours.barometer.definitions import default_definitions
from parcours.barometer.report import chart_data
from parcours.barometer.results import ALL, NATION, TOTAL, Group, Results, compute_results
from parcours.barometer.suppression import Partition, suppress

D = default_definitions()
ITEMS = list(D.questionnaire.items)
WAVE = "2025-03"
MEASURES = ("iqvt", "idc", "item:Q01")


def block(count: int, answer: float, **attrs: str) -> list[dict[str, object]]:
    """`count` respondents with these attributes, answering `answer` to every item."""
    row: dict[str, object] = {
        "wave": WAVE, "region": "OCC", "establishment": "DR", "agency_size": "M",
        "manager": "non", "job_family": "GDD", "portfolio": "AUCUN", "disability": "non",
        "contract": "CDI",
    }  # fmt: skip
    row.update(attrs)
    row.update({c: answer for c in ITEMS})
    return [dict(row) for _ in range(count)]


def wave_b1(without_portfolio: int) -> pd.DataFrame:
    """The tester's scenario A: 30 Suivi, 30 Guidé and a few CDDE without a portfolio in Occitanie."""
    rows = block(30, 5.0, job_family="CDDE", portfolio="SUIVI")
    rows += block(30, 4.0, job_family="CDDE", portfolio="GUIDE")
    rows += block(without_portfolio, 1.0, job_family="CDDE", portfolio="AUCUN")
    rows += block(30, 5.0, job_family="GDD") + block(30, 4.0, job_family="SUP")
    rows += block(40, 4.0, region="IDF", job_family="CDDE", portfolio="SUIVI")
    rows += block(40, 5.0, region="IDF", job_family="GDD")
    return pd.DataFrame(rows)


def wave_b2(outside_agencies: int) -> pd.DataFrame:
    """The tester's scenario B: regional staff in agencies S and M, a few outside agencies, the DSI
    and the DG (never an agency) in Occitanie."""
    rows = block(30, 5.0, agency_size="S") + block(30, 4.0, agency_size="M")
    rows += block(outside_agencies, 1.0, agency_size="NA")
    rows += block(20, 5.0, establishment="DSI", agency_size="NA", job_family="SI")
    rows += block(20, 4.0, establishment="DG", agency_size="NA", job_family="SUP")
    rows += block(60, 4.0, region="IDF", agency_size="L")
    return pd.DataFrame(rows)


def published(results: Results, measure: str, scope: str, dim: str, value: str) -> bool:
    return results.figure(WAVE, measure, Group(scope, dim, value)).published


def recoverable(frame: pd.DataFrame, results: Results, measure: str) -> list[str]:
    """An independent attacker, stronger than the product's model: the unknowns are the attribute
    combinations actually present (as if every empty cell were known), each published figure is an
    equation (n x mean = sum over its combinations). Returns every intersection of two attribute
    values in a scope, with 1 to 9 respondents, whose sum lies in the row space."""
    attrs = [a for a in D.population.attributes if a != "region"]
    atoms = frame[["region", *attrs]].drop_duplicates().reset_index(drop=True)
    rows = []
    for (wave, m, g), f in results.figures.items():
        if wave != WAVE or m != measure or not f.published:
            continue
        inside = np.ones(len(atoms), dtype=bool)
        if g.scope != NATION:
            inside &= (atoms["region"] == g.scope).to_numpy()
        if g.dim != TOTAL:
            inside &= (atoms[g.dim] == g.value).to_numpy()
        rows.append(inside.astype(float))
    system = np.array(rows)
    base = np.linalg.matrix_rank(system)
    leaks = []
    for scope in [NATION, *sorted(frame["region"].unique())]:
        in_scope = (
            np.ones(len(atoms), dtype=bool)
            if scope == NATION
            else (atoms["region"] == scope).to_numpy()
        )
        people = frame if scope == NATION else frame[frame["region"] == scope]
        for i, a in enumerate(attrs):
            for b in attrs[i + 1 :]:
                for (va, vb), n in people.groupby([a, b]).size().items():
                    if not 0 < n < 10:
                        continue
                    target = in_scope & (atoms[a] == va).to_numpy() & (atoms[b] == vb).to_numpy()
                    stacked = np.vstack([system, target.astype(float)])
                    if np.linalg.matrix_rank(stacked) == base:
                        leaks.append(f"{scope} {a}={va} {b}={vb} n={n}")
    return leaks


def test_derived_cell_forces_a_complement_by_hand() -> None:
    # CDDE = Suivi + Guidé + R, R (the CDDE without a portfolio) is never published.
    counts: dict[Hashable, int] = {"CDDE": 63, "SUIVI": 30, "GUIDE": 30, "R": 3}
    nesting = [Partition("CDDE", ("SUIVI", "GUIDE", "R"))]
    hidden = suppress(counts, nesting, derived=["R"])
    assert "R" not in hidden  # a derived cell is not a group of the output
    assert {"SUIVI", "GUIDE", "CDDE"} & set(hidden)
    # A remainder of 0 or of at least 10 respondents may be computed: nothing to hide.
    for remainder in (0, 12):
        counts = {"CDDE": 60 + remainder, "SUIVI": 30, "GUIDE": 30, "R": remainder}
        assert suppress(counts, nesting, derived=["R"]) == {}


Term = tuple[str, str]  # (attribute, value) of a published group


def _differences_are_broken(
    frame: Any, results: Any, differences: tuple[tuple[Term, ...], ...]
) -> None:
    """In the region and the nation, for every measure, each difference the tester used has a
    suppressed term, and the independent attacker recovers no small group."""
    for measure in MEASURES:
        for scope in ("OCC", NATION):
            for terms in differences:
                assert not all(
                    published(results, measure, scope, dim, value) for dim, value in terms
                ), (measure, scope, terms)
        assert recoverable(frame, results, measure) == []


def test_b1_cdde_without_portfolio_cannot_be_recovered() -> None:
    frame = wave_b1(without_portfolio=3)
    results = compute_results(frame, D)
    # CDDE - Suivi - Guidé, and Sans portefeuille - GDD - SUP.
    _differences_are_broken(
        frame,
        results,
        (
            (("job_family", "CDDE"), ("portfolio", "SUIVI"), ("portfolio", "GUIDE")),
            (("portfolio", "AUCUN"), ("job_family", "GDD"), ("job_family", "SUP")),
        ),
    )
    for measure in MEASURES:
        # The scope totals stay published: the repair hides subgroups, not the whole region.
        assert published(results, measure, "OCC", TOTAL, ALL)


def test_b2_regional_staff_outside_agencies_cannot_be_recovered() -> None:
    frame = wave_b2(outside_agencies=4)
    # Outside agencies - DSI - DG, and DR - S - M.
    _differences_are_broken(
        frame,
        compute_results(frame, D),
        (
            (("agency_size", "NA"), ("establishment", "DSI"), ("establishment", "DG")),
            (("establishment", "DR"), ("agency_size", "S"), ("agency_size", "M")),
        ),
    )


@pytest.mark.parametrize("remainder", [0, 12])
def test_ordinary_waves_keep_their_figures(remainder: int) -> None:
    """No small remainder (none at all, or a dozen): the rules cost nothing."""
    for frame in (wave_b1(remainder), wave_b2(remainder)):
        results = compute_results(frame, D)
        for measure in MEASURES:
            for (wave, m, g), f in results.figures.items():
                if wave == WAVE and m == measure and f.note != "aucun répondant":
                    assert f.published, (measure, g, f.note)


def test_chart_exports_carry_the_tables_precision_and_stay_on_the_scale() -> None:
    # IDC near 100 in Occitanie: a t interval would reach above 100.
    rows = block(40, 5.0) + block(1, 3.0) + block(30, 3.0, region="IDF")
    frame = pd.concat(
        [pd.DataFrame(rows), pd.DataFrame(rows).assign(wave="2025-10")], ignore_index=True
    )
    results = compute_results(frame, D)
    idc = results.figure(WAVE, "idc", Group("OCC", TOTAL, ALL))
    assert idc.high is not None and idc.high <= 100.0
    charts = chart_data(results, "OCC")
    assert any(chart.rows for chart in charts.values())
    for chart in charts.values():
        for row in chart.rows:
            for key in ("value", "low", "high", "delta"):
                v = row.get(key)
                if v is None:
                    continue
                assert isinstance(v, float) and not math.isnan(v)
                assert v == round(v, 1), (key, v)  # as printed in the tables (one decimal)
                if key != "delta":
                    assert 0.0 <= v <= 100.0, (key, v)
