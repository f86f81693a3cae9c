"""Altair chart builders. Each takes an aggregated frame (never raw records) and returns
a chart with a title that states the takeaway, axis titles, tooltips, the Okabe-Ito
colour-blind-safe palette and a text description for screen readers."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import json
import textwrap
from typing import Any, Final

import altair as alt
import pandas as pd

from pmhc.analysis import indicators

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SEQUENTIAL: Final = "viridis"
MAX_ROWS = 5000  # charts receive aggregates; more rows than this is a bug


class Figure:
    """A chart with the exact numbers it draws, for the page and for tests.

    `chart` may be a function that builds the chart: it then runs on first use, so the
    cost of assembling a Vega-Lite spec is paid when a page draws, not when it computes."""

    def __init__(
        self, key: str, chart, data: pd.DataFrame, title: str, alt: str, empty: str | None = None
    ):
        if len(data) > MAX_ROWS:
            raise ValueError(f"{key}: {len(data)} rows sent to a chart; aggregate first.")
        self.key, self.data, self.title, self.alt = key, data, title, alt
        self._chart = chart
        # (spec JSON, Arrow datasets) as drawn, made once by the app (pmhc.ui.components)
        self.vega_lite: tuple[str, dict[str, bytes]] | None = None
        # A short sentence drawn instead of the chart when it would show nothing.
        self.empty = empty or ("No calls match these filters." if data.empty else None)

    @property
    def chart(self) -> alt.TopLevelMixin:
        if callable(self._chart):
            self._build, self._chart = self._chart, self._chart()
        return self._chart

    def chart_for(self, meeting: bool) -> alt.TopLevelMixin:
        """The chart, or in meeting mode the same chart built with projector-sized text
        and data labels on its bars."""
        chart = self.chart
        if not meeting or getattr(self, "_build", None) is None:
            return chart
        if getattr(self, "_meeting", None) is None:
            with meeting_text():
                self._meeting = self._build()
        return self._meeting


# Text sizes (px): on screen, and in meeting mode on a projector at 1280 x 800.
SIZES = {
    False: {"title": 15, "subtitle": 11, "label": 11, "axis_title": 12, "char": 9.0},
    True: {"title": 22, "subtitle": 16, "label": 16, "axis_title": 17, "char": 13.2},
}
_MEETING = contextvars.ContextVar("meeting_text", default=False)  # per session thread


@contextlib.contextmanager
def meeting_text():
    """Charts built inside the block have meeting mode's sizes and bar labels."""
    token = _MEETING.set(True)
    try:
        yield
    finally:
        _MEETING.reset(token)


def size(name: str) -> float:
    return SIZES[_MEETING.get()][name]


BAR_STEP = 24  # px per category on a horizontal bar chart: bars ~20 px thick with padding
TITLE_PX = 9.0  # average width of a character of the 15 px bold title
# Widths (px) at which a title may take a longer line; between two, it wraps for the lower.
TITLE_STEPS = (180, 220, 260, 300, 340, 400, 480, 560, 660, 780, 920)
SUBTITLE_CHARS = 46  # ~270 px at 11 px: fits a phone; Vega-Lite takes no expression here
LEGEND_LABEL_LIMIT = 220  # px
AXIS_EXTENT = 60  # px left of the plot taken by a numeric y axis and its title


def wrapped(text: str, extent: int = AXIS_EXTENT) -> dict | str:
    """A Vega expression choosing the title's line breaks by the width the chart gets (the
    plot's `width` plus the y axis left of it), so a title wraps on a phone instead of
    running off the chart, and a wide screen keeps it on one line. Strings enter as JSON
    literals, which the Vega expression parser reads as plain strings."""
    if not text:
        return ""

    def lines(width: float) -> str:
        chars = max(12, int(width / size("char")))
        return json.dumps(textwrap.wrap(text, chars), ensure_ascii=False)

    # A wide screen: one long line; in meeting mode's large type, lines that fit 920 px.
    expr = lines(TITLE_STEPS[-1] if _MEETING.get() else 1200)
    for low, high in reversed(list(itertools.pairwise(TITLE_STEPS))):
        expr = f"width + {extent} < {high} ? {lines(low)} : {expr}"
    expr = f"width + {extent} < {TITLE_STEPS[0]} ? {lines(TITLE_STEPS[0] - 40)} : {expr}"
    return {"expr": expr}


def _title(text: str, subtitle: str | None, extent: int) -> alt.TitleParams:
    return alt.TitleParams(
        text=wrapped(text, extent),
        # A phone's width on screen; in meeting mode a projector's (~600 px at 16 px).
        subtitle=textwrap.wrap(subtitle, 70 if _MEETING.get() else SUBTITLE_CHARS)
        if subtitle
        else "",
        subtitleFontSize=size("subtitle"),
        anchor="start",
        fontSize=size("title"),
        frame="bounds",
    )


def label_extent(data: pd.DataFrame, category: str) -> int:
    """Estimated px taken by a category axis: its longest label (capped) and its title."""
    longest = data[category].astype(str).str.len().max() if len(data) else 0
    return int(min(CATEGORY_LABEL_LIMIT, 6.5 * (longest or 0)) + 30)


CATEGORY_LABEL_LIMIT = 130  # px; longer category names end in "…" (the tooltip has them whole)


def _finish(
    chart,
    title: str,
    subtitle: str | None,
    description: str,
    height: int = 280,
    extent: int = AXIS_EXTENT,
):
    """Title, description and size. The width follows the container (fit-x) while the
    height stays the plot's own: Streamlit's default autosize "fit" squeezes the title, axes
    and legend into the given height, which left 6 bars in 45 px."""
    out = chart.properties(
        title=_title(title, subtitle, extent),
        description=description,
        height=height,
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        # SVG: sharp in print, and its marks can be measured and read by screen readers.
        usermeta={"embedOptions": {"renderer": "svg"}},
        padding={"top": 8, "left": 5, "right": 10, "bottom": 5},
    )
    # Set on the copy `properties` made: each configure_* call copies the whole chart again
    # (a quarter of building a page's charts); the spec is the same.
    out.config = alt.Config(
        range={"category": PALETTE},
        axisBand={"labelLimit": CATEGORY_LABEL_LIMIT},
        axis={"labelFontSize": size("label"), "titleFontSize": size("axis_title")},
        legend={"labelFontSize": size("label"), "titleFontSize": size("axis_title")},
        text={"fontSize": size("label") - 1},
    )
    return out


def bar_height(data: pd.DataFrame, category: str, per_category: int = BAR_STEP) -> int:
    """Plot height for horizontal bars: a fixed step per category, never squashed."""
    rows = data[category].nunique() if len(data) else 1
    return max(3 * per_category, per_category * rows)


def _colour(
    field: str, title: str, domain: list[str] | None = None, data: pd.DataFrame | None = None
) -> alt.Color:
    labels = domain or ([] if data is None else list(data[field].dropna().astype(str).unique()))
    registered = indicators.colour_by_label()
    if labels and all(label in registered for label in labels):
        # An outcome has its own colour on every page, whichever others share the chart.
        scale = alt.Scale(domain=list(labels), range=[registered[x] for x in labels])
    elif domain:
        scale = alt.Scale(domain=domain, range=PALETTE[: len(domain)])
    else:
        scale = alt.Scale(range=PALETTE)
    return alt.Color(f"{field}:N", title=title, scale=scale, legend=_legend(labels))


def _legend(labels) -> alt.Legend:
    """Below the plot, in as many columns as its width holds (one on a phone), each as
    wide as the longest label at the legend's type size, so no entry is cut short
    ("CIT-certified officer on scene (training log)") where the plot holds it."""
    longest = max((len(str(label)) for label in labels), default=10)
    label_px = int(0.6 * size("label") * longest) + 4
    column = label_px + 30  # symbol, label, gap
    return alt.Legend(
        orient="bottom",
        direction="horizontal",
        columns=alt.ExprRef(f"max(1, floor(width / {column}))"),
        # Only a plot narrower than the label itself ends it in "…".
        labelLimit=alt.ExprRef(f"max(60, min({label_px}, width - 30))"),
    )


def month_axis(dates: pd.Series, title: str = "Month") -> alt.X:
    """A time axis labelled once per month when a year or less is shown: Vega's own
    ticks on two months fall on weeks, and "Mar 2026" was written four times."""
    field = dates.name
    months = pd.to_datetime(dates.dropna()).dt.to_period("M").nunique() if len(dates) else 0
    if 0 < months <= 12:
        axis = alt.Axis(format="%b %Y", tickCount=alt.TimeIntervalStep(interval="month", step=1))
    else:
        axis = alt.Axis(format="%b %Y")
    return alt.X(f"{field}:T", title=title, axis=axis)


def bar_labels(base: alt.Chart, enc: dict, value: str, fmt: str) -> list:
    """In meeting mode, each bar's value written at its end (read from across a room)."""
    if not _MEETING.get():
        return []
    place = {k: v for k, v in enc.items() if k in ("x", "y", "yOffset")}
    return [
        base.mark_text(align="left", baseline="middle", dx=4, color="#222").encode(
            **place, text=alt.Text(f"{value}:Q", format=fmt)
        )
    ]


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
    milestones: tuple = (),
):
    """Monthly lines, optionally with a 95% interval band, targets (`targets`: a frame with
    the `colour` field and `target`, drawn as dashed lines in each line's colour), the
    programme start and the dataset's milestones marked."""
    fmt = ".0%" if percent else ",.0f"
    base = alt.Chart(data)
    enc: dict[str, Any] = {
        "x": month_axis(data[x]),
        "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt)),
    }
    if colour:
        enc["color"] = _colour(colour, "", data=data)
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
            opacity=alt.OpacityValue(**alt.condition(pick, alt.value(1.0), alt.value(0.15)))
        )
    layers.append(line)
    if "sparse" in data and data["sparse"].any():  # too few to judge: greyed over the line
        layers.append(
            base.transform_filter("datum.sparse")
            .mark_point(filled=True, size=70, color="#bdbdbd", opacity=1)
            .encode(x=enc["x"], y=enc["y"], tooltip=tips)
        )
    marks = [(marker, marker_label)] if marker is not None else []
    layers += marker_layers([*marks, *milestones], data[x])
    if targets is not None and len(targets):
        goal: dict[str, Any] = {"y": alt.Y("target:Q")}
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


def marker_layers(markers, dates: pd.Series) -> list:
    """A dashed rule and a label for each dated event inside the charted months (labels
    stacked 12 px apart so close dates stay readable)."""
    if not len(markers) or dates.empty:
        return []
    first = pd.Timestamp(dates.min()) - pd.DateOffset(months=1)
    last = pd.Timestamp(dates.max()) + pd.DateOffset(months=1)
    rows = [
        {"date": pd.Timestamp(when), "label": str(label)}
        for when, label in markers
        if when is not None and first <= pd.Timestamp(when) <= last
    ]
    if not rows:
        return []
    frame = pd.DataFrame(rows).drop_duplicates().sort_values("date").reset_index(drop=True)
    frame["offset"] = 12 * (frame.index % 3)
    rule = (
        alt.Chart(frame)
        .mark_rule(strokeDash=[6, 4], color="#444")
        .encode(
            x="date:T",
            tooltip=[
                alt.Tooltip("label:N", title="Marker"),
                alt.Tooltip("date:T", title="Date", format="%d %b %Y"),
            ],
        )
    )
    text = (
        alt.Chart(frame)
        .mark_text(align="left", dx=4, dy=-6, color="#444")
        .encode(x="date:T", y=alt.Y("offset:Q", scale=None), text="label:N")
    )
    return [rule, text]


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
    enc: dict[str, Any] = {
        "y": alt.Y(f"{category}:N", title=category_title, sort=sort),
        "x": alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=fmt)),
    }
    enc["color"] = _colour(colour, "", data=data) if colour else alt.ColorValue(PALETTE[0])
    tips = tooltip or [
        alt.Tooltip(f"{category}:N", title=category_title),
        alt.Tooltip(f"{value}:Q", title=value_title, format=".1%" if percent else ","),
    ]
    base = alt.Chart(data)
    layers = [base.mark_bar().encode(**enc, tooltip=tips).properties(name="hbars")]
    layers += bar_labels(base, enc, value, fmt)
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
                x=alt.X("target:Q"),
                tooltip=[
                    alt.Tooltip("label:N", title=""),
                    alt.Tooltip("target:Q", title="Value", format=".0%" if percent else ","),
                ],
            )
        )
    return _finish(
        alt.layer(*layers),
        title,
        subtitle,
        description,
        height=height or bar_height(data, category),
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
    enc = {
        "y": alt.Y(f"{category}:N", title=category_title),
        "yOffset": alt.YOffset(f"{colour}:N"),
        "x": alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=".0%")),
    }
    chart = (
        alt.Chart(data, name="hbars")
        .mark_bar()
        .encode(
            **enc,
            color=_colour(colour, "", data=data),
            tooltip=tooltip
            or [f"{category}:N", f"{colour}:N", alt.Tooltip(f"{value}:Q", format=".1%")],
        )
    )
    labels = bar_labels(alt.Chart(data), enc, value, ".0%")
    if labels:
        chart = alt.layer(chart, *labels)
    groups = data[colour].nunique() if len(data) else 1
    step = 20 * groups + 12  # each bar of a group ~17 px after padding, a gap between groups
    return _finish(
        chart,
        title,
        subtitle,
        description,
        height=bar_height(data, category, step),
        extent=label_extent(data, category),
    )


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
    milestones: tuple = (),
):
    """Stacked bars over time (counts or shares), with the dataset's milestones."""
    x_enc = month_axis(data[x], x_title) if temporal else alt.X(f"{x}:O", title=x_title)
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
    if temporal and milestones:
        chart = alt.layer(chart, *marker_layers(milestones, data[x]))
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
    """Weekday x hour grid. Cells without a value (too few calls, or hidden) are left blank
    rather than drawn with a tooltip reading "NaN%"."""
    chart = (
        alt.Chart(data)
        .transform_filter(f"isValid(datum['{value}']) && isFinite(datum['{value}'])")
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
                legend=alt.Legend(
                    format=".0%" if percent else ",.0f", orient="bottom", direction="horizontal"
                ),
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


# what the control chart's points say; the last two are greyed, not judged (issue 20)
SIGNALS = ["Within limits", "Run rule", "Outside limits", "Transition", "Too few to judge"]


def control_chart(
    data: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None,
    y_title: str,
    description: str,
    target: float | None = None,
    milestones: tuple = (),
):
    """p-chart: monthly rate with centre line, 3-sigma limits, points that break a run rule
    marked, and the target as a line."""
    base = alt.Chart(data)
    x = month_axis(data["month"])
    scale = alt.Scale(domain=rate_domain(data, target))
    limits = base.mark_area(opacity=0.12, color=PALETTE[5]).encode(
        x=x, y=alt.Y("lcl:Q", title=y_title, scale=scale), y2=alt.Y2("ucl:Q")
    )
    centre = base.mark_line(strokeDash=[4, 3], color="#555").encode(
        x=x, y=alt.Y("centre:Q", scale=scale)
    )
    line = base.mark_line(color=PALETTE[0]).encode(
        x=x, y=alt.Y("rate:Q", axis=alt.Axis(format=".0%"), scale=scale)
    )
    points = base.mark_point(filled=True, size=60).encode(
        x=x,
        y=alt.Y("rate:Q", scale=scale),
        color=alt.Color(
            "signal:N",
            title="",
            scale=alt.Scale(
                domain=SIGNALS, range=[PALETTE[0], PALETTE[1], PALETTE[3], "#9e9e9e", "#c8c8c8"]
            ),
            legend=_legend(SIGNALS),
        ),
        shape=alt.Shape(
            "signal:N",
            title="",
            scale=alt.Scale(
                domain=SIGNALS, range=["circle", "diamond", "triangle-up", "square", "circle"]
            ),
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
                y=alt.Y("target:Q", scale=scale),
                tooltip=[alt.Tooltip("label:N", title="Target")],
            )
        )
    layers += marker_layers(milestones, data["month"])
    return _finish(alt.layer(*layers), title, subtitle, description)


def rate_domain(data: pd.DataFrame, target: float | None = None) -> list[float]:
    """The y range of a control chart: from 0 to above every point, limit and target, so
    one month's point is never drawn above the axis."""
    columns = [c for c in ("rate", "lcl", "ucl", "centre") if c in data]
    values = pd.concat([data[c] for c in columns]) if columns else pd.Series(dtype=float)
    top = max([*pd.to_numeric(values, errors="coerce").dropna().tolist(), target or 0, 0.01])
    return [0.0, min(1.0, round(top * 1.1 + 0.005, 2))]


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
