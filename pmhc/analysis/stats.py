"""Rates with 95% Wilson intervals, the two-proportion test used to compare periods, the
control chart's overdispersion check (Laney p') and the interrupted time series."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2
from scipy.stats import t as t_dist

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


# --- control chart: overdispersion (Laney p') -----------------------------------------


@dataclass(frozen=True)
class Dispersion:
    """How much the baseline months vary beyond binomial chance."""

    sigma_z: float  # Laney's sigma-Z: moving range of the months' z-scores / 1.128
    p_value: float  # Pearson chi-square test of binomial variation (sum of z^2, k-1 df)
    laney: bool  # limits widened by sigma_z (p'-chart)

    @property
    def chart(self) -> str:
        return "Laney p′-chart" if self.laney else "p-chart"


def dispersion(k, n, alpha: float = 0.05) -> Dispersion:
    """Laney's sigma-Z of baseline months (k events in n calls each), and whether the limits
    need it: with hundreds of calls a month, real month-to-month variation (staffing,
    season) is larger than binomial chance and a plain p-chart signals on most months.
    p' is used when sigma-Z is above 1 and the chi-square test says the excess is not chance
    (p < alpha): "clearly above 1"."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    keep = n > 0
    k, n = k[keep], n[keep]
    if len(n) < 3:
        return Dispersion(1.0, 1.0, False)
    p = k.sum() / n.sum()
    if p <= 0 or p >= 1:
        return Dispersion(1.0, 1.0, False)
    z = (k / n - p) / np.sqrt(p * (1 - p) / n)
    sigma_z = float(np.mean(np.abs(np.diff(z))) / 1.128)
    p_value = float(chi2.sf(float(np.sum(z**2)), len(z) - 1))
    return Dispersion(sigma_z, p_value, sigma_z > 1 and p_value < alpha)


# --- interrupted time series ------------------------------------------------------------

MIN_SIDE_MONTHS = 6  # whole months needed on each side of the start for a segmented fit
SEASON_MONTHS = 24  # with this many months or more, seasonal terms are fitted


@dataclass(frozen=True)
class Segmented:
    """A segmented regression of a monthly rate: the change at the start in level (points)
    and in slope (points a month), each with its 95% interval, and the fitted series."""

    level: float
    level_ci: tuple[float, float]
    slope: float
    slope_ci: tuple[float, float]
    level_p: float
    slope_p: float
    months_before: int
    months_after: int
    seasonal: bool
    lags: int
    series: pd.DataFrame  # month, observed, fitted, counterfactual (pre-start trend extended)

    def text(self) -> str:
        lo, hi = self.level_ci
        slo, shi = self.slope_ci
        season = (
            "with seasonal terms" if self.seasonal else "without seasonal terms (under 24 months)"
        )
        return (
            f"The level changed by {self.level:+.1f} points (95% CI {lo:+.1f} to {hi:+.1f}) at "
            f"the start; the trend changed by {self.slope:+.2f} points a month (95% CI "
            f"{slo:+.2f} to {shi:+.2f}). Segmented regression of {self.months_before} monthly "
            f"rates before and {self.months_after} after, {season}, Newey–West errors "
            f"({self.lags} lag{'s' * (self.lags != 1)}; never narrower than ordinary ones)."
        )


def segmented(monthly: pd.DataFrame, start: pd.Timestamp) -> Segmented | str:
    """Interrupted time series of `monthly` (month, rate) around `start`: rate = b0 + b1*t +
    b2*after + b3*months since the start (+ a yearly sine and cosine with 24+ months), by
    least squares with robust errors (`_terms`). A month the start falls inside (not on its
    first day) is a transition month and left out. A sentence instead when there are too
    few months."""
    from statsmodels.api import OLS  # imported here: loading statsmodels takes a second

    first = pd.Timestamp(start.year, start.month, 1)
    data = monthly.dropna(subset=["rate"]).sort_values("month")
    data = data[data["month"] != first] if start != first else data
    after = (data["month"] >= first).to_numpy()
    n_before, n_after = int((~after).sum()), int(after.sum())
    if min(n_before, n_after) < MIN_SIDE_MONTHS:
        return (
            f"Too few months for an interrupted time series: {n_before} before and {n_after} "
            f"after the start (at least {MIN_SIDE_MONTHS} whole months each)."
        )
    x = _design(pd.to_datetime(data["month"]), first, after)
    y = 100 * data["rate"].to_numpy(float)
    lags = int(np.floor(4 * (len(y) / 100) ** (2 / 9)))  # Newey and West's rule of thumb
    fit = OLS(y, x).fit()
    terms = _terms(fit, list(x.columns), lags)
    series = pd.DataFrame(
        {
            "month": data["month"].to_numpy(),
            "observed": y / 100,
            "fitted": fit.predict(x) / 100,
            # the pre-start trend (and season) extended: the fit without the change terms
            "counterfactual": np.where(
                after, fit.predict(x.assign(after=0.0, since=0.0)) / 100, np.nan
            ),
        }
    )
    (level, level_ci, level_p), (slope, slope_ci, slope_p) = terms["after"], terms["since"]
    return Segmented(
        level, level_ci, slope, slope_ci, level_p, slope_p, n_before, n_after, "sin" in x, lags,
        series,
    )  # fmt: skip


def _design(month: pd.Series, first: pd.Timestamp, after: np.ndarray) -> pd.DataFrame:
    t = ((month.dt.year - first.year) * 12 + month.dt.month - first.month).to_numpy(float)
    x = pd.DataFrame({"const": 1.0, "t": t, "after": after * 1.0, "since": np.where(after, t, 0)})
    if len(x) >= SEASON_MONTHS:
        angle = 2 * np.pi * month.dt.month.to_numpy(float) / 12
        x["sin"], x["cos"] = np.sin(angle), np.cos(angle)
    return x


def _terms(fit, names: list[str], lags: int) -> dict[str, tuple]:
    """(estimate, 95% interval, p) of each term. Newey-West errors allow for autocorrelated
    months, but in a few dozen months they are too narrow (on generated 36-month series,
    95% HAC intervals held the true step in about 83 of 100): each error is the larger of
    the HAC and the ordinary one, with t intervals, which held it in about 95 of 100."""
    hac = fit.get_robustcov_results("HAC", maxlags=lags, use_correction=True)
    se = np.maximum(np.asarray(fit.bse), np.asarray(hac.bse))
    params, df = np.asarray(fit.params), fit.df_resid
    half = t_dist.ppf(0.975, df) * se
    p = 2 * t_dist.sf(np.abs(params / se), df)
    return {
        name: (
            float(params[i]),
            (float(params[i] - half[i]), float(params[i] + half[i])),
            float(p[i]),
        )
        for i, name in enumerate(names)
    }
