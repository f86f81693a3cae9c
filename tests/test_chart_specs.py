"""The Vega-Lite each chart builder writes: sized by its number of categories, width from the
container, titles wrapped by width, legends below in columns, SVG for print and screen
readers. (tests/test_chart_layout.py measures the drawn result in a browser.)"""

from __future__ import annotations

import json
import re

import pandas as pd

from pmhc.present import charts

# Toronto Police's 17 divisions.
DIVISIONS = [f"D{n}" for n in (11, 12, 13, 14, 22, 23, 31, 32, 33, 41, 42, 43, 51, 52, 53, 54, 55)]


def bar_chart(categories: list[str], title: str = "A title") -> dict:
    data = pd.DataFrame({"division": categories, "calls": range(len(categories))})
    return charts.bars(
        data,
        category="division",
        value="calls",
        title=title,
        subtitle="MH calls by division",
        value_title="MH calls",
        category_title="Division",
        description="Bar chart of MH calls by division.",
    ).to_dict()


def test_bars_get_a_fixed_step_per_category():
    spec = bar_chart(DIVISIONS)
    assert spec["height"] == 17 * charts.BAR_STEP  # 408 px: ~20 px a bar after padding
    assert spec["height"] / 17 * 0.9 >= 14
    assert bar_chart(["North", "South"])["height"] == 3 * charts.BAR_STEP  # never a sliver


def test_grouped_bars_leave_each_bar_at_least_14_px():
    data = pd.DataFrame(
        [{"district": d, "label": o, "rate": 0.1} for d in DIVISIONS for o in "ABCDEFG"]
    )
    spec = charts.grouped(
        data,
        category="district",
        value="rate",
        colour="label",
        title="t",
        subtitle=None,
        value_title="Share",
        category_title="District",
        description="d",
    ).to_dict()
    per_bar = spec["height"] / 17 * 0.9 / 7  # band padding, then seven bars a group
    assert per_bar >= 14, per_bar


def test_width_follows_the_container_and_the_chart_is_svg():
    spec = bar_chart(DIVISIONS)
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
    assert spec["description"] == "Bar chart of MH calls by division."


def test_a_long_title_wraps_to_the_width_it_gets():
    title = (
        "Connection to services: 16 months above and 0 below the limits from the baseline "
        "before the programme start"
    )
    expr = bar_chart(DIVISIONS, title)["title"]["text"]["expr"]
    branches = [json.loads(m) for m in re.findall(r"\[[^\]]*\]", expr)]
    narrowest, widest = branches[0], branches[-1]
    # At 140 px the title takes lines of at most 140 / 9 characters; wide, one line.
    assert max(len(line) for line in narrowest) <= 140 // charts.TITLE_PX + 1
    assert len(narrowest) >= 6 and widest == [title]
    assert all(" ".join(lines) == title for lines in branches)  # words never cut


def test_legends_sit_below_in_as_many_columns_as_fit():
    data = pd.DataFrame(
        {"month": pd.date_range("2024-01-01", periods=3, freq="MS"), "rate": 0.1, "label": "A"}
    )
    spec = charts.trend(
        data,
        x="month",
        y="rate",
        colour="label",
        title="t",
        subtitle=None,
        y_title="y",
        description="d",
    ).to_dict()
    legend = json.dumps(spec)
    assert '"orient": "bottom"' in legend and "floor(width /" in legend
