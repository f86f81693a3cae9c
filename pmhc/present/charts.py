"""Altair chart builders. Each takes an aggregated frame (never raw records) and returns
a chart with a title that states the takeaway, axis titles, tooltips, the Okabe-Ito
colour-blind-safe palette and a text description for screen readers."""

from __future__ import annotations

import altair as alt
import pandas as pd

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SEQUENTIAL = "viridis"
MAX_ROWS = 5000  # charts receive aggregates; more rows than this is a bug


class Figure:
    """A chart with the exact numbers it draws, for the page and for tests.

    `chart` may be a function that builds the chart: it then runs on first use, so the
    cost of assembling a Vega-Lite spec is paid when a page draws, not when it computes."""

    def __init__(self, key: str, chart, data: pd.DataFrame, title: str, alt: str):
        if len(data) > MAX_ROWS:
            raise ValueError(f"{key}: {len(data)} rows sent to a chart; aggregate first.")
        self.key, self.data, self.title, self.alt = key, data, title, alt
        self._chart = chart

    @property
    def chart(self) -> alt.TopLevelMixin:
        if callable(self._chart):
            self._chart = self._chart()
        return self._chart


def _title(text: str, subtitle: str | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "", anchor="start", fontSize=15)


def _finish(chart, title: str, subtitle: str | None, description: str, height: int = 280):
    return chart.properties(
        title=_title(title, subtitle), description=description, height=height
    ).configure_range(category=PALETTE)


def _colour(field: str, title: str, domain: list[str] | None = None) -> alt.Color:
    scale = (
        alt.Scale(domain=domain, range=PALETTE[: len(domain)])
        if domain
        else alt.Scale(range=PALETTE)
    )
    return alt.Color(f"{field}:N", title=title, scale=scale, legend=alt.Legend(orient="bottom"))


def trend(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    colour: str | None,
    title: str,
    subtitle: str | None,
    y_title: str,
    description: str,
    percent: bool = True,
    band: tuple[str, str] | None = None,
    marker: pd.Timestamp | None = None,
    marker_label: str = "Programme start",
    tooltip: list | None = None,
    targets: pd.DataFrame | None = None,
):
    """Monthly lines, optionally with a 95% interval band, a dated marker and targets
    (`targets`: a frame with the `colour` field and `target`, drawn as dashed lines in each
    line's colour)."""
    fmt = ".0%" if percent else ",.0f"
    base = alt.Chart(data)
    enc = {
        "x": alt.X(f"{x}:T", title="Month", axis=alt.Axis(format="%b %Y")),
        "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt)),
    }
    if colour:
        enc["color"] = _colour(colour, "")
    tips = tooltip or [
        alt.Tooltip(f"{x}:T", title="Month", format="%B %Y"),
        alt.Tooltip(f"{y}:Q", title=y_title, format=".1%" if percent else ","),
    ]
    layers = []
    if band:
        band_enc = {"x": enc["x"], "y": alt.Y(f"{band[0]}:Q"), "y2": alt.Y2(f"{band[1]}:Q")}
        if colour:
            band_enc["color"] = enc["color"]
        layers.append(base.mark_area(opacity=0.15).encode(**band_enc))
    line = base.mark_line(point=True, strokeWidth=2).encode(**enc, tooltip=tips)
    if colour:
        # Click a legend entry to bring one line forward when several share the axis.
        pick = alt.selection_point(fields=[colour], bind="legend")
        line = line.add_params(pick).encode(
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15))
        )
    layers.append(line)
    if marker is not None:
        rule = pd.DataFrame({"date": [marker], "label": [marker_label]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(strokeDash=[6, 4], color="#444")
            .encode(
                x="date:T",
                tooltip=[
                    alt.Tooltip("label:N", title="Marker"),
                    alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
                ],
            )
        )
        layers.append(
            alt.Chart(rule)
            .mark_text(align="left", dx=4, dy=-6, color="#444")
            .encode(x="date:T", y=alt.value(0), text="label:N")
        )
    if targets is not None and len(targets):
        goal = {"y": alt.Y("target:Q")}
        if colour:
            goal["color"] = enc["color"]
        layers.append(
            alt.Chart(targets)
            .mark_rule(strokeDash=[2, 3], strokeWidth=2)
            .encode(
                **goal,
                tooltip=[
                    alt.Tooltip(f"{colour}:N", title="Target for")
                    if colour
                    else alt.Tooltip("target:Q", title="Target", format=fmt),
                    alt.Tooltip("target:Q", title="Target", format=".1%" if percent else ","),
                ],
            )
        )
    return _finish(alt.layer(*layers), title, subtitle, description)


def bars(
    data: pd.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    subtitle: str | None,
    value_title: str,
    category_title: str,
    description: str,
    percent: bool = False,
    colour: str | None = None,
    target: float | None = None,
    target_label: str = "Target",
    sort: str | list | None = "-x",
    error: tuple[str, str] | None = None,
    tooltip: list | None = None,
    height: int | None = None,
):
    """Horizontal bars (easier to read category names), optional target line and CIs."""
    fmt = ".0%" if percent else ",.0f"
    enc = {
        "y": alt.Y(f"{category}:N", title=category_title, sort=sort),
        "x": alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
    }
    enc["color"] = _colour(colour, "") if colour else alt.value(PALETTE[0])
    tips = tooltip or [
        alt.Tooltip(f"{category}:N", title=category_title),
        alt.Tooltip(f"{value}:Q", title=value_title, format=".1%" if percent else ","),
    ]
    base = alt.Chart(data)
    layers = [base.mark_bar().encode(**enc, tooltip=tips)]
    if error:
        layers.append(
            base.mark_rule(color="#333").encode(
                y=enc["y"], x=alt.X(f"{error[0]}:Q"), x2=alt.X2(f"{error[1]}:Q")
            )
        )
    if target is not None:
        rule = pd.DataFrame({"target": [target], "label": [target_label]})
        layers.append(
            alt.Chart(rule)
            .mark_rule(color=PALETTE[3], strokeDash=[5, 3], size=2)
            .encode(
                x="target:Q",
                tooltip=[
                    alt.Tooltip("label:N", title=""),
                    alt.Tooltip("target:Q", title="Value", format=".0%" if percent else ","),
                ],
            )
        )
    rows = data[category].nunique() if len(data) else 1
    return _finish(
        alt.layer(*layers), title, subtitle, description, height=height or max(120, 28 * rows)
    )


def grouped(
    data: pd.DataFrame,
    *,
    category: str,
    value: str,
    colour: str,
    title: str,
    subtitle: str | None,
    value_title: str,
    category_title: str,
    description: str,
    tooltip: list | None = None,
):
    """Horizontal bars grouped by colour within each category (rates, as percentages)."""
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", title=category_title),
            yOffset=alt.YOffset(f"{colour}:N"),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=".0%")),
            color=_colour(colour, ""),
            tooltip=tooltip
            or [f"{category}:N", f"{colour}:N", alt.Tooltip(f"{value}:Q", format=".1%")],
        )
    )
    groups = data[colour].nunique() if len(data) else 1
    rows = data[category].nunique() if len(data) else 1
    return _finish(chart, title, subtitle, description, height=max(160, 12 * groups * rows))


def stacked(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    colour: str,
    title: str,
    subtitle: str | None,
    y_title: str,
    description: str,
    domain: list[str],
    normalise: bool = False,
    temporal: bool = True,
    x_title: str = "Month",
    tooltip: list | None = None,
):
    """Stacked bars over time (counts or shares)."""
    x_enc = (
        alt.X(f"{x}:T", title=x_title, axis=alt.Axis(format="%b %Y"))
        if temporal
        else alt.X(f"{x}:O", title=x_title)
    )
    y_enc = alt.Y(
        f"{y}:Q",
        title=y_title,
        stack="normalize" if normalise else "zero",
        axis=alt.Axis(format=".0%" if normalise else ",.0f"),
    )
    tips = tooltip or [
        alt.Tooltip(f"{x}:{'T' if temporal else 'O'}", title=x_title),
        alt.Tooltip(f"{colour}:N", title="Group"),
        alt.Tooltip(f"{y}:Q", title=y_title, format=","),
    ]
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x_enc,
            y=y_enc,
            color=_colour(colour, "", domain),
            order=alt.Order(f"{colour}:N"),
            tooltip=tips,
        )
    )
    return _finish(chart, title, subtitle, description)


def heatmap(
    data: pd.DataFrame,
    *,
    value: str,
    title: str,
    subtitle: str | None,
    value_title: str,
    description: str,
    percent: bool = False,
):
    """Weekday x hour grid."""
    chart = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="Hour of day"),
            y=alt.Y(
                "weekday_name:N",
                title="Day of week",
                sort=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                axis=alt.Axis(labelOverlap=False),
            ),
            color=alt.Color(
                f"{value}:Q",
                title=value_title,
                scale=alt.Scale(scheme=SEQUENTIAL),
                legend=alt.Legend(format=".0%" if percent else ",.0f"),
            ),
            tooltip=[
                alt.Tooltip("weekday_name:N", title="Day"),
                alt.Tooltip("hour:O", title="Hour"),
                alt.Tooltip(f"{value}:Q", title=value_title, format=".1%" if percent else ","),
                alt.Tooltip("calls:Q", title="MH calls", format=","),
            ],
        )
    )
    return _finish(chart, title, subtitle, description, height=260)


SIGNALS = ["Within limits", "Above limits", "Below limits"]


SIGNALS = ["Within limits", "Run rule", "Outside limits"]  # what control_signals writes


def control_chart(
    data: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None,
    y_title: str,
    description: str,
    target: float | None = None,
):
    """p-chart: monthly rate with centre line, 3-sigma limits, points that break a run rule
    marked, and the target as a line."""
    base = alt.Chart(data)
    x = alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y"))
    limits = base.mark_area(opacity=0.12, color=PALETTE[5]).encode(
        x=x, y=alt.Y("lcl:Q", title=y_title), y2="ucl:Q"
    )
    centre = base.mark_line(strokeDash=[4, 3], color="#555").encode(x=x, y="centre:Q")
    line = base.mark_line(color=PALETTE[0]).encode(
        x=x, y=alt.Y("rate:Q", axis=alt.Axis(format=".0%"))
    )
    points = base.mark_point(filled=True, size=60).encode(
        x=x,
        y="rate:Q",
        color=alt.Color(
            "signal:N",
            title="",
            scale=alt.Scale(domain=SIGNALS, range=[PALETTE[0], PALETTE[1], PALETTE[3]]),
            legend=alt.Legend(orient="bottom"),
        ),
        shape=alt.Shape(
            "signal:N",
            title="",
            scale=alt.Scale(domain=SIGNALS, range=["circle", "diamond", "triangle-up"]),
        ),
        tooltip=[
            alt.Tooltip("month:T", format="%B %Y", title="Month"),
            alt.Tooltip("rate:Q", format=".1%", title=y_title),
            alt.Tooltip("denominator:Q", format=",", title="MH calls"),
            alt.Tooltip("lcl:Q", format=".1%", title="Lower limit"),
            alt.Tooltip("ucl:Q", format=".1%", title="Upper limit"),
            alt.Tooltip("rules:N", title="Run rules broken"),
        ],
    )
    layers = [limits, centre, line, points]
    if target is not None:
        goal = pd.DataFrame({"target": [target], "label": [f"Target {target:.0%}"]})
        layers.append(
            alt.Chart(goal)
            .mark_rule(strokeDash=[2, 2], color=PALETTE[2], size=2)
            .encode(
                y="target:Q",
                tooltip=[alt.Tooltip("label:N", title="Target")],
            )
        )
    return _finish(alt.layer(*layers), title, subtitle, description)


def scores(data: pd.DataFrame, *, title: str, subtitle: str | None, description: str):
    """Self-assessment score per question (0-100%)."""
    return bars(
        data,
        category="question",
        value="score",
        title=title,
        subtitle=subtitle,
        value_title="Self-assessment score",
        category_title="Question",
        description=description,
        percent=True,
        sort=None,
        tooltip=[
            alt.Tooltip("question:N", title="Question"),
            alt.Tooltip("score:Q", title="Score", format=".0%"),
            alt.Tooltip("answered:Q", title="Items answered"),
        ],
    )
