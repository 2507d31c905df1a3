"""The statistics of the results, from aggregates only (n, sum, sum of squares), so that every test can
be recomputed from published figures and never needs respondent rows.

- Share of favourable answers (an item): Wilson score interval; change or gap: two-proportion z-test
  with the pooled proportion under the null hypothesis (two-sided).
- Mean score (an index or theme, 0-100 per respondent): Student t interval; change or gap: Welch's
  unequal-variance t-test with Welch-Satterthwaite degrees of freedom (two-sided).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from scipy import special
from scipy import stats as sps

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Aggregate:
    """Sufficient statistics of a group's scores."""

    n: int
    total: float  # sum of scores
    total_sq: float  # sum of squared scores

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        """Sample variance (n - 1)."""
        if self.n < 2:
            return math.nan
        return max(0.0, (self.total_sq - self.total * self.total / self.n) / (self.n - 1))

    def __sub__(self, other: Aggregate) -> Aggregate:
        """The rest of a group once a subgroup is taken out (e.g. the nation without a region)."""
        return Aggregate(self.n - other.n, self.total - other.total, self.total_sq - other.total_sq)


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float
    test: str
    df: float | None = None

    def significant(self, alpha: float = 0.05) -> bool:
        return not math.isnan(self.p_value) and self.p_value < alpha


@lru_cache(maxsize=4096)
def _t_quantile(q: float, df: float) -> float:
    return float(sps.t.ppf(q, df))


@lru_cache(maxsize=16)
def _z_quantile(q: float) -> float:
    return float(sps.norm.ppf(q))


def wilson_interval(
    successes: float, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Wilson score interval of a proportion, as proportions in [0, 1]."""
    if n == 0:
        return (math.nan, math.nan)
    z = _z_quantile(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(agg: Aggregate, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Student t interval of a mean."""
    if agg.n < 2:
        return (math.nan, math.nan)
    t = _t_quantile(0.5 + confidence / 2, agg.n - 1)
    half = t * math.sqrt(agg.variance / agg.n)
    return (agg.mean - half, agg.mean + half)


def two_proportion_z_test(x1: float, n1: int, x2: float, n2: int) -> TestResult:
    """H0: p1 == p2, pooled standard error; two-sided."""
    if n1 == 0 or n2 == 0:
        return TestResult(math.nan, math.nan, "z")
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return TestResult(0.0, 1.0, "z")
    z = (x2 / n2 - x1 / n1) / se
    return TestResult(z, math.erfc(abs(z) / math.sqrt(2)), "z")


def welch_t_test(a: Aggregate, b: Aggregate) -> TestResult:
    """H0: mean(a) == mean(b), unequal variances; the statistic is positive when b > a."""
    if a.n < 2 or b.n < 2:
        return TestResult(math.nan, math.nan, "welch")
    va, vb = a.variance / a.n, b.variance / b.n
    se2 = va + vb
    if se2 == 0:
        return TestResult(0.0, 1.0, "welch", float(a.n + b.n - 2))
    t = (b.mean - a.mean) / math.sqrt(se2)
    df = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1))
    return TestResult(t, float(2 * special.stdtr(df, -abs(t))), "welch", df)
