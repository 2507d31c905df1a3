"""The significance tests and intervals against scipy and against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from parcours.barometer.stats import (
    Aggregate,
    mean_interval,
    two_proportion_z_test,
    welch_t_test,
    wilson_interval,
)


def aggregate(values: np.ndarray) -> Aggregate:
    return Aggregate(len(values), float(values.sum()), float((values * values).sum()))


def test_two_proportion_z_test_by_hand() -> None:
    # 40/100 then 55/100: pooled p = 95/200 = 0.475; se = sqrt(0.475 * 0.525 * (1/100 + 1/100))
    # = sqrt(0.0049875) = 0.0706222; z = 0.15 / 0.0706222 = 2.12398; p = 2 * (1 - Phi(2.12398)).
    result = two_proportion_z_test(40, 100, 55, 100)
    assert result.statistic == pytest.approx(2.12398, abs=1e-5)
    assert result.p_value == pytest.approx(0.033672, abs=1e-5)
    assert result.significant()
    same = two_proportion_z_test(30, 60, 50, 100)
    assert same.statistic == 0 and same.p_value == pytest.approx(1.0)
    assert not two_proportion_z_test(50, 100, 52, 100).significant()


def test_two_proportion_z_test_matches_chi_square_without_correction() -> None:
    # The pooled z-test squared is Pearson's chi-square on the 2x2 table.
    table = np.array([[123, 377], [161, 339]])
    chi2, p, _, _ = sps.chi2_contingency(table, correction=False)
    result = two_proportion_z_test(123, 500, 161, 500)
    assert result.statistic**2 == pytest.approx(chi2)
    assert result.p_value == pytest.approx(p)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_welch_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(52, 20, size=37)
    b = rng.normal(47, 9, size=120)
    expected = sps.ttest_ind(b, a, equal_var=False)
    result = welch_t_test(aggregate(a), aggregate(b))
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert result.df == pytest.approx(expected.df, rel=1e-9)


def test_welch_by_hand() -> None:
    # a = 1..5 (mean 3, var 2.5), b = 2,4,6 (mean 4, var 4): se^2 = 2.5/5 + 4/3 = 1.8333;
    # t = 1 / 1.35401 = 0.738549; df = 3.36111 / (0.25/4 + 1.77778/2) = 3.36111 / 0.951389 = 3.532847.
    result = welch_t_test(aggregate(np.arange(1.0, 6.0)), aggregate(np.array([2.0, 4.0, 6.0])))
    assert result.statistic == pytest.approx(0.738549, abs=1e-6)
    assert result.df == pytest.approx(3.532847, abs=1e-6)


def test_wilson_matches_scipy() -> None:
    for k, n in [(0, 12), (7, 10), (45, 100), (312, 640), (12, 12)]:
        ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        lo, hi = wilson_interval(k, n)
        assert lo == pytest.approx(ci.low, abs=1e-12)
        assert hi == pytest.approx(ci.high, abs=1e-12)


def test_mean_interval_matches_scipy() -> None:
    values = np.array([0.0, 25, 50, 50, 75, 100, 100, 62.5, 12.5, 37.5, 87.5])
    expected = sps.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values))
    assert mean_interval(aggregate(values)) == pytest.approx(expected)


def test_degenerate_inputs_give_nan_not_errors() -> None:
    assert math.isnan(welch_t_test(Aggregate(1, 5, 25), Aggregate(10, 50, 300)).p_value)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    assert (Aggregate(10, 500, 26000) - Aggregate(4, 200, 10000)) == Aggregate(6, 300, 16000)
