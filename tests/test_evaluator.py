"""Issue 20, an evaluator's review: definitions that hold up (a hand-off needs contact, a
shelter is not treatment, injuries apart, partial months of month-only dates) and
statistics that say what they can (the control chart's baseline, Laney p', the before/after
wording, the interrupted time series, too few to judge, repeat encounters over a rolling
look-back). Every expected figure is worked out by hand or by an independent pandas count."""

from __future__ import annotations

import json
import tempfile
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import TORONTO, real_file  # tests/ is on the path under pytest

from pmhc.analysis import metrics as M
from pmhc.analysis import periods, stats
from pmhc.analysis.filters import Filters
from pmhc.analysis.stats import Rate
from pmhc.analysis.summary import summarize
from pmhc.application import figures
from pmhc.present import views
from pmhc.present.builders import RUN_CONVENTION, control_caption, p_chart
from pmhc.present.charts import SIGNALS
from pmhc.storage import dataset
from pmhc.storage.workspace import Workspace


@pytest.fixture(scope="module")
def sample_2025() -> pd.DataFrame:
    mh = figures.read_dataset(Workspace(tempfile.mkdtemp()), None).mh
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


# --- the control chart ------------------------------------------------------------------


def months(spec: list[tuple[str, int, int]]) -> pd.DataFrame:
    """(YYYY-MM, calls, yes) -> the monthly frame the control chart reads."""
    frame = pd.DataFrame(spec, columns=["month", "denominator", "numerator"])
    frame["month"] = pd.to_datetime(frame["month"] + "-01")
    frame["rate"] = frame["numerator"] / frame["denominator"]
    return frame


def test_the_baseline_is_whole_months_before_the_start_and_the_start_month_a_transition():
    spec = [(f"2024-{m:02d}", 100, 30) for m in range(1, 7)]
    spec += [("2024-07", 100, 60)] + [(f"2024-{m:02d}", 100, 50) for m in range(8, 13)]
    data = p_chart(months(spec), pd.Timestamp("2024-07-15"))
    # Baseline: Jan-Jun, 180 of 600 = 0.30. Counting July (the start month) as before the
    # start, as the chart did, made it (180 + 60) / 700 = 0.342857 and judged July by it.
    assert data["centre"].iloc[0] == pytest.approx(0.30)
    july = data.set_index("month").loc[pd.Timestamp("2024-07-01")]
    assert (july["signal"], july["phase"], july["rules"]) == ("Transition", "transition", "")
    # 50 of 100 from August: sigma = sqrt(0.3 * 0.7 / 100) = 0.045826, UCL 0.437477
    assert data["ucl"].iloc[-1] == pytest.approx(0.3 + 3 * np.sqrt(0.21 / 100))
    assert (data["signal"].iloc[7:] == "Outside limits").all()
    # A start on the 1st: July is the first month after, judged like the others.
    first = p_chart(months(spec), pd.Timestamp("2024-07-01"))
    assert first.loc[6, "signal"] == "Outside limits" and first.loc[6, "phase"] == "after"
    assert "Transition" in SIGNALS and "Too few to judge" in SIGNALS


def test_laney_p_prime_when_the_baseline_is_overdispersed():
    # 12 months of 100 calls alternating 15 and 35 yes: p = 0.25, each sigma = 0.0433013,
    # z = -/+2.3094, moving ranges 4.6188, sigma-Z = 4.6188 / 1.128 = 4.0947; chi-square
    # = 12 * 5.3333 = 64 on 11 df, p ~ 1.6e-9: clearly above 1, so p' limits.
    spec = [(f"2023-{m:02d}", 100, 15 if m % 2 else 35) for m in range(1, 13)]
    spread = stats.dispersion([k for _, _, k in spec], [n for _, n, _ in spec])
    assert spread.sigma_z == pytest.approx(4.6188 / 1.128, abs=1e-3)
    assert spread.p_value < 1e-8 and spread.laney and spread.chart == "Laney p′-chart"
    data = p_chart(months(spec))
    assert data["chart"].iloc[0] == "Laney p′-chart"
    assert data["ucl"].iloc[0] == pytest.approx(min(1, 0.25 + 3 * 0.0433013 * 4.0947), abs=1e-3)
    assert (data["signal"] == "Within limits").all()  # a plain p-chart flagged every month
    # 4 months alternating 20 and 30: sigma-Z 2.05 but chi-square 5.33 on 3 df (p = 0.149):
    # not clearly overdispersed, so the plain p-chart, and the caption says so.
    few = [("2023-01", 100, 20), ("2023-02", 100, 30), ("2023-03", 100, 20), ("2023-04", 100, 30)]
    plain = p_chart(months(few))
    assert plain["chart"].iloc[0] == "p-chart" and plain["sigma_z"].iloc[0] == 2.047
    assert "within chance, so plain p limits" in control_caption(plain, None)
    assert RUN_CONVENTION in control_caption(plain, None)


def test_sparse_months_are_greyed_not_judged():
    # p = 60 / 200 = 0.3 over the baseline; a month of 10 calls expects 3 yes (< 5).
    spec = [("2024-01", 100, 30), ("2024-02", 90, 27), ("2024-03", 10, 3)]
    data = p_chart(months(spec))
    assert data["signal"].tolist() == ["Within limits", "Within limits", "Too few to judge"]


# --- partial months of month-only dates -------------------------------------------------


def test_toronto_june_2015_is_a_partial_month_by_its_volume(ingest_file):
    """Toronto's dates are known to the month; June 2015 has 743 calls against 1,447-2,050
    in every other month (under half the median), so it is partial: out of the 12-month
    window, the trends and the control chart."""
    (loaded,) = ingest_file(real_file(TORONTO))
    ds = dataset.build([loaded], "toronto")
    per_month = ds.calls["received_at"].dt.to_period("M").value_counts()
    june = per_month[pd.Period("2015-06", "M")]
    others = per_month.drop(pd.Period("2015-06", "M"))
    assert (june, others.min(), others.max()) == (743, 1447, 2050)
    assert june < 0.5 * others.median()
    scope = views.Scope(ds)
    assert scope.coverage.partial_months() == [pd.Timestamp("2015-06-01")]
    assert scope.coverage.partial_note() == (
        "Partial months left out of trends: Jun 2015 (743 calls against 1,447–2,050 in the "
        "other months)."
    )
    view = views.overview(scope)
    calls = {f.label: f for f in view.figures}["MH calls"]
    assert calls.caption == "Jun 2014–May 2015 · distinct incidents"
    assert (
        calls.value == f"{int(per_month[pd.period_range('2014-06', '2015-05', freq='M')].sum()):,}"
    )
    assert len(view.chart("monthly_calls").data) == 17  # Jan 2014 to May 2015


def test_a_data_end_date_makes_the_last_month_partial():
    month_dated = pd.Series(pd.to_datetime([f"2024-{m:02d}-01" for m in range(1, 7)] * 100))
    cov = periods.coverage(month_dated, "month")
    assert not cov.partial_months()  # 100 calls every month: none is low
    cut = periods.coverage(month_dated, "month", pd.Timestamp("2024-06-20"))
    assert cut.partial_months() == [pd.Timestamp("2024-06-01")]
    assert cut.end == pd.Timestamp("2024-05-31 23:59:59.999999")
    assert "Jun 2024 (data end set to 20 Jun 2024)" in cut.partial_note()
    # a data end on the month's last day, or in an earlier month, changes nothing
    assert not periods.coverage(month_dated, "month", pd.Timestamp("2024-06-30")).last_partial
    assert not periods.coverage(month_dated, "month", pd.Timestamp("2024-03-10")).last_partial


# --- repeat encounters over a rolling 12-month look-back ----------------------------------


def test_repeat_encounters_look_back_12_months_across_the_window_edge():
    when = [
        ("p1", "2024-11-15"),  # before the window: p1's Feb 2025 contact looks back to it
        ("p1", "2025-02-01"),
        ("p2", "2024-01-10"),  # 13.7 months before p2's next: outside the look-back
        ("p2", "2025-03-01"),
        ("p3", "2025-05-01"),
        ("p3", "2025-06-01"),
        ("p3", "2025-07-01"),
        ("p4", "2025-12-20"),
        ("p4", "2026-01-05"),  # after the window: the look-back never looks forward
    ]
    history = pd.DataFrame(when, columns=["person_id", "received_at"])
    history["received_at"] = pd.to_datetime(history["received_at"])
    window = history[history["received_at"].dt.year == 2025]
    r = M.repeat_encounters(window, history)
    # 2025: p1, p2, p3, p4 seen; 2+ within 12 months: p1 (Nov 2024 - Feb 2025) and p3;
    # 3+: p3. Counted inside the window alone, p1 had one contact and was not a repeat.
    assert (r.persons, r.repeat_2, r.repeat_3) == (4, Rate(2, 4), Rate(1, 4))
    assert M.repeat_encounters(window).repeat_2 == Rate(1, 4)  # no history: p3 only
    assert r.contacts_per_person == 6 / 4


def test_the_cli_and_the_page_give_one_repeat_figure_for_one_window():
    ds = figures.read_dataset(Workspace(tempfile.mkdtemp()), None)
    whole = Filters(start=date(2023, 1, 1), end=date(2025, 12, 31))
    page = {f.label: f for f in views.outcomes(views.Scope(ds, whole)).figures}["2+ MH contacts"]
    cli = summarize(ds, exact=True)["calls"]["repeat_person_share"]
    assert page.value == f"{100 * cli:.1f}%"
    assert "within 12 months before it" in page.help and "Jan 2023–Dec 2025" in page.help


def test_every_card_of_a_row_states_one_period():
    """The sample's key-figure window is Jan-Dec 2025: every dated card on the call pages
    names it (Question 2's dispatch and response cards and Question 4's arrest count
    described all 36 months, beside 12-month rates)."""
    ds = figures.read_dataset(Workspace(tempfile.mkdtemp()), None)
    scope = views.Scope(ds)
    for page in ("overview", "policies", "services", "outcomes"):
        captions = [f.caption for f in views.PAGES[page](scope).figures if f.caption]
        dated = [c for c in captions if "inventory" not in c]
        assert dated and all(c.startswith("Jan 2025–Dec 2025 · ") for c in dated), (page, dated)
    # the connection card names its definitions and where they are set
    connected = {f.label: f for f in views.overview(scope).figures}["Connected"]
    assert "hand-off to mobile crisis or a co-responder with contact" in connected.help
    assert "(a shelter is not)" in connected.help and "Data page, Definitions" in connected.help
    policies = {f.label: f for f in views.policies(scope).figures}
    window = scope.windows[0]
    minutes = (window["arrived_at"] - window["received_at"]).dt.total_seconds() / 60
    minutes = minutes[(minutes >= 0) & (minutes < 24 * 60)]
    assert policies["Median response"].value == f"{minutes.median():.0f} min"
    assert policies["Median response"].caption.endswith(
        f"of {len(minutes):,} MH calls with both times"
    )


def test_the_trend_follows_the_definition_settings_in_a_partial_month_dataset():
    """Trends drop partial months by keeping only the columns they need: a connection under
    non-default settings must still find the disposition group there."""
    ds = figures.read_dataset(Workspace(tempfile.mkdtemp()), None)
    calls = ds.calls
    ds.calls = calls[calls["received_at"] < pd.Timestamp("2025-12-15")]  # December partial
    ds.__dict__.pop("mh", None)
    scope = views.Scope(ds, shelter_as_treatment=True)  # hand-offs still need contact
    o = scope.outcome("connection")
    assert o.column == "is_connection_shelter"
    trend = M.monthly_outcomes(scope.trend_mh, [o]).set_index("month")
    june = ds.mh[ds.mh["month"] == pd.Timestamp("2025-06-01")]
    assert pd.Timestamp("2025-12-01") not in trend.index
    expected = M.outcome_rate(june, o)
    got = trend.loc[pd.Timestamp("2025-06-01")]
    assert (got["numerator"], got["denominator"]) == (expected.numerator, expected.denominator)
    loose = M.outcome_rate(june, M.outcome_for("connection", contact=False, shelter=True))
    assert loose.numerator > expected.numerator  # the contact rule applied in the trend


def test_sparse_months_are_grey_on_the_outcome_trend():
    from test_views import incidents  # tests/ is on the path: the hand-made dataset helper

    # 100 calls a month, 30 connected and 70 arrested; February has 10 calls, 3 connected:
    # 10 * 0.3 = 3 expected connections (< 5), so February is too few to judge.
    spec = [("2024-01", 100, 30, "N"), ("2024-02", 10, 3, "N"), ("2024-03", 100, 30, "N")]
    ds = incidents(spec)
    fig = views.outcomes(views.Scope(ds)).chart("outcome_trend")
    sparse = fig.data.set_index(["month", "outcome"])["sparse"]
    assert bool(sparse[(pd.Timestamp("2024-02-01"), "connection")])
    assert not sparse[(pd.Timestamp("2024-03-01"), "connection")]
    assert "grey points: too few to judge" in json.dumps(fig.chart.to_dict())


def test_a_dataset_saved_before_issue_20_follows_the_contact_rule(tmp_path):
    from pmhc.storage import datasets

    ds = figures.read_dataset(Workspace(tempfile.mkdtemp()), None)
    calls = ds.calls.drop(columns="conn_shelter")
    old = dataset.connection_flag(calls, contact=False)  # the flag as it was saved then
    ds.calls = calls.assign(is_connection=old)
    datasets.save(tmp_path, ds, "0123456789abcdef")
    loaded = datasets.load(tmp_path, "0123456789abcdef").calls
    assert loaded["is_connection"].sum() == dataset.connection_flag(calls).sum() < old.sum()
