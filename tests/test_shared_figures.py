"""The partner pages and the staff pages draw a figure they both show with one builder
(`present.builders`): the control chart's limits, signals and title are worked out the same
way on both sides from what each is given; partners get only the months the release shows,
a hidden month keeping no limit that could give it back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmhc.analysis.released import Released, Selection
from pmhc.present import builders, charts, partner, report
from pmhc.storage import releases
from tests import partner_exports as exports
from tests.test_partner_app import publish

START = pd.Timestamp("2024-01-01")


def monthly(numerators: list[float], denominator: float = 100.0) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "month": pd.date_range("2023-01-01", periods=len(numerators), freq="MS"),
            "numerator": numerators,
            "denominator": [np.nan if pd.isna(k) else denominator for k in numerators],
        }
    )
    frame["rate"] = frame["numerator"] / frame["denominator"]
    return frame


def test_months_outside_the_limits_carry_the_charts_own_label():
    """30 of 100 a month for a year, then 45 of 100: the upper limit is 0.30 + 3 x
    sqrt(0.3 x 0.7 / 100) = 0.4375, so every later month is outside it, and is drawn as such
    ("Above limits", the partner chart's old label, matched no category of the chart)."""
    fig = builders.control_chart(monthly([30] * 12 + [45] * 12), "Connection", START)
    signals = fig.data["signal"]
    assert set(signals) <= set(charts.SIGNALS)
    assert (signals.iloc[12:] == "Outside limits").all() and len(signals) == 24
    assert fig.data["ucl"].iloc[0] == pytest.approx(0.30 + 3 * np.sqrt(0.21 / 100))
    assert fig.title == (
        "Connection: 12 months outside the limits from the baseline of whole months before "
        "the programme start and 0 more breaking a run rule"
    )


def test_a_hidden_month_has_no_limits_and_the_others_are_as_without_it():
    """A month whose counts are hidden stays in the table without a limit or a verdict;
    the shown months' limits are those of the shown months alone."""
    counts = [30.0] * 12 + [45.0] * 12
    counts[5] = np.nan  # June 2023 hidden
    fig = builders.control_chart(monthly(counts), "Connection", START)
    data = fig.data.set_index("month")
    june = data.loc[pd.Timestamp("2023-06-01")]
    assert pd.isna(june["lcl"]) and pd.isna(june["ucl"]) and pd.isna(june["signal"])
    shown = builders.p_chart(monthly(counts).dropna(subset=["numerator"]), START)
    both = data.dropna(subset=["numerator"]).reset_index()
    pd.testing.assert_series_equal(both["ucl"], shown["ucl"])
    assert list(both["signal"]) == list(shown["signal"])


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Released:
    folder = publish(tmp_path_factory.mktemp("shared") / "base", exports.base_export())
    return Released(releases.load(folder))


def test_the_partner_control_chart_is_the_staff_one_of_the_shown_months(released):
    key = released.meta["outcomes"][0]["key"]
    fig = partner.p_chart(released, Selection(), key)
    assert fig is not None
    rates = partner.monthly_rates(released, Selection(), [key])
    start = released.meta.get("programme_start")
    start = pd.Timestamp(start) if start else None
    staff = builders.control_chart(rates, partner._label(released, key), start)
    assert fig.title == staff.title
    assert fig.chart.to_dict()["layer"] == staff.chart.to_dict()["layer"]
    # The pack's signals read the partner chart as they read the staff one.
    shown = fig.data[fig.data["signal"].isin(["Outside limits", "Run rule"])]
    signals = report.control_signals(partner.review(released, Selection(), key))
    assert len(signals) == len(shown)
    assert set(fig.data["signal"]) <= {*charts.SIGNALS, released.hidden}
