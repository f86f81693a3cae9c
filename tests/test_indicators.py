"""The indicator registry (issue 17): one entry per figure, read by the pages, the partner
release, `summarize`, the meeting pack and docs/indicators.md. A new indicator added in one
entry plus its function shows up everywhere; the drift the issue found is gone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import KEY, NOW, TORONTO, real_file  # tests/ is on the path under pytest
from streamlit.testing.v1 import AppTest

from pmhc.analysis import indicators, metrics, release
from pmhc.analysis.filters import Filters
from pmhc.analysis.indicators import Indicator
from pmhc.analysis.released import Released, Selection
from pmhc.analysis.released import summary as released_summary
from pmhc.analysis.summary import summarize
from pmhc.ingest import pipeline as ingest
from pmhc.present import indicator_docs, partner, report, views
from pmhc.storage import dataset
from pmhc.storage import settings as store
from tests import partner_exports as exports

HEADER = ["Incident", "Rcvd Date", "Rcvd Time", "Final Call Type", "Disposition"]


# --- a new indicator, one entry and its function ---------------------------------------


def night_flag(incidents: pd.DataFrame) -> pd.Series | None:
    """Received between 23:00 and 06:59; unknown without an hour."""
    if "hour" not in incidents:
        return None
    hour = incidents["hour"].astype("Float64")
    return (hour.ge(23) | hour.lt(7)).astype("boolean").mask(hour.isna(), pd.NA)


NIGHT = Indicator(
    key="night_test",
    label="Received at night (test)",
    card="At night (test)",
    numerator="the call was received between 23:00 and 06:59",
    base="a recorded received hour",
    column="is_night_test",
    higher_is_better=None,
    needs=("received_at",),
    unlock="a received time",
    doc="A test-only indicator: nothing but this entry and its function define it.",
    pages=("outcomes",),
    trends=("outcome_trend",),
    compute=night_flag,
)


@pytest.fixture
def night():
    with indicators.registered(NIGHT) as entry:
        yield entry


def _busy_export(tmp_path):
    """The partner tests' base export: 24 months of calls, enough for a release."""
    path = tmp_path / "busy.csv"
    exports.base_export().to_csv(path, index=False)
    return path


def _night_rate(ds: dataset.Dataset) -> metrics.Rate:
    flag = night_flag(ds.mh)
    return metrics.Rate(int(flag.fillna(False).sum()), int(flag.notna().sum()))


# The same figure kept from partners (`partner=False`): registered beside NIGHT in the test
# below, so that one release build checks both.
HIDDEN = replace(
    NIGHT,
    key="night_internal",
    label="Received at night (internal test)",
    card="At night (internal)",
    column="is_night_internal",
    partner=False,
)


def test_a_new_indicator_reaches_the_cli_the_pack_the_release_and_the_docs(
    night, tmp_path, ingest_file, run_cli
):
    with indicators.registered(HIDDEN):
        _new_indicator_everywhere(tmp_path, ingest_file, run_cli)


def _new_indicator_everywhere(tmp_path, ingest_file, run_cli) -> None:
    path = _busy_export(tmp_path)
    (loaded,) = ingest_file(path)
    ds = dataset.build([loaded], "busy")
    expected = _night_rate(ds)
    assert expected.denominator == len(ds.mh) and 0 < expected.numerator < len(ds.mh)

    # summarize --json: `<key>_rate`, computed by the entry's function; and the text.
    # An indicator not for partners is the analysts' like any other.
    code, out, _ = run_cli(path, "--json")
    assert code == 0 and out["calls"]["night_test_rate"] == round(expected.value, 4)
    assert out["calls"]["night_internal_rate"] == round(expected.value, 4)
    code, text, _ = run_cli(path)
    assert f"At night (test): {100 * expected.value:.1f}%" in text

    # the page's view and the pack: its card on question 5, in the trend and the table
    scope = views.Scope(ds)
    page = views.PAGES["outcomes"](scope)
    assert "At night (test)" in [f.label for f in page.figures]
    trend = page.chart("outcome_trend").data
    assert "Received at night (test)" in set(trend["label"])
    pack = report.build(ds, Filters(), dict(store.DEFAULTS), {}, pd.DataFrame())
    outcomes = next(s for s in pack.sections if s.key == "outcomes")
    assert "At night (test)" in [f.label for f in outcomes.view.figures]
    assert "At night (test)" in report.to_html(pack)

    # the release: its yes/no cells, the partner page's card and the partner summary
    rel = release.build(ds)
    released = Released(rel)
    assert released.outcome("night_test")["label"] == "Received at night (test)"
    whole = Selection()
    yes = released.count("night_test:yes", whole)
    assert yes == expected.numerator  # every hour is recorded: no unknown to differ on
    shown = partner.page_view(rel, "outcomes", whole)
    assert "At night (test)" in [f.label for f in shown.figures]
    # ... and the one not for partners stays out of the release and its page
    assert released.outcome("night_internal") is None
    assert not any("night_internal" in c for c in rel.tables["calls"]["category"])
    assert "At night (internal)" not in [f.label for f in shown.figures]

    # the docs, written from the registry
    doc = indicator_docs.render(indicator_docs.DOC.read_text(encoding="utf-8"))
    assert "#### Received at night (test) (`night_test`)" in doc
    assert '| Received at night (test); "At night (test)" |' in doc
    assert "A test-only indicator" in doc


def test_a_new_indicator_is_on_its_page_in_the_app(night, monkeypatch, tmp_path):
    """AppTest runs the page in this process: the entry registered here is on it."""
    import streamlit as st

    st.cache_data.clear()  # views of earlier tests are cached on (dataset, filters)
    monkeypatch.setenv("PMHC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PMHC_AUDIENCE", raising=False)
    at = AppTest.from_file(str(indicator_docs.DOC.parents[1] / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("app_pages/outcomes.py").run()
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    assert "At night (test)" in cards and cards["At night (test)"].endswith("%")
    st.cache_data.clear()


# --- the docs are generated ------------------------------------------------------------


def test_the_checked_in_indicator_docs_are_the_registrys():
    text = indicator_docs.DOC.read_text(encoding="utf-8")
    assert indicator_docs.render(text) == text, "run: python -m tools.write_indicators"
    for o in indicators.all_indicators():
        assert f"(`{o.key}`)" in text and o.base in text


# --- the drift of the issue, gone ------------------------------------------------------


def test_injury_is_two_figures_each_with_its_own_unknowns():
    """Issue 20: injury to the person and to officers are apart; a blank flag is unknown
    for its own figure only (the combined figure left the incident out when either was)."""
    incidents = pd.DataFrame(
        {
            "person_injury": pd.array([True, False, False, None, None], dtype="boolean"),
            "officer_injury": pd.array([None, False, None, None, True], dtype="boolean"),
        }
    )
    assert "injury" not in indicators.REGISTRY
    assert metrics.outcome_rate(incidents, "person_injury") == metrics.Rate(1, 3)
    assert metrics.outcome_rate(incidents, "officer_injury") == metrics.Rate(1, 2)
    text = indicator_docs.DOC.read_text(encoding="utf-8")
    assert "(`person_injury`)" in text and "(`officer_injury`)" in text
    assert "CSG Justice Center" in text


def test_the_connection_base_says_what_it_counts(write_text, ingest_file):
    """An incident with no disposition is connected through its transport to hospital: the
    base counts it, so it cannot read "with a recorded disposition" alone."""
    rows = [
        [*HEADER, "Transport Destination"],
        ["C1", "2024-03-01", "10:00", "PERSON IN CRISIS", "REFERRAL TO CRISIS CLINIC", ""],
        ["C2", "2024-03-02", "10:00", "PERSON IN CRISIS", "", "Hospital"],
        ["C3", "2024-03-03", "10:00", "PERSON IN CRISIS", "", ""],
    ]
    (loaded,) = ingest_file(write_text("base.csv", rows))
    mh = dataset.build([loaded], "base").mh
    assert int(mh["disposition"].notna().sum()) == 1
    assert metrics.outcome_rate(mh, "connection") == metrics.Rate(2, 2)
    base = indicators.get("connection").base
    assert base != "a recorded disposition" and "treatment transport" in base


def test_arrest_and_disposition_arrest_are_one_count_without_an_arrest_column(
    write_text, ingest_file
):
    rows = [
        HEADER,
        ["T1", "2024-03-01", "10:00", "PERSON IN CRISIS", "REFERRAL TO CRISIS CLINIC"],
        ["T1", "2024-03-01", "10:05", "PERSON IN CRISIS", "ARREST"],
        ["T2", "2024-03-02", "10:00", "PERSON IN CRISIS", "ARREST"],
        ["T3", "2024-03-03", "10:00", "PERSON IN CRISIS", "5150 HOLD"],
        ["T4", "2024-03-04", "10:00", "PERSON IN CRISIS", ""],
    ]
    (loaded,) = ingest_file(write_text("twins.csv", rows))
    mh = dataset.build([loaded], "twins").mh
    arrest = indicators.get("arrest")
    assert arrest.twins_in(mh.columns) == ["disposition:arrest"]
    assert int(arrest.flag(mh).fillna(False).sum()) == int(
        (mh["disposition_group"] == "arrest").sum()
    )
    assert arrest.twins_in([*mh.columns, "arrest"]) == []  # an arrest flag can differ


@pytest.fixture(scope="module")
def toronto(rules):
    ctx = ingest.Context(rules=rules, key=KEY, now=NOW)
    (loaded,) = ingest.ingest_file(real_file(TORONTO), ctx)
    return dataset.build([loaded], "toronto")


def test_toronto_pack_draws_the_pages_control_chart_and_ends_with_june(toronto):
    """Toronto has no connection outcome: the page draws the first outcome it has
    (involuntary hold); the pack drew connection's "needs a disposition column"."""
    values = dict(store.DEFAULTS)
    pack = report.build(toronto, Filters(), values, {}, pd.DataFrame())
    page = views.PAGES["review"](report.scope_for(toronto, Filters(), values, {}))
    chart = pack.review.chart("control_chart")
    assert chart is not None and chart.title.startswith("Involuntary hold:")
    assert chart.title == page.chart("control_chart").title
    assert not any("control chart" in m.lower() for m in pack.review.missing)
    # Dates known to the month: June 2015 ends on the 30th (as `summarize` says).
    assert pack.period.startswith("Calls from January 2014 to June 2015.")
    # The page's own choice reaches the pack.
    chosen = report.build(toronto, Filters(), values, {}, pd.DataFrame(), control="involuntary")
    assert chosen.review.chart("control_chart").title == chart.title


def test_the_review_pages_default_is_the_packs(toronto):
    assert metrics.control_outcome(toronto.mh).key == "involuntary"
    assert metrics.control_outcome(toronto.mh, "connection").key == "involuntary"  # absent


# --- the release's unknown rule (issue 17, part 3) ------------------------


def test_partners_rates_are_the_analysts_rates_when_outcomes_are_unknown(tmp_path, ingest_file):
    seed = 1  # one release build; tests/test_release.py checks every district and year too
    frame = exports.base_export(seed)
    # One year of it: the rates compared are the whole period's, and a year's release is
    # built in a fraction of the time of two years' (the audit grows with the months).
    frame = frame[frame["Call Date"] < "2025"].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    frame.loc[rng.random(len(frame)) < 1 / 3, "Use of Force"] = ""
    frame.loc[rng.random(len(frame)) < 1 / 3, "Disposition"] = ""
    path = tmp_path / "unknowns.csv"
    frame.to_csv(path, index=False)
    (loaded,) = ingest_file(path)
    ds = dataset.build([loaded], "unknowns")
    analysts = summarize(ds)["calls"]
    partners = released_summary(release.build(ds))["calls"]
    compared = [
        o.key
        for o in indicators.for_partners()
        if isinstance(partners.get(f"{o.key}_rate"), float)
        and analysts.get(f"{o.key}_rate") is not None
    ]
    assert len(compared) >= 3
    for key in compared:
        assert partners[f"{key}_rate"] == analysts[f"{key}_rate"], key
