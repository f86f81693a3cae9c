"""Wilson intervals and the two-proportion comparison behind every 'what changed' verdict."""

from __future__ import annotations

import math

import pytest

from pmhc.analysis.stats import MIN_COUNT, Rate, compare, verdict, wilson


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (10, 100, 0.0552, 0.1744),  # the textbook example
        (50, 100, 0.4038, 0.5962),
        (1, 10, 0.0179, 0.4042),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_known_values(k, n, low, high):
    lo, hi = wilson(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_bounds_are_exact_at_the_ends():
    assert wilson(0, 25)[0] == 0.0
    assert wilson(25, 25)[1] == 1.0
    assert wilson(0, 0) is None


def test_wilson_matches_its_formula():
    k, n, z = 37, 120, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson(k, n) == pytest.approx((centre - half, centre + half))


def test_rate_value_text_and_judgeable():
    assert Rate(3, 12).value == 0.25
    assert Rate(0, 0).value is None
    assert Rate(3, 12).text() == "too few to judge"
    assert Rate(30, 120).text() == "25.0%"
    # Issue 20: judged from expected events, n*p and n*(1-p) at least 5, not 30 calls
    # alone: 1 of 30 (3.3%, use of force's share) is one event, too few; 5 of 30 is enough.
    assert Rate(1, 30).text(2) == "too few to judge"
    assert Rate(5, 30).text(2) == "16.67%" and Rate(25, 30).judgeable
    assert Rate(26, 30).judgeable is False  # 4 no: n*(1-p) = 4
    assert Rate(4, 1000).judgeable is False and Rate(5, 1000).judgeable
    assert Rate(10, MIN_COUNT - 1).judgeable is False  # still at least 30 calls
    assert Rate(10, MIN_COUNT).judgeable is True
    assert Rate(10, 100).interval == wilson(10, 100)


def test_compare_significant_improvement():
    change = compare(Rate(30, 100), Rate(50, 100), higher_is_better=True)
    assert change.difference == pytest.approx(0.2)
    # two-proportion z-test: pooled p = 0.4, se = sqrt(0.4*0.6*(2/100)) = 0.069282
    assert change.p_value == pytest.approx(math.erfc((0.2 / 0.0692820323) / math.sqrt(2)))
    assert change.p_value == pytest.approx(0.00389, abs=1e-5)
    # Newcombe's interval for the difference
    assert change.interval == pytest.approx((0.0642, 0.3258), abs=1e-4)
    # Issue 20: a pooled z-test on two windows cannot say "a real improvement" (no allowance for
    # trend, season or repeat people); the verdict says what the test shows.
    assert (
        change.verdict == "It rose by 20.0 points in the better direction: "
        "a statistically significant change, not adjusted for trend or season."
    )


def test_compare_significant_worsening():
    # Arrests going up is a worsening.
    change = compare(Rate(10, 200), Rate(30, 200), higher_is_better=False)
    assert change.p_value < 0.01
    assert (
        change.verdict == "It rose by 10.0 points in the worse direction: "
        "a statistically significant change, not adjusted for trend or season."
    )
    fell = compare(Rate(30, 100), Rate(10, 100), higher_is_better=True)
    assert (
        fell.verdict == "It fell by 20.0 points in the worse direction: "
        "a statistically significant change, not adjusted for trend or season."
    )


def test_compare_no_clear_change():
    change = compare(Rate(30, 100), Rate(33, 100), higher_is_better=True)
    assert change.p_value == pytest.approx(0.648, abs=1e-3)
    assert change.interval[0] < 0 < change.interval[1]
    assert change.verdict == "No clear change (up 3.0 points, within chance)."


def test_compare_without_a_direction_and_with_too_few():
    change = compare(Rate(20, 100), Rate(40, 100))
    assert (
        change.verdict == "It rose by 20.0 points: "
        "a statistically significant change, not adjusted for trend or season."
    )
    assert compare(Rate(2, 20), Rate(10, 20)) is None  # below MIN_COUNT calls
    assert compare(Rate(0, 50), Rate(0, 50)) is None  # no events: too few (issue 20)
    assert compare(Rate(5, 50), Rate(5, 50)).p_value == 1.0


def test_verdict_wording():
    assert verdict(-0.034, 0.2, True) == "No clear change (down 3.4 points, within chance)."
    assert verdict(-0.05, 0.001, False) == (
        "It fell by 5.0 points in the better direction: "
        "a statistically significant change, not adjusted for trend or season."
    )
    assert "real" not in verdict(-0.05, 0.001, False)
