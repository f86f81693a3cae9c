"""The registry's measures (issue 20 part 3, issue 17's leftovers): officer time, custodial
transfer time, outcomes by who attended, repeat calls by location, non-police response,
and the coverage change a year earlier (question 1). Hand-worked numbers on small frames,
then the sample's pages, CLI and pack, then Toronto's real data."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import KEY, NOW, TORONTO, real_file  # tests/ is on the path under pytest

from pmhc.analysis import indicators, metrics, workforce
from pmhc.analysis.filters import Filters
from pmhc.analysis.indicators import Inputs
from pmhc.analysis.summary import summarize
from pmhc.ingest import pipeline as ingest
from pmhc.present import report, views
from pmhc.storage import dataset
from pmhc.storage import settings as store

T0 = pd.Timestamp("2024-03-01 10:00")


def _minutes(values) -> pd.Series:
    return pd.Series([None if v is None else T0 + pd.Timedelta(minutes=v) for v in values])


def _result(key: str, mh: pd.DataFrame, history: pd.DataFrame | None = None):
    return indicators.get_measure(key).result(Inputs(mh, history, None, "test"))


# --- hand-worked -----------------------------------------------------------------------


def test_officer_time_is_the_median_from_arrival_to_clearance():
    # 12 calls arrive at T0; cleared after 10, 20, ..., 100 minutes, one never cleared,
    # one cleared "before" arrival (a data error, left out): median of 10..100 = 55.
    cleared = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, None, -5]
    mh = pd.DataFrame({"arrived_at": _minutes([0] * 12), "cleared_at": _minutes(cleared)})
    r = _result("officer_time", mh)
    assert (r.text, r.value, r.n) == ("55 min", 55.0, 10)
    assert r.json["officer_minutes_hours_total"] == round(550 / 60, 1)  # 9.2 hours
    assert "1 spans under 0 or over 24 hours were left out" in r.detail
    # 9 timed calls are too few for a median
    few = _result("officer_time", mh.iloc[1:])
    assert few.text == "too few to judge" and few.value is None and few.n == 9
    assert _result("officer_time", mh.drop(columns="cleared_at")) is None


def test_custody_transfer_with_its_column_and_with_the_proxy():
    base = pd.DataFrame({"arrived_at": _minutes([0] * 11)})
    handover = base.assign(transferred_at=_minutes([30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 0]))
    exact = _result("custody_transfer", handover)
    assert (exact.text, exact.n, exact.missing) == ("70 min", 11, None)  # 0,30..120: 70
    # Proxy: arrival to clearance on held or transported calls only (8 of 11 here).
    proxy = base.assign(
        cleared_at=_minutes([200, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
        is_involuntary=pd.array([False, True, True, True, True, False] + [None] * 5, "boolean"),
        conn_transport=pd.array([False] * 5 + [True] * 5 + [False], "boolean"),
    )
    r = _result("custody_transfer", proxy)
    # held or transported: 10..90 (9 calls) -> too few; add two more transported calls
    assert r.n == 9 and r.text == "too few to judge"
    more = pd.concat([proxy, proxy.iloc[[5, 6]]], ignore_index=True)
    r = _result("custody_transfer", more)
    assert (r.n, r.text) == (11, "50 min")  # 10,20,...,90 + 50,60: the 6th of 11 is 50
    assert r.json["transfer_minutes_proxy"] is True
    assert "custody-transfer (handover) time column" in r.missing


def test_outcomes_split_by_who_attended():
    # 8 calls: CIT on 1-3, co-responder on 3-4, neither on 5-8 (5-8 recorded no for both).
    yes, no = True, False
    mh = pd.DataFrame(
        {
            "cit_on_scene": pd.array([yes, yes, yes, no, no, no, no, no], "boolean"),
            "unit_co_responder": pd.array([no, no, yes, yes, no, no, no, no], "boolean"),
            "unit_mobile_crisis": pd.array([no] * 8, "boolean"),
            "is_connection": pd.array([yes, yes, no, yes, no, no, yes, None], "boolean"),
            "is_arrest": pd.array([no, no, no, no, yes, no, no, yes], "boolean"),
            "use_of_force": pd.array([no, no, no, no, yes, yes, None, no], "boolean"),
        }
    )
    r = _result("outcomes_by_attendance", mh)
    table = r.table.set_index(["attended", "outcome"])
    # connection: CIT 2 of 3; co-responder 1 of 2; neither 1 of 3 (call 8 not recorded)
    assert table.loc[("CIT officer on scene", "Connection to services"), "numerator"] == 2
    assert table.loc[("CIT officer on scene", "Connection to services"), "denominator"] == 3
    assert table.loc[("Co-responder or mobile crisis", "Connection to services"), "rate"] == 0.5
    assert table.loc[("Neither", "Connection to services"), "denominator"] == 3
    # force among neither: 2 of 3 recorded (call 7 unknown)
    assert table.loc[("Neither", "Use of force"), "numerator"] == 2
    assert table.loc[("Neither", "Use of force"), "denominator"] == 3
    assert table.loc[("Neither", "Arrest"), "rate"] == 0.5
    # the card: the larger attended group (CIT, 3 calls) against neither
    assert r.text == "66.7% vs 33.3%"


def test_repeat_calls_by_location():
    # 20 beats: B0 has 20 calls, B1 10, every other beat 1 call (18): 48 calls.
    # The busiest tenth is 2 beats: 30 of 48 = 62.5%.
    beats = ["B0"] * 20 + ["B1"] * 10 + [f"B{i}" for i in range(2, 20)]
    when = pd.Timestamp("2025-01-15")
    mh = pd.DataFrame({"beat": beats, "received_at": [when] * len(beats)})
    history = pd.concat(
        [mh, pd.DataFrame({"beat": ["B0"] * 4, "received_at": [pd.Timestamp("2024-06-01")] * 4})]
    )
    r = _result("repeat_locations", mh, history)
    assert (r.text, r.n) == ("62.5%", 48)
    assert r.json == {"repeat_location_share": 0.625, "locations": 20, "busiest_locations": 2}
    row = r.table.set_index("location").loc["B0"]
    assert (row["calls"], row["calls_12_months_before"], row["change"]) == (20, 4, 16)
    assert _result("repeat_locations", mh.drop(columns="beat")) is None


def test_non_police_response_by_hand():
    yes, no, na = True, False, None
    incidents = pd.DataFrame(
        {
            "unit_mobile_crisis": pd.array([yes, yes, no, na, no], "boolean"),
            "unit_patrol": pd.array([no, yes, yes, na, no], "boolean"),
            "unit_cit": pd.array([no, no, no, na, no], "boolean"),
            "disposition": ["MCT RESOLVED", "REFERRAL", "ADVISED", None, "TRANSFERRED TO 988"],
        }
    )
    flag = indicators.get("non_police").flag(incidents)
    # mobile crisis alone; with patrol (police there); patrol; nothing recorded; 988
    assert flag.tolist() == [True, False, False, pd.NA, True]
    assert metrics.outcome_rate(incidents, "non_police") == metrics.Rate(2, 4)


# --- question 1: coverage a year earlier -----------------------------------------------


def test_coverage_a_year_earlier_needs_hire_or_assignment_dates():
    staff = pd.DataFrame(
        {
            "officer_id": ["a", "b", "c", "d"],
            "role_group": ["supervisor"] * 4,
            "cit_trained": [True, True, False, False],
            "hired_on": pd.to_datetime(["2001-01-01", "2005-01-01", "2010-01-01", "2012-01-01"]),
        }
    )
    earlier = pd.Timestamp("2024-01-01")
    none, why = workforce.in_post(staff.drop(columns="hired_on"), earlier)
    assert none is None and "no hire or assignment dates" in why
    # every supervisor was hired long ago, but who was a supervisor then needs the
    # assignment date: a promotion keeps the hire date
    none, why = workforce.in_post(staff, earlier, ("supervisor",))
    assert none is None and "no assignment dates" in why
    dated = staff.assign(
        assigned_on=pd.to_datetime(["2020-01-01", "2024-06-01", "2019-05-01", None])
    )
    then, why = workforce.in_post(dated, earlier, ("supervisor",))
    assert why is None
    assert then["officer_id"].tolist() == ["a", "c"]  # b promoted since; d's date unknown
    assert workforce.coverage(then, ("supervisor",)) == metrics.Rate(1, 2)
    # patrol: a hire date is enough (hired after the earlier date: not in post then)
    late = staff.assign(hired_on=pd.to_datetime(["2001-01-01", "2024-03-01", None, "2012-01-01"]))
    then, _ = workforce.in_post(late, earlier)
    assert then["officer_id"].tolist() == ["a", "d"]


@pytest.fixture(scope="module")
def sample():
    from pmhc.domain.rules import load_rules
    from pmhc.storage.workspace import sample_files

    ctx = ingest.Context(rules=load_rules(), key=KEY, now=NOW)
    loaded = [t for p in sample_files() for t in ingest.ingest_file(p, ctx)]
    return dataset.build(loaded, "Sample data", is_sample=True)


def test_the_sample_roster_dates_hires_not_promotions(sample):
    """The sample's roster has hire dates and no assignment dates: patrol's change counts
    the officers hired by then; supervisors' and command's show no change, and say why."""
    scope = views.Scope(sample)
    cards = {f.label: f for f in views.PAGES["leadership"](scope).figures}
    supervisors = cards[indicators.get_measure("supervisor_coverage").card]
    assert supervisors.delta is None  # it showed +19.0 points from today's roster
    assert "no assignment dates" in supervisors.help
    assert supervisors.value == "31.0%"  # 13 of 42, as summarize says
    assert summarize(sample)["roster"]["supervisor_cit_40_share"] == round(13 / 42, 4)
    # patrol: today's patrol hired at least a year before the reference date, as of then
    earlier = scope.as_of - pd.DateOffset(months=12)
    staff = scope.staff_a_year_before
    pool = staff[(staff["role_group"] == "patrol") & (staff["hired_on"] <= earlier)]
    before = pool["cit_trained"].mean()
    now = workforce.coverage(scope.staff)
    patrol = {f.label: f for f in views.PAGES["training"](scope).figures}["Patrol with 40-hour CIT"]
    assert patrol.delta == f"{100 * (now.value - before):+.1f} pts"
    assert "against those in post 12 months earlier" in patrol.help


# --- the sample: page, CLI and pack agree ----------------------------------------------


def test_the_sample_measures_on_their_pages_the_cli_and_the_pack(sample):
    scope = views.Scope(sample)
    window, period = scope.cards
    pages = {k: views.PAGES[k](scope) for k in ("policies", "services", "outcomes")}
    cards = {f.label: f for v in pages.values() for f in v.figures}
    # officer time over the window, computed here from the columns
    minutes = (window["cleared_at"] - window["arrived_at"]).dt.total_seconds() / 60
    minutes = minutes[(minutes >= 0) & (minutes < 24 * 60)]
    time_card = cards["Median time on scene"]
    assert time_card.value == f"{minutes.median():.0f} min"
    assert time_card.caption.startswith(period)
    assert "How much officer time" in time_card.help
    assert cards["Median custody handover"].value.endswith(" min")
    assert any("custody-transfer (handover) time column" in m for m in pages["services"].missing)
    # non-police: the sample's mobile-crisis units all came with police
    assert cards["Non-police response"].value == "too few to judge"
    # by who attended: CIT against neither, the table behind it on the page
    attended = cards["Connected with CIT or co-responder"].value
    assert " vs " in attended
    assert any(name.startswith("Outcomes by who attended") for name in pages["outcomes"].tables)
    beats = window["beat"].value_counts()
    top = beats.iloc[:3].sum() / beats.sum()  # 23 beats: the busiest 3
    assert cards["Busiest tenth of beats"].value == f"{100 * top:.1f}%"

    # the CLI over all the data: the same functions, the registry's keys and labels
    out = summarize(sample)["calls"]
    every = sample.mh
    all_minutes = (every["cleared_at"] - every["arrived_at"]).dt.total_seconds() / 60
    all_minutes = all_minutes[(all_minutes >= 0) & (all_minutes < 24 * 60)]
    assert out["officer_minutes_median"] == round(all_minutes.median(), 1)
    assert out["measures"]["officer_time"]["text"] == f"{all_minutes.median():.0f} min"
    assert out["measures"]["repeat_locations"]["value"] == out["repeat_location_share"]
    assert out["measures"]["repeat_people"]["value"] == out["repeat_person_share"]
    assert out["non_police_rate"] == 0.0

    # the pack lays out the pages' views: the same cards, values and tables
    pack = report.build(sample, Filters(), dict(store.DEFAULTS), {}, pd.DataFrame())
    packed = {f.label: f.value for s in pack.sections for f in s.view.figures}
    for label in ("Median time on scene", "Busiest tenth of beats", "Median response"):
        assert packed[label] == cards[label].value
    # every registry figure a page draws is in the pack with the page's value
    page_scope = report.scope_for(sample, Filters(), dict(store.DEFAULTS), {})
    for section in pack.sections:
        page = views.PAGES[section.key](page_scope)
        assert [(f.label, f.value, f.delta) for f in page.figures] == [
            (f.label, f.value, f.delta) for f in section.view.figures
        ]
    assert {m.card for m in indicators.measures()} <= set(packed)
    html = report.to_html(pack)
    assert "Connected with CIT or co-responder" in html and "Repeat calls by location" in html


def test_times_and_splits_are_not_for_partners():
    """Medians of a handful of calls and splits the release has no cells for stay with
    staff: the registry marks them so, and the release takes only what it marks."""
    partner = {m.key for m in indicators.measures() if m.partner}
    for key in ("officer_time", "custody_transfer", "outcomes_by_attendance", "response_time"):
        assert key not in partner
    assert {i.key for i in indicators.for_partners()} >= {"connection", "non_police"}


# --- Toronto ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def toronto_by_area(rules, tmp_path_factory):
    """Toronto's file, its neighbourhood number named as a reporting area (a beat)."""
    raw = pd.read_csv(real_file(TORONTO))
    path = tmp_path_factory.mktemp("toronto") / "toronto.csv"
    raw.rename(columns={"hood_140": "Reporting Area"}).to_csv(path, index=False)
    ctx = ingest.Context(rules=rules, key=KEY, now=NOW)
    (loaded,) = ingest.ingest_file(path, ctx)
    return raw, dataset.build([loaded], "toronto")


def test_toronto_repeat_calls_by_neighbourhood_and_what_it_lacks(toronto_by_area):
    raw, ds = toronto_by_area
    assert len(ds.mh) == len(raw) == 31_944  # every row is an attended crisis call
    assert ds.mh["beat"].notna().sum() == len(ds.mh)
    counts = raw["hood_140"].astype(str).value_counts()
    assert len(counts) == 140
    share = counts.iloc[:14].sum() / counts.sum()  # the busiest 14 of 140 neighbourhoods
    out = summarize(ds)["calls"]
    assert out["locations"] == 140 and out["busiest_locations"] == 14
    assert out["repeat_location_share"] == round(share, 4) == 0.3131
    # no times, no attendance, no responder: each says which column would unlock it
    scope = views.Scope(ds)
    missing = " ".join(
        m for k in ("policies", "services", "outcomes") for m in views.PAGES[k](scope).missing
    )
    assert "cleared (closed) date-time" in missing
    assert "CIT-arrived, responder-type or mobile-crisis column" in missing
    assert out["measures"]["officer_time"] is None
    assert out["non_police_rate"] is None


@pytest.mark.parametrize("module", ["pmhc.analysis.metrics", "pmhc.analysis.workforce"])
def test_any_analysis_module_imports_first(module):
    """The measures read metrics, which reads the registry: registered on first use."""
    import subprocess
    import sys

    code = (
        f"import {module}; from pmhc.analysis import indicators; print(len(indicators.measures()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(indicators.MEASURES) >= 11
