"""Milestones: saved with the settings, checked before saving, drawn on every time chart,
and usable as the split of the Review page's before/after table."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from pmhc.present import views
from pmhc.storage import settings
from tests.test_app import assert_charts_fit, charts, open_app
from tests.test_views import START, two_years

GRADUATED = (pd.Timestamp("2024-07-01"), "CIT class 12 graduated")
LAUNCH = (pd.Timestamp("2023-03-15"), "Mobile crisis launched")


def test_milestones_are_read_sorted_and_bad_entries_skipped():
    values = {
        "milestones": [
            {"date": "2024-07-01", "label": "CIT class 12 graduated"},
            {"date": "2023-03-15", "label": " Mobile crisis launched "},
            {"date": "2023-02-30", "label": "no such day"},
            {"date": "2023-01-01", "label": ""},
            {"label": "no date"},
        ]
    }
    assert settings.milestones(values) == (LAUNCH, GRADUATED)


def test_check_milestones_names_each_incomplete_row():
    frame = pd.DataFrame(
        {
            "date": [date(2024, 7, 1), None, date(2025, 1, 2), None],
            "label": ["Policy changed", "Crisis line", None, None],
        }
    )
    rows, problems = settings.check_milestones(frame)
    assert rows == [{"date": "2024-07-01", "label": "Policy changed"}]
    assert problems == [
        "Milestone 2 (Crisis line) has no date.",
        "Milestone 3 (02 Jan 2025) has no label.",
    ]


def layer_labels(spec: dict) -> set[str]:
    """Every 'label' value in the chart's inline datasets."""
    return {
        row["label"]
        for rows in spec.get("datasets", {}).values()
        for row in rows
        if isinstance(row, dict) and "label" in row
    }


def test_every_time_chart_draws_the_milestones_in_its_months():
    ds = two_years()  # January 2023 to December 2024
    before_data = (pd.Timestamp("2019-05-01"), "Outside the data")
    scope = views.Scope(ds, programme_start=START, milestones=(LAUNCH, GRADUATED, before_data))
    for page in ("overview", "outcomes", "review"):
        for fig in views.PAGES[page](scope).charts:
            spec = fig.chart.to_dict()
            if '"type": "temporal"' not in json.dumps(spec):
                continue
            labels = layer_labels(spec)
            assert {LAUNCH[1], GRADUATED[1]} <= labels, (page, fig.key)
            assert before_data[1] not in labels  # would stretch the time axis by 4 years


def test_a_milestone_splits_before_and_after():
    # 2023: 30 of 100 a month connected; 2024: 45 of 100. Split at 1 July 2024:
    # before = (12 x 30 + 6 x 45) / 1,800 = 35%; after = 6 x 45 / 600 = 45%.
    scope = views.Scope(two_years(), programme_start=START, milestones=(GRADUATED,))
    view = views.review(scope, split=("2024-07-01", GRADUATED[1]))
    table = view.tables["Before and after CIT class 12 graduated (01 Jul 2024)"]
    row = table.set_index("outcome").loc["Connection to services"]
    assert row["before"] == pytest.approx(0.35) and row["after"] == pytest.approx(0.45)
    assert row["before_calls"] == 1800 and row["after_calls"] == 600
    # The control chart keeps the programme start's baseline: 12 months above.
    assert view.chart("control_chart").title.startswith("Connection to services: 12 months")


def test_review_page_offers_each_milestone_as_a_split(monkeypatch, tmp_path):
    settings.save_settings(
        tmp_path,
        milestones=[{"date": "2024-07-01", "label": "CIT class 12 graduated"}],
    )
    at = open_app(monkeypatch, tmp_path, "review")
    split = at.selectbox(key="split_choice")
    assert split.options == ["Programme start", "CIT class 12 graduated (01 Jul 2024)"]
    split.select("CIT class 12 graduated (01 Jul 2024)").run()
    assert any("CIT class 12 graduated" in s for s in (t.value for t in at.header))
    assert assert_charts_fit(at)
    control = [
        tables for spec, _, tables in charts(at) if "Control chart" in spec.get("description", "")
    ]
    labels = {v for t in control[0] if "label" in t.column_names for v in t["label"].to_pylist()}
    assert "CIT class 12 graduated" in labels  # the milestone is drawn on the control chart
