"""Rates with 95% Wilson intervals, the two-proportion test used to compare periods, the
control chart's overdispersion check (Laney p') and the interrupted time series."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054
MIN_COUNT = 30  # below this many calls a rate is "too few to judge"
# Expected events: with fewer than 5 yes or 5 no (n*p or n*(1-p) < 5) the normal
# approximation behind the intervals, the z-test and the control limits does not hold, so a
# rate is "too few to judge" however many calls it has (3% of 30 calls is one event).
MIN_EXPECTED = 5


def enough_events(n, p) -> np.ndarray:
    """n*p and n*(1-p) both at least MIN_EXPECTED, element-wise."""
    n, p = np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    least = MIN_EXPECTED - 1e-9  # 30 * (5 / 30) is 4.999…: a count of 5 is enough
    with np.errstate(invalid="ignore"):
        return (n * p >= least) & (n * (1 - p) >= least)


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.numerator, self.denominator)

    @property
    def judgeable(self) -> bool:
        """At least MIN_COUNT calls, and at least MIN_EXPECTED yes and no among them."""
        if self.denominator < MIN_COUNT:
            return False
        return bool(enough_events(self.denominator, self.numerator / self.denominator))

    def text(self, digits: int = 1) -> str:
        if not self.judgeable:
            return "too few to judge"
        return f"{100 * self.numerator / self.denominator:.{digits}f}%"


def wilson_bounds(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials, element-wise over arrays.

    The one implementation of the interval: `wilson` (one rate) and the rate tables use it.
    Where n is 0 both bounds are NaN."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The bounds are exactly 0 at k = 0 and 1 at k = n; rounding would leave 1e-17 or 0.999….
    low = np.where((k == 0) & (n > 0), 0.0, np.clip(centre - half, 0, 1))
    high = np.where((k == n) & (n > 0), 1.0, np.clip(centre + half, 0, 1))
    return low, high


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for k successes in n trials."""
    if n <= 0:
        return None
    low, high = wilson_bounds(k, n, z)
    return float(low), float(high)


@dataclass(frozen=True)
class Change:
    before: Rate
    after: Rate
    difference: float  # after - before, in proportion points
    interval: tuple[float, float]  # 95% CI of the difference (Newcombe hybrid score)
    p_value: float
    verdict: str


def compare(
    before: Rate, after: Rate, higher_is_better: bool | None = None, alpha: float = 0.05
) -> Change | None:
    """Two-proportion z-test of after vs before, with a plain-language verdict."""
    if not (before.judgeable and after.judgeable):
        return None
    n1, n2 = before.denominator, after.denominator
    p1, p2 = before.numerator / n1, after.numerator / n2  # both n >= MIN_COUNT here
    pooled = (before.numerator + after.numerator) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / se if se > 0 else 0.0
    p_value = math.erfc(abs(z) / math.sqrt(2))
    (l1, l2), (u1, u2) = wilson_bounds([before.numerator, after.numerator], [n1, n2])
    diff = p2 - p1
    # Newcombe's method 10: combine the two Wilson intervals.
    lo = diff - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    hi = diff + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return Change(
        before, after, diff, (lo, hi), p_value, verdict(diff, p_value, higher_is_better, alpha)
    )


def verdict(diff: float, p_value: float, higher_is_better: bool | None, alpha: float = 0.05) -> str:
    """What a two-proportion test can say: whether the change is larger than chance, never
    why (the windows are not adjusted for trend or season, and a person's repeat calls are
    not independent), so never "a real improvement"."""
    points = f"{abs(100 * diff):.1f} points"
    if p_value >= alpha:
        return f"No clear change ({'up' if diff > 0 else 'down'} {points}, within chance)."
    direction = "rose" if diff > 0 else "fell"
    way = ""
    if higher_is_better is not None:
        way = f" in the {'better' if (diff > 0) == higher_is_better else 'worse'} direction"
    return (
        f"It {direction} by {points}{way}: a statistically significant change, not adjusted "
        "for trend or season."
    )
