"""Charts for a projector and for everyone's eyes: meeting mode's type sizes and bar labels,
one colour per outcome on every page, distinguishable under colour-blindness simulation,
time axes labelled once per month, and a control chart's axis that holds its points."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd

from pmhc.analysis import indicators
from pmhc.present import charts

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
PROTANOPIA = np.array(
    [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ]
)
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
RGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
WHITE = np.array([0.95047, 1.0, 1.08883])


def linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    xyz = RGB_TO_XYZ @ np.clip(rgb, 0, 1) / WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance(a: str, b: str, vision: np.ndarray) -> float:
    """CIE76 colour difference of two colours as a person with that vision sees them."""
    return float(np.linalg.norm(lab(vision @ linear(a)) - lab(vision @ linear(b))))


# Outcomes drawn on one chart: the outcome trends; the three CIT figures.
TOGETHER = [
    ["connection", "arrest", "involuntary", "use_of_force", "person_injury", "officer_injury"],
    ["cit_dispatched", "cit_on_scene", "trained_on_scene"],
]


def test_outcomes_drawn_together_stay_apart_for_colour_blind_readers():
    for group in TOGETHER:
        colours = [indicators.REGISTRY[k].colour for k in group]
        for a, b in itertools.combinations(colours, 2):
            for name, vision in (
                ("normal", np.eye(3)),
                ("protanopia", PROTANOPIA),
                ("deuteranopia", DEUTERANOPIA),
            ):
                # 15 CIE76 units: clearly different side by side (2.3 is just noticeable).
                assert distance(a, b, vision) > 15, (a, b, name, distance(a, b, vision))
    # Arrest (vermillion) and injury were two near-identical oranges before.
    assert distance("#D55E00", "#E69F00", DEUTERANOPIA) < 20
    every = [e.colour for e in indicators.REGISTRY.values()]
    assert len(set(every)) == len(every)  # one colour per outcome, none shared


def outcome_lines(labels: list[str]) -> dict:
    data = pd.DataFrame(
        [(pd.Timestamp("2026-03-01"), label, 0.1) for label in labels],
        columns=["month", "label", "rate"],
    )
    return charts.trend(
        data,
        x="month",
        y="rate",
        colour="label",
        title="t",
        subtitle=None,
        y_title="Share",
        description="d",
    ).to_dict()


def colour_scale(spec: dict) -> dict:
    return next(
        layer["encoding"]["color"]["scale"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {})
    )


def test_an_outcome_keeps_its_colour_whichever_others_share_the_chart():
    overview = colour_scale(outcome_lines(["Connection to services", "Arrest", "Use of force"]))
    services = colour_scale(outcome_lines(["Involuntary hold", "Connection to services"]))
    green = "#009E73"
    assert (
        dict(zip(overview["domain"], overview["range"], strict=True))["Connection to services"]
        == green
    )
    assert (
        dict(zip(services["domain"], services["range"], strict=True))["Connection to services"]
        == green
    )


def bar_spec() -> dict:
    data = pd.DataFrame({"district": ["Central", "North"], "rate": [0.44, 0.52]})
    return charts.bars(
        data,
        category="district",
        value="rate",
        title="Central has the lowest connection rate (44%)",
        subtitle="Share of MH calls",
        value_title="Connected",
        category_title="District",
        description="d",
        percent=True,
    ).to_dict()


def test_meeting_mode_builds_projector_sized_text_and_labelled_bars():
    plain = bar_spec()
    with charts.meeting_text():
        meeting = bar_spec()
    assert plain["title"]["fontSize"] == 15 and meeting["title"]["fontSize"] >= 20
    assert meeting["config"]["axis"]["labelFontSize"] >= 16
    assert meeting["config"]["axis"]["titleFontSize"] >= 16
    assert meeting["config"]["legend"]["labelFontSize"] >= 16
    marks = [layer["mark"]["type"] for layer in meeting["layer"]]
    assert "text" in marks and "text" not in [layer["mark"]["type"] for layer in plain["layer"]]
    label = next(layer for layer in meeting["layer"] if layer["mark"]["type"] == "text")
    assert label["encoding"]["text"] == {"field": "rate", "format": ".0%", "type": "quantitative"}


def test_figure_builds_its_meeting_chart_once_and_keeps_the_screen_one():
    calls = []

    def build():
        calls.append(1)
        return (
            charts.alt.Chart(pd.DataFrame({"a": [1]}))
            .mark_bar()
            .properties(title=charts._title("A title", None, 60))
        )

    fig = charts.Figure("k", build, pd.DataFrame({"a": [1]}), "A title", "alt")
    assert fig.chart_for(False).to_dict()["title"]["fontSize"] == 15
    assert fig.chart_for(True).to_dict()["title"]["fontSize"] == 22
    fig.chart_for(True)
    assert len(calls) == 2


def test_legend_columns_hold_the_longest_outcome_name():
    labels = ["CIT dispatched", "CIT-certified officer on scene (training log)"]
    legend = colour_scale_legend(outcome_lines(labels))
    # 45 characters at 11 px (~6.6 px each): no cut where the plot is wider than that.
    assert "min(301," in legend["labelLimit"]["expr"]
    assert "floor(width / 331)" in legend["columns"]["expr"]


def colour_scale_legend(spec: dict) -> dict:
    return next(
        layer["encoding"]["color"]["legend"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {})
    )


def control_data(months: list[str]) -> pd.DataFrame:
    n = len(months)
    return pd.DataFrame(
        {
            "month": pd.to_datetime(months),
            "rate": [0.62, 0.40][:n],
            "centre": [0.45] * n,
            "lcl": [0.30] * n,
            "ucl": [0.60] * n,
            "denominator": [120] * n,
            "signal": ["Outside limits", "Within limits"][:n],
            "rules": ["", ""][:n],
        }
    )


def control_spec(months: list[str]) -> dict:
    return charts.control_chart(
        control_data(months),
        title="t",
        subtitle=None,
        y_title="Connected",
        description="d",
        target=0.7,
    ).to_dict()


def test_control_chart_axis_holds_one_month_and_names_two_once_each():
    one = control_spec(["2026-03-01"])
    domains = {
        json.dumps(layer["encoding"]["y"].get("scale"))
        for layer in one["layer"]
        if "y" in layer["encoding"] and layer["encoding"]["y"].get("scale") is not None
    }
    assert domains == {json.dumps({"domain": [0.0, 0.78]})}  # above 62% and the 70% target
    two = control_spec(["2026-03-01", "2026-04-01"])
    x = two["layer"][0]["encoding"]["x"]
    assert x["axis"]["tickCount"] == {"interval": "month", "step": 1}
    assert x["axis"]["format"] == "%b %Y"
    many = pd.Series(pd.date_range("2023-01-01", periods=36, freq="MS"), name="month")
    assert "tickCount" not in charts.month_axis(many).to_dict()["axis"]
