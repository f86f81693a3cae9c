"""Charts that would show nothing say so in a sentence: no calls under the filters, or every
number hidden from partners."""

from __future__ import annotations

import pandas as pd

from pmhc.present import views
from pmhc.present.charts import Figure
from tests.test_views import incidents


def test_all_suppressed_charts_become_a_sentence_for_partners():
    # Five calls in all (one a month): every monthly count is from 1 to 10, so the partner
    # view hides them all and says so instead of drawing an empty chart.
    tiny = incidents([(f"2024-{m:02d}", 1, 1, "West") for m in range(1, 6)])
    partner = views.outcomes(views.Scope(tiny, audience="partner"))
    internal = views.outcomes(views.Scope(tiny))
    trend = partner.chart("outcome_trend")
    assert trend.empty.startswith("Every group here has 10 or fewer calls")
    assert internal.chart("outcome_trend").empty is None  # staff see the five calls


def test_a_figure_without_rows_is_empty():
    fig = Figure("k", lambda: None, pd.DataFrame({"calls": []}), "Title", "Calls by district.")
    assert fig.empty == "No calls match these filters."
