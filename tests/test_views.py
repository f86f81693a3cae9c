"""Page views on small hand-made datasets: key figures, takeaway titles, control limits and
what partners see, checked against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmhc.analysis import filters as flt
from pmhc.analysis.metrics import OUTCOME_BY_KEY
from pmhc.present import views
from pmhc.present.builders import p_chart
from pmhc.present.charts import MAX_ROWS, SIGNALS
from pmhc.present.views.shared import trend_takeaway
from pmhc.storage import dataset

START = pd.Timestamp("2024-01-01")


def incidents(spec: list[tuple[str, int, int, str]]) -> dataset.Dataset:
    """Rows (month 'YYYY-MM', calls, connected, district) -> a built dataset of MH calls;
    the first `connected` calls of each row end in a connection, the rest in an arrest."""
    rows = []
    for month, calls, connected, district in spec:
        day = pd.Timestamp(f"{month}-01")
        for i in range(calls):
            rows.append(
                {
                    "incident_id": f"{month}-{district}-{i}",
                    "received_at": day + pd.Timedelta(hours=i % 24, days=i % 27),
                    "district": district,
                    "mh": True,
                    "is_connection": i < connected,
                    "is_arrest": i >= connected,
                    "hour": i % 24,
                    "weekday": (day + pd.Timedelta(days=i % 27)).weekday(),
                }
            )
    frame = pd.DataFrame(rows)
    frame["district"] = frame["district"].astype("category")
    frame["mh"] = frame["mh"].astype("boolean")
    for c in ("is_connection", "is_arrest"):
        frame[c] = frame[c].astype("boolean")
    ds = dataset.Dataset("test", call_rows=frame)
    ds.calls = dataset.collapse(frame)
    return ds


def two_years() -> dataset.Dataset:
    # 2023: 100 calls a month, 30 connected; 2024: 100 a month, 45 connected.
    spec = [(f"2023-{m:02d}", 100, 30, "North") for m in range(1, 13)]
    spec += [(f"2024-{m:02d}", 100, 45, "North") for m in range(1, 13)]
    return incidents(spec)


def test_key_figure_compares_the_last_12_months_with_the_12_before():
    view = views.overview(views.Scope(two_years()))
    figures = {f.label: f for f in view.figures}
    calls = figures["MH calls"]
    assert calls.value == "1,200" and calls.delta == "+0.0%"
    connected = figures["Connected"]
    assert connected.value == "45.0%"  # 540 of 1,200
    assert connected.delta == "+15.0 pts"  # against 360 of 1,200
    assert connected.delta_color == "normal"
    assert (
        "540 of 1,200" in connected.help
        and "better direction: a statistically significant change" in connected.help
    )
    arrested = figures["Arrested"]
    assert arrested.value == "55.0%" and arrested.delta == "-15.0 pts"
    assert arrested.delta_color == "inverse"  # down is good for arrests


def test_a_period_filter_compares_with_the_period_of_equal_length_before():
    scope = views.Scope(
        two_years(),
        flt.Filters(start=pd.Timestamp("2024-07-01").date(), end=pd.Timestamp("2024-12-31").date()),
    )
    current, previous, w = scope.windows
    assert len(current) == 600  # July-December 2024
    assert len(previous) == 600  # January-June 2024: the same six calendar months before
    assert previous["received_at"].min() >= pd.Timestamp("2024-01-01")
    assert (w.text, w.before_text) == ("Jul 2024–Dec 2024", "Jan 2024–Jun 2024")


def test_too_few_calls_say_so_instead_of_a_rate():
    ds = incidents([("2024-01", 12, 6, "North")])
    figure = {f.label: f for f in views.overview(views.Scope(ds)).figures}
    assert figure["Connected"].value == "too few to judge"


def test_takeaway_states_the_change_since_the_programme_start():
    mh = two_years().mh
    arrest, connection = (OUTCOME_BY_KEY[k] for k in ("arrest", "connection"))
    assert trend_takeaway(mh, [arrest], START) == (
        "Since the programme start, arrest fell from 70% to 55%"
    )
    assert trend_takeaway(mh, [connection], START) == (
        "Since the programme start, connection to services rose from 30% to 45%"
    )
    small = incidents([("2023-06", 40, 12, "North"), ("2024-06", 40, 14, "North")]).mh
    assert trend_takeaway(small, [connection], START).endswith("(within chance)")
    assert trend_takeaway(mh, [connection], None) == (
        "Connection to services: 38% of MH calls over the period"
    )


def test_control_limits_come_from_the_baseline():
    monthly = pd.DataFrame(
        {
            "month": pd.date_range("2023-01-01", periods=24, freq="MS"),
            "numerator": [30] * 12 + [45] * 12,
            "denominator": [100] * 24,
        }
    )
    monthly["rate"] = monthly["numerator"] / monthly["denominator"]
    chart = p_chart(monthly, START)
    sigma = np.sqrt(0.3 * 0.7 / 100)
    assert chart["centre"].iloc[0] == pytest.approx(0.30)
    assert chart["ucl"].iloc[0] == pytest.approx(0.30 + 3 * sigma)
    assert (chart["signal"].iloc[:12] == "Within limits").all()
    # 0.45 > 0.4375. The label is the chart's own category now: "Above limits" matched
    # no category of the chart, so out-of-limit months were never drawn as such.
    assert (chart["signal"].iloc[12:] == "Outside limits").all()
    assert set(chart["signal"]) <= set(SIGNALS)


def test_review_counts_months_outside_the_baseline_limits():
    view = views.review(views.Scope(two_years(), programme_start=START))
    chart = view.chart("control_chart")
    assert chart.title.startswith("Connection to services: 12 months outside the limits")
    table = view.tables["Before and after the programme start"]
    row = table.set_index("outcome").loc["Connection to services"]
    assert row["before"] == pytest.approx(0.30) and row["after"] == pytest.approx(0.45)
    assert row["change_points"] == pytest.approx(15.0)
    assert row["change_low"] < 15 < row["change_high"]


@pytest.fixture(scope="module")
def sample_dataset(tmp_path_factory) -> dataset.Dataset:
    from pmhc.ingest import pipeline as ingest
    from pmhc.storage.workspace import Workspace, sample_files

    ws = Workspace(tmp_path_factory.mktemp("ws"))
    ctx = ingest.Context(rules=ws.rules(), key=ws.key)
    loaded = [t for path in sample_files() for t in ingest.ingest_file(path, ctx)]
    return dataset.build(loaded, "Sample data", is_sample=True)


def test_every_chart_gets_aggregates_only(sample_dataset):
    for name, compute in views.PAGES.items():
        view = compute(views.Scope(sample_dataset))
        for fig in view.charts:
            spec = fig.chart.to_dict()
            rows = sum(len(v) for v in spec.get("datasets", {}).values())
            assert len(fig.data) <= MAX_ROWS and rows <= 2 * MAX_ROWS, (name, fig.key)
            assert spec.get("description"), (name, fig.key)
            assert fig.title, (name, fig.key)
