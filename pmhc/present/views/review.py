"""Question 6: review. Before and after the programme start, and a control chart
(p-chart) of a monthly outcome rate whose limits come from the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmhc.analysis import indicators, metrics, periods
from pmhc.present import charts
from pmhc.present.views.base import DELTA_COLOUR, KeyFigure, Scope, View, figure, pct
from pmhc.present.views.shared import partial_text, period_change


def review(
    scope: Scope,
    outcome_key: str | None = None,
    targets: tuple[tuple[str, float], ...] = (),
    split: tuple[str, str] | None = None,
) -> View:
    """`outcome_key` is the control chart's outcome (`metrics.control_outcome`: the first
    the data have when it is None or not in the data). `split` is (ISO date, label) of a
    milestone to compare before and after, in place of the programme start; the control
    chart's limits stay those of the programme start."""
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
        before, after = mh[mh["received_at"] < at], mh[mh["received_at"] >= at]
        outcomes = [scope.outcome(o.key) for o in metrics.available_outcomes(mh)]
        table = period_change(before, after, outcomes)
        view.tables[f"Before and after {name}"] = table
        spans = [
            periods.span_text(p["received_at"].min().normalize(), p["received_at"].max())
            if len(p)
            else "none"
            for p in (before, after)
        ]
        for _, row in table.head(4).iterrows():
            if pd.notna(row["change_points"]):
                o = next(o for o in outcomes if o.label == row["outcome"])
                view.add(
                    KeyFigure(
                        row["outcome"],
                        pct(row["after"]),
                        f"{row['change_points']:+.1f} pts",
                        DELTA_COLOUR[o.higher_is_better],
                        f"Before {pct(row['before'])}, after {pct(row['after'])}. {row['verdict']}",
                        f"before {spans[0]} · after {spans[1]} · of {row['after_calls']:,} MH "
                        f"calls with {o.base}",
                    )
                )
    chosen = metrics.control_outcome(mh, outcome_key)
    if chosen is None or mh.empty:
        view.needs("The control chart", indicators.get("connection").unlock)
        return view
    o = scope.outcome(chosen.key)
    data = p_chart(metrics.monthly_outcomes(scope.trend_mh, [o]), start)
    outside = int((data["signal"] == "Outside limits").sum())
    runs = int((data["signal"] == "Run rule").sum())
    basis = "the baseline before the programme start" if start is not None else "all months"
    if outside or runs:
        title = (
            f"{o.label}: {outside} month{'s' * (outside != 1)} outside the limits from {basis}"
            f" and {runs} more breaking a run rule"
        )
    else:
        title = f"{o.label}: every month within the limits from {basis}, no run rule broken"
    target = dict(targets).get(o.key)
    view.add(
        figure(
            scope,
            "control_chart",
            data,
            ["numerator"],
            title,
            "Monthly rate with control limits and run rules.",
            lambda d, t: charts.control_chart(
                d,
                title=t,
                y_title=o.label,
                subtitle="p-chart: centre line is the baseline rate; limits are 3 "
                "standard errors for each month's number of calls; run rules: 8 in a row on "
                "one side, 6 rising or falling, 2 of 3 beyond 2 standard errors"
                + partial_text(scope),
                description=f"Control chart of the monthly {o.label.lower()} rate.",
                target=target,
                milestones=scope.milestones,
            ),
        )
    )
    return view


def targets_table(scope: Scope, targets: dict[str, float]) -> pd.DataFrame:
    """Each outcome with a target: the rate over the key-figure window against it."""
    if scope.windows is None:
        return pd.DataFrame()
    current, _, w = scope.windows
    rows = []
    for key, target in targets.items():
        o = scope.outcome(key) if key in metrics.OUTCOME_BY_KEY else None
        rate = metrics.outcome_rate(current, o) if o else None
        if o is None or rate is None or rate.value is None:
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
                "period": w.text,
            }
        )
    return pd.DataFrame(rows)


def p_chart(data: pd.DataFrame, baseline_end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Centre line and 3-sigma limits of a p-chart, and the run rules each month breaks.
    With a programme start, the limits come from the months before it, so months after it
    that fall outside show real change."""
    data = data.sort_values("month").reset_index(drop=True)
    base = data[data["month"] < baseline_end] if baseline_end is not None else data
    if base.empty:
        base = data
    p = base["numerator"].sum() / max(1, base["denominator"].sum())
    sigma = np.sqrt(p * (1 - p) / data["denominator"].clip(lower=1))
    data["centre"] = p
    data["lcl"] = (p - 3 * sigma).clip(lower=0)
    data["ucl"] = (p + 3 * sigma).clip(upper=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(sigma > 0, (data["rate"] - p) / sigma, 0.0)
    rules = run_rules(z, data["rate"].to_numpy(float))
    data["rules"] = ["; ".join(r) for r in rules]
    beyond = (data["rate"] > data["ucl"]) | (data["rate"] < data["lcl"])
    data["signal"] = np.where(
        beyond, "Outside limits", np.where(data["rules"] != "", "Run rule", "Within limits")
    )
    return data


RULE_NAMES = {
    1: "beyond 3 standard errors",
    2: "8 in a row on one side",
    3: "6 rising or falling",
    4: "2 of 3 beyond 2 standard errors",
}


def run_rules(z: np.ndarray, rate: np.ndarray) -> list[list[str]]:
    """The Western Electric / Nelson rules each point completes (a run flags every point in
    it): 1 a point beyond 3 sigma; 2 eight in a row on one side of the centre; 3 six in a row
    steadily rising or falling; 4 two of three in a row beyond 2 sigma on the same side."""
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
