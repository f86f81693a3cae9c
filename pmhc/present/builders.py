"""One builder per figure that the staff pages and the partner pages both show: the key
figure cards, the outcome trend, monthly calls, rates by district, dispositions, the CIT
steps, CIT coverage, the self-assessment, the control chart (its limits and signals too)
and the targets table.

Each takes frames already aggregated (for partners, already suppressed by the release: a
hidden cell arrives as NaN or None and is never guessed at) and the words its caller
chose, and builds the figure the same way for both sides, so a fix to one chart holds on
every page that shows it. `table` is the numbers as the page shows them beside the chart
(partners: hidden counts read as the hidden label); by default the chart's own frame.

This module reads no incidents and imports nothing that does: the partner pages may use it
(`present.partner`, docs/privacy.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import altair as alt
import numpy as np
import pandas as pd

from pmhc.analysis import stats
from pmhc.analysis.stats import MIN_COUNT, MIN_EXPECTED, Rate, compare
from pmhc.present import charts, numbers
from pmhc.present.charts import Figure

DELTA_COLOUR = {True: "normal", False: "inverse", None: "off"}
RATE_TOOLTIP = [
    alt.Tooltip("label:N", title="Outcome"),
    alt.Tooltip("rate:Q", title="Rate", format=".1%"),
    alt.Tooltip("numerator:Q", title="Calls with outcome", format=","),
    alt.Tooltip("denominator:Q", title="MH calls with the outcome recorded", format=","),
]


@dataclass
class KeyFigure:
    label: str
    value: str
    delta: str | None = None
    delta_color: str = "off"  # "normal": up is good; "inverse": down is good
    help: str | None = None
    caption: str | None = None  # period and base, shown on the card itself


TOO_FEW_CARD = "too few to judge"  # a card's value for a rate on too few calls to judge


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else numbers.pct(float(value), digits)


def _shown(data: pd.DataFrame, table: pd.DataFrame | None) -> pd.DataFrame:
    return data if table is None else table


# --- key figure cards --------------------------------------------------------------------


def rate_card(
    label: str,
    now: Rate | None,
    what: str,
    period: str = "",
    before: Rate | None = None,
    higher_is_better: bool | None = None,
    missing: str | None = None,
) -> KeyFigure | None:
    """A rate's card: its value, the period and base on the card ("of 812 MH calls with a
    recorded disposition"), the interval in the help, and its change against `before`
    with the verdict of a two-proportion test; "too few to judge" under the rule of
    `Rate.judgeable`. None without a rate."""
    if now is None:
        return None
    caption = (f"{period} · " if period else "") + f"of {now.denominator:,} {what}"
    if not now.judgeable:
        counted = f"{now.numerator:,} of {now.denominator:,}"
        few = (
            f"{counted} {what}: a rate is judged from at least {MIN_COUNT} calls, "
            f"{MIN_EXPECTED} or more with the outcome and {MIN_EXPECTED} or more without."
        )
        return KeyFigure(label, TOO_FEW_CARD, help=few, caption=caption)
    lo, hi = cast(tuple[float, float], now.interval)  # judgeable: never None
    help_text = (
        f"{now.numerator:,} of {now.denominator:,} {what}"
        + (f", {period}" if period else "")
        + f"; 95% interval {pct(lo)}–{pct(hi)}."
    )
    change = compare(before, now, higher_is_better) if before else None
    if change is None:
        if missing:
            help_text += f" {missing[0].upper()}{missing[1:]}."
        return KeyFigure(label, pct(now.value), help=help_text, caption=caption)
    low, high = change.interval
    return KeyFigure(
        label,
        pct(now.value),
        # Rounded first: a change of -0.04 points reads +0.0, never "-0.0 pts".
        f"{round(100 * change.difference, 1) + 0.0:+.1f} pts",
        DELTA_COLOUR[higher_is_better],
        f"{help_text} Change {100 * change.difference:+.1f} points (95% interval "
        f"{100 * low:+.1f} to {100 * high:+.1f}). {change.verdict}",
        caption,
    )


# --- charts ------------------------------------------------------------------------------


def outcome_trend(
    key: str,
    data: pd.DataFrame,
    title: str,
    subtitle: str,
    description: str,
    *,
    table: pd.DataFrame | None = None,
    marker: pd.Timestamp | None = None,
    milestones: tuple = (),
    targets: pd.DataFrame | None = None,
) -> Figure:
    """Monthly outcome rates (month, label, rate, numerator, denominator), a line each."""
    return Figure(
        key,
        lambda: charts.trend(
            data,
            x="month",
            y="rate",
            colour="label",
            title=title,
            subtitle=subtitle,
            y_title="Share of MH calls",
            marker=marker,
            milestones=milestones,
            tooltip=RATE_TOOLTIP,
            targets=targets,
            description=description,
        ),
        _shown(data, table),
        title,
        "Monthly outcome rates among mental-health calls.",
    )


def monthly_calls(
    data: pd.DataFrame,
    title: str,
    subtitle: str,
    description: str,
    *,
    table: pd.DataFrame | None = None,
    marker: pd.Timestamp | None = None,
    milestones: tuple = (),
) -> Figure:
    """Distinct MH incidents per month (month, calls)."""
    return Figure(
        "monthly_calls",
        lambda: charts.trend(
            data,
            x="month",
            y="calls",
            colour=None,
            title=title,
            subtitle=subtitle,
            y_title="MH calls",
            percent=False,
            marker=marker,
            milestones=milestones,
            description=description,
        ),
        _shown(data, table),
        title,
        "Monthly count of distinct mental-health incidents.",
    )


def by_district(
    data: pd.DataFrame, title: str, subtitle: str, *, table: pd.DataFrame | None = None
) -> Figure:
    """Outcome rates per district (district, label, rate, numerator, denominator)."""
    return Figure(
        "outcomes_by_district",
        lambda: charts.grouped(
            data,
            category="district",
            value="rate",
            colour="label",
            title=title,
            subtitle=subtitle,
            value_title="Share of MH calls",
            category_title="District",
            description="Grouped bar chart of outcome rates by district.",
            tooltip=[alt.Tooltip("district:N", title="District"), *RATE_TOOLTIP],
        ),
        _shown(data, table),
        title,
        "Outcome rates by district.",
    )


def dispositions(
    data: pd.DataFrame, title: str, subtitle: str, *, table: pd.DataFrame | None = None
) -> Figure:
    """MH calls per disposition group (label, calls, share)."""
    return Figure(
        "dispositions",
        lambda: charts.bars(
            data,
            category="label",
            value="calls",
            title=title,
            subtitle=subtitle,
            value_title="MH calls",
            category_title="Disposition group",
            description="Bar chart of MH calls by disposition group.",
        ),
        _shown(data, table),
        title,
        "MH calls by disposition group.",
    )


def cit_funnel(
    data: pd.DataFrame, title: str, description: str, *, table: pd.DataFrame | None = None
) -> Figure:
    """MH calls at each CIT step (stage, calls), in the steps' order."""
    return Figure(
        "cit_funnel",
        lambda: charts.bars(
            data,
            category="stage",
            value="calls",
            title=title,
            subtitle="Distinct MH calls at each step",
            value_title="MH calls",
            category_title="Step",
            sort=list(data["stage"]),
            description=description,
        ),
        _shown(data, table),
        title,
        "CIT requested, dispatched and arrived counts.",
    )


LEADERSHIP_GROUPS = "patrol officers, supervisors and command staff"
COVERAGE_TARGET = 0.20  # the low end of the 20-25% guidance for large agencies


def coverage(
    key: str,
    data: pd.DataFrame,
    category: str,
    title: str,
    subtitle: str,
    *,
    what: str,
    target_label: str,
    table: pd.DataFrame | None = None,
    sort: str | None = "-x",
) -> Figure:
    """Shares of staff with the 40-hour course per group (rate, low, high), with the
    guidance's 20% as a line. `what`: whose coverage, for the caption and description."""
    return Figure(
        key,
        lambda: charts.bars(
            data,
            category=category,
            value="rate",
            title=title,
            subtitle=subtitle,
            value_title="Share with 40-hour CIT",
            category_title=category.capitalize(),
            percent=True,
            sort=sort,
            error=("low", "high"),
            target=COVERAGE_TARGET,
            target_label=target_label,
            description=f"Bar chart of the share of {what} who completed 40-hour CIT training, "
            f"with the {target_label} line.",
        ),
        _shown(data, table),
        title,
        f"CIT coverage of {what}.",
    )


def self_assessment(data: pd.DataFrame) -> Figure | None:
    """The checklist's score per question (question, score, answered; a question with
    no scored answer has no score); None when nothing is scored."""
    scored = data[data["answered"] > 0].dropna(subset=["score"]) if len(data) else data
    if scored.empty:
        return None
    weakest = scored.sort_values("score", kind="stable").iloc[0]
    title = f"Self-assessment: {weakest['question']} scores lowest ({weakest['score']:.0%})"
    data = data.fillna({"score": 0.0})
    return Figure(
        "self_assessment",
        lambda: charts.scores(
            data,
            title=title,
            subtitle="Checklist points: Yes 1, Partly ½, No 0; Not sure and blanks left out",
            description="Bar chart of the self-assessment score of each of the six framework "
            "questions.",
        ),
        data,
        title,
        "Self-assessment score per question.",
    )


# --- control chart -------------------------------------------------------------------------

TRANSITION = "Transition"  # the month the programme started in, part before and part after
TOO_FEW = "Too few to judge"  # fewer than 5 expected events either way (greyed)
RUN_CONVENTION = "every point of a broken run is marked (not only the point that completes it)"
RULE_NAMES = {
    1: "beyond 3 standard errors",
    2: "8 in a row on one side",
    3: "6 rising or falling",
    4: "2 of 3 beyond 2 standard errors",
}


def baseline_months(data: pd.DataFrame, start: pd.Timestamp | None) -> tuple[pd.Series, pd.Series]:
    """(baseline, transition) masks of the months: the baseline is the whole months before
    the programme start (every month without a start); a start after a month's first day
    makes that month a transition month, in neither the baseline nor the rules."""
    month = pd.to_datetime(data["month"])
    if start is None:
        return pd.Series(True, index=data.index), pd.Series(False, index=data.index)
    first = pd.Timestamp(start.year, start.month, 1)
    return month < first, (month == first) & (start != first)


def p_chart(data: pd.DataFrame, baseline_end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Centre line and 3-sigma limits of a p-chart from the baseline (`baseline_months`),
    widened by Laney's sigma-Z when the baseline is overdispersed (`stats.dispersion`; the
    `chart` column names the chart drawn), and the run rules each month breaks. Months with
    too few expected events are greyed, not judged. Every month given must have its counts:
    a caller with hidden months passes the shown ones (`control_chart`)."""
    data = data.sort_values("month").reset_index(drop=True)
    in_base, transition = baseline_months(data, baseline_end)
    base = data[in_base.to_numpy()]
    if base.empty:
        base = data[~transition.to_numpy()]
    p = base["numerator"].sum() / max(1, base["denominator"].sum())
    spread = stats.dispersion(base["numerator"], base["denominator"])
    n = data["denominator"].clip(lower=1)
    sigma = np.sqrt(p * (1 - p) / n) * (spread.sigma_z if spread.laney else 1.0)
    data["centre"] = p
    data["lcl"] = (p - 3 * sigma).clip(lower=0)
    data["ucl"] = (p + 3 * sigma).clip(upper=1)
    data["chart"] = spread.chart
    data["sigma_z"] = round(spread.sigma_z, 3)
    sparse = ~stats.enough_events(data["denominator"], p)
    judged = ~sparse & ~transition.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where((sigma > 0) & judged, (data["rate"] - p) / sigma, 0.0)
    rules = run_rules(z, np.where(judged, data["rate"].to_numpy(float), np.nan))
    data["rules"] = ["; ".join(r) if ok else "" for r, ok in zip(rules, judged, strict=True)]
    beyond = ((data["rate"] > data["ucl"]) | (data["rate"] < data["lcl"])).to_numpy() & judged
    signal = np.where(
        beyond, "Outside limits", np.where(data["rules"] != "", "Run rule", "Within limits")
    )
    signal = np.where(transition.to_numpy(), TRANSITION, np.where(sparse, TOO_FEW, signal))
    data["signal"] = signal
    data["phase"] = np.where(
        in_base.to_numpy(), "baseline", np.where(transition.to_numpy(), "transition", "after")
    )
    return data


def run_rules(z: np.ndarray, rate: np.ndarray) -> list[list[str]]:
    """The Western Electric / Nelson rules each point completes. The convention
    (`RUN_CONVENTION`, stated in the chart's caption and docs/indicators.md): a run flags
    every point in it, not only the point that completes it. A NaN rate (a transition or
    sparse month) breaks a rising or falling run. 1 a point beyond 3 sigma; 2 eight in a
    row on one side of the centre; 3 six in a row steadily rising or falling; 4 two of three
    in a row beyond 2 sigma on the same side."""
    n = len(z)
    hits: list[set[int]] = [set() for _ in range(n)]
    side = np.sign(z)
    for i in range(n):
        if abs(z[i]) > 3:
            hits[i].add(1)
        if i >= 7 and side[i] != 0 and (side[i - 7 : i + 1] == side[i]).all():
            for j in range(i - 7, i + 1):
                hits[j].add(2)
        if i >= 5:
            steps = np.diff(rate[i - 5 : i + 1])
            if (steps > 0).all() or (steps < 0).all():
                for j in range(i - 5, i + 1):
                    hits[j].add(3)
        if i >= 2:
            for s in (1, -1):
                far = [j for j in range(i - 2, i + 1) if s * z[j] > 2]
                if len(far) >= 2:
                    for j in far:
                        hits[j].add(4)
    return [[RULE_NAMES[r] for r in sorted(h)] for h in hits]


def control_caption(data: pd.DataFrame, start: pd.Timestamp | None) -> str:
    """What the control chart draws: which chart (p or Laney p'), its baseline, the rules and
    their marking convention, and the greyed months."""
    chart = data["chart"].dropna().iloc[0] if data["chart"].notna().any() else "p-chart"
    sigma_z = float(data["sigma_z"].dropna().iloc[0]) if data["sigma_z"].notna().any() else 1.0
    widened = (
        f"limits widened by Laney's sigma-Z = {sigma_z:.2f} (the baseline months vary more "
        "than chance alone)"
        if chart != "p-chart"
        else f"the baseline's sigma-Z is {sigma_z:.2f}, within chance, so plain p limits"
    )
    transition = (
        f"; {start:%b %Y}, the start month, is a transition month outside the baseline"
        if start is not None and start.day != 1
        else ""
    )
    return (
        f"{chart}: centre line is the baseline rate; limits are 3 standard errors for each "
        f"month's number of calls, {widened}{transition}; run rules: 8 in a row on one side, "
        f"6 rising or falling, 2 of 3 beyond 2 standard errors, and {RUN_CONVENTION}; grey: "
        "too few to judge (under 5 expected events either way)"
    )


def control_title(label: str, data: pd.DataFrame, start: pd.Timestamp | None) -> str:
    """The control chart's takeaway: months outside the limits and breaking a run rule."""
    outside = int((data["signal"] == "Outside limits").sum())
    runs = int((data["signal"] == "Run rule").sum())
    basis = (
        "the baseline of whole months before the programme start"
        if start is not None
        else "all months"
    )
    if outside or runs:
        return (
            f"{label}: {outside} month{'s' * (outside != 1)} outside the limits from {basis}"
            f" and {runs} more breaking a run rule"
        )
    return f"{label}: every month within the limits from {basis}, no run rule broken"


def control_chart(
    monthly: pd.DataFrame,
    label: str,
    start: pd.Timestamp | None,
    *,
    note: str = "",
    target: float | None = None,
    milestones: tuple = (),
    display=None,
) -> Figure | None:
    """The p-chart of one outcome's monthly rate (month, numerator, denominator, rate).
    Months whose counts are hidden (NaN) stay in its table with no limits and are neither
    in the baseline nor judged. `note` ends the caption; `display` turns the chart's
    frame into the table shown (partners: hidden counts as the hidden label). None when
    no month has its counts."""
    known = monthly["numerator"].notna() & monthly["denominator"].notna()
    if not known.any():
        return None
    data = p_chart(monthly[known], start)
    if not known.all():
        data = pd.concat([data, monthly[~known]]).sort_values("month").reset_index(drop=True)
    title = control_title(label, data, start)
    subtitle = control_caption(data, start) + note
    return Figure(
        "control_chart",
        lambda: charts.control_chart(
            data,
            title=title,
            y_title=label,
            subtitle=subtitle,
            description=f"Control chart of the monthly {label.lower()} rate.",
            target=target,
            milestones=milestones,
        ),
        data if display is None else display(data),
        title,
        "Monthly rate with control limits and run rules.",
    )


# --- targets -------------------------------------------------------------------------------


def target_row(
    label: str,
    target: float,
    rate: Rate | None,
    higher_is_better: bool | None,
    period: str,
    hidden: str = "–",
) -> dict:
    """One line of the targets table: the rate over `period` against its target; `hidden`
    stands for a rate the caller may not show (partners: the hidden label)."""
    if rate is None or rate.value is None:
        actual, status = hidden, "–"
    else:
        met = rate.value >= target if higher_is_better is not False else rate.value <= target
        actual = pct(rate.value)
        status = "–" if not rate.judgeable else ("on target" if met else "off target")
    return {
        "outcome": label,
        "target": pct(target),
        "actual": actual,
        "status": status,
        "period": period,
    }
