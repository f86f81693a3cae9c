"""Question 6: review. Before and after the programme start, and a control chart
(p-chart) of a monthly outcome rate whose limits come from the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmhc.analysis import metrics
from pmhc.analysis.metrics import OUTCOME_BY_KEY
from pmhc.present import charts
from pmhc.present.views.base import DELTA_COLOUR, KeyFigure, Scope, View, figure, pct
from pmhc.present.views.shared import period_change


def review(
    scope: Scope,
    outcome_key: str = "connection",
    targets: tuple[tuple[str, float], ...] = (),
    split: tuple[str, str] | None = None,
) -> View:
    """`split` is (ISO date, label) of a milestone to compare before and after, in place of
    the programme start; the control chart's limits stay those of the programme start."""
    view = View()
    mh = scope.mh
    if mh is None:
        view.notes.append("No calls are loaded.")
        return view
    if targets:
        view.tables["Targets and actuals"] = targets_table(scope, dict(targets))
    start = scope.programme_start
    at, name = start, "the programme start"
    if split:
        at, name = pd.Timestamp(split[0]), f"{split[1]} ({pd.Timestamp(split[0]):%d %b %Y})"
    if at is None:
        view.notes.append("Set the programme start date to compare before and after.")
    else:
        table = period_change(mh[mh["received_at"] < at], mh[mh["received_at"] >= at])
        view.tables[f"Before and after {name}"] = table
        for _, row in table.head(4).iterrows():
            if pd.notna(row["change_points"]):
                o = next(o for o in metrics.OUTCOMES if o.label == row["outcome"])
                view.add(
                    KeyFigure(
                        row["outcome"],
                        pct(row["after"]),
                        f"{row['change_points']:+.1f} pts",
                        DELTA_COLOUR[o.higher_is_better],
                        f"Before {pct(row['before'])}, after {pct(row['after'])}. {row['verdict']}",
                    )
                )
    o = OUTCOME_BY_KEY.get(outcome_key, OUTCOME_BY_KEY["connection"])
    if metrics.outcome_flag(mh.head(0), o) is None or mh.empty:
        view.needs("The control chart", o.unlock)
        return view
    data = p_chart(metrics.monthly_outcomes(mh, [o]), start)
    above = int((data["signal"] == "Above limits").sum())
    below = int((data["signal"] == "Below limits").sum())
    basis = "the baseline before the programme start" if start is not None else "all months"
    if above or below:
        title = f"{o.label}: {above} months above and {below} below the limits from {basis}"
    else:
        title = f"{o.label}: every month within the limits from {basis}"
    view.add(
        figure(
            scope,
            "control_chart",
            data,
            ["numerator"],
            title,
            "Monthly rate with control limits.",
            lambda d, t: charts.control_chart(
                d,
                title=t,
                y_title=o.label,
                subtitle="p-chart: centre line is the baseline rate; limits are 3 "
                "standard errors for each month's number of calls",
                description=f"Control chart of the monthly {o.label.lower()} rate.",
                milestones=scope.milestones,
            ),
        )
    )
    return view


def targets_table(scope: Scope, targets: dict[str, float]) -> pd.DataFrame:
    """Each outcome with a target: the rate over the key-figure window against it."""
    current, _, window = scope.windows
    rows = []
    for key, target in targets.items():
        o = OUTCOME_BY_KEY.get(key)
        rate = metrics.outcome_rate(current, o) if o else None
        if rate is None or rate.value is None:
            continue
        hidden = scope.partner and 1 <= rate.numerator <= scope.threshold
        met = rate.value >= target if o.higher_is_better is not False else rate.value <= target
        rows.append(
            {
                "outcome": o.label,
                "target": pct(target),
                "actual": "≤10 calls" if hidden else pct(rate.value),
                "status": "–"
                if hidden or not rate.judgeable
                else ("on target" if met else "off target"),
                "period": window,
            }
        )
    return pd.DataFrame(rows)


def p_chart(data: pd.DataFrame, baseline_end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Centre line and 3-sigma limits of a p-chart. With a programme start, the limits come
    from the months before it, so months after it that fall outside show real change."""
    data = data.copy()
    base = data[data["month"] < baseline_end] if baseline_end is not None else data
    if base.empty:
        base = data
    p = base["numerator"].sum() / max(1, base["denominator"].sum())
    sigma = np.sqrt(p * (1 - p) / data["denominator"].clip(lower=1))
    data["centre"] = p
    data["lcl"] = (p - 3 * sigma).clip(lower=0)
    data["ucl"] = (p + 3 * sigma).clip(upper=1)
    data["signal"] = np.select(
        [data["rate"] > data["ucl"], data["rate"] < data["lcl"]],
        ["Above limits", "Below limits"],
        "Within limits",
    )
    return data
