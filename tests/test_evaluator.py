"""Issue 20, an evaluator's review: definitions that hold up (a hand-off needs contact, a
shelter is not treatment, injuries apart, partial months of month-only dates) and
statistics that say what they can (the control chart's baseline, Laney p', the before/after
wording, the interrupted time series, too few to judge, repeat encounters over a rolling
look-back). Every expected figure is worked out by hand or by an independent pandas count."""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest

from pmhc.analysis import metrics as M
from pmhc.analysis import stats
from pmhc.analysis.stats import Rate
from pmhc.present import report
from pmhc.storage.workspace import Workspace


@pytest.fixture(scope="module")
def sample_2025() -> pd.DataFrame:
    mh = report.workspace_dataset(Workspace(tempfile.mkdtemp())).mh
    return mh[mh["received_at"].dt.year == 2025]


def test_a_hand_off_counts_only_with_contact_and_a_shelter_is_not_treatment(sample_2025):
    y = sample_2025
    old = M.outcome_for("connection", contact=False, shelter=True)  # before issue 20
    old_flag = old.flag(y).fillna(False).to_numpy(bool)
    assert M.outcome_rate(y, old) == Rate(4473, 8592)  # 52.1%, the figure the pages showed
    # An independent count: the old connections whose disposition says the call was resolved
    # on scene or nobody was contacted (Resolved on Scene - Counseled 128, Resources Declined
    # 67, No Action Possible or Necessary 64, Unable to Contact 38, Chronic Complaint 30):
    # each was connected only because a mobile-crisis or co-responder unit was on it.
    quiet = y["disposition_group"].isin(["resolved", "no_contact"]).to_numpy(bool) & old_flag
    assert quiet.sum() == 128 + 67 + 64 + 38 + 30 == 327
    crisis_unit = (y["unit_mobile_crisis"] | y["unit_co_responder"]).fillna(False).to_numpy(bool)
    assert crisis_unit[quiet].all()
    contact = M.outcome_rate(y, M.outcome_for("connection", contact=True, shelter=True))
    assert contact == Rate(4473 - 327, 8592)  # 4,146 / 8,592 = 48.3%
    assert f"{contact.value:.1%}" == "48.3%"
    # Shelter apart: the old connections whose only component is the shelter transport
    # (disposition "Shelter Transport", no treatment destination, no crisis unit).
    treatment = y["transport_destination"].isin(
        ["Riverside General ED", "Crisis Stabilization Unit", "Detox Center"]
    )
    shelter_only = (
        (y["disposition"] == "Shelter Transport").to_numpy(bool)
        & ~treatment.to_numpy(bool)
        & ~crisis_unit
        & old_flag
    )
    assert shelter_only.sum() == 171
    apart = M.outcome_rate(y, M.outcome_for("connection", contact=False, shelter=False))
    assert apart == Rate(4473 - 171, 8592) and f"{apart.value:.1%}" == "50.1%"
    # Both (the defaults): 4,473 - 327 - 171 + 0 (no incident is in both sets) = 3,975.
    assert not (quiet & shelter_only).any()
    default = M.outcome_rate(y, "connection")
    assert default == Rate(3975, 8592)  # 46.3%
    # Attendance is its own figure: incidents with a crisis unit, of those with a responder.
    attended = M.outcome_rate(y, "crisis_attended")
    assert attended.numerator == int(crisis_unit.sum())
    assert attended.denominator == int(y["unit_mobile_crisis"].notna().sum())


# --- the interrupted time series --------------------------------------------------------


def generated_series(level: float = 0.10, seed: int = 20) -> pd.DataFrame:
    """36 months of 700 calls: 30% with a trend of +0.1 points a month and a season of
    +/-2 points, binomial noise, and a step of `level` from month 19 (Jul 2024), slope 0."""
    rng = np.random.default_rng(seed)
    month = pd.date_range("2023-01-01", periods=36, freq="MS")
    t = np.arange(36)
    p = 0.30 + 0.001 * t + 0.02 * np.sin(2 * np.pi * month.month / 12) + level * (t >= 18)
    k = rng.binomial(700, p)
    return pd.DataFrame({"month": month, "numerator": k, "denominator": 700, "rate": k / 700})


def test_the_interrupted_time_series_finds_a_known_step():
    fit = stats.segmented(generated_series(), pd.Timestamp("2024-07-01"))
    assert (fit.months_before, fit.months_after, fit.seasonal) == (18, 18, True)
    assert fit.lags == 3  # floor(4 * (36/100)^(2/9)) = floor(3.19)
    # the known effect lies in the intervals: level +10 points, slope change 0
    assert fit.level_ci[0] < 10 < fit.level_ci[1]
    assert fit.slope_ci[0] < 0 < fit.slope_ci[1]
    assert 8 < fit.level < 12 and fit.level_p < 0.001
    assert fit.text().startswith(f"The level changed by {fit.level:+.1f} points (95% CI ")
    # the pre-start trend extended: 30% + 0.1 pt a month, with the season, and no step
    july = fit.series.set_index("month").loc[pd.Timestamp("2024-07-01")]
    assert july["counterfactual"] == pytest.approx(
        0.30 + 0.018 + 0.02 * np.sin(np.pi * 7 / 6), abs=0.02
    )
    # with no step, zero lies in the level's interval
    flat = stats.segmented(generated_series(level=0.0), pd.Timestamp("2024-07-01"))
    assert flat.level_ci[0] < 0 < flat.level_ci[1]


def test_the_interrupted_time_series_leaves_out_a_transition_month_and_needs_months():
    series = generated_series()
    mid = stats.segmented(series, pd.Timestamp("2024-07-15"))  # July is half before, half after
    assert (mid.months_before, mid.months_after) == (18, 17)
    assert pd.Timestamp("2024-07-01") not in set(mid.series["month"])
    short = stats.segmented(series.head(22), pd.Timestamp("2024-07-01"))
    assert short == (
        "Too few months for an interrupted time series: 18 before and 4 after the start "
        "(at least 6 whole months each)."
    )
