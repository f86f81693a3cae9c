"""Question 6: review. Before and after the programme start, and a control chart
(p-chart) of a monthly outcome rate whose limits come from the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmhc.analysis import indicators, metrics, periods, stats
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
        view.notes.append(
            "No programme start date is set, so nothing is compared before and after: set it "
            "on the Data page."
        )
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
    basis = (
        "the baseline of whole months before the programme start"
        if start is not None
        else "all months"
    )
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
                subtitle=control_caption(data, start) + partial_text(scope),
                description=f"Control chart of the monthly {o.label.lower()} rate.",
                target=target,
                milestones=scope.milestones,
            ),
        )
    )
    if at is not None:
        fit = stats.segmented(metrics.monthly_outcomes(scope.trend_mh, [o]), at)
        if isinstance(fit, str):
            view.notes.append(f"{o.label}: {fit}")
        else:
            view.add(its_figure(scope, o, fit, at, name))
    return view


ITS_KEY = "interrupted_time_series"


def its_figure(scope: Scope, o, fit: stats.Segmented, at: pd.Timestamp, name: str):
    """Beside the before/after test: a segmented regression of the monthly rate, which
    allows for the trend before the start and for season (`stats.segmented`), drawn as the
    observed rate against the pre-start trend extended."""
    s = fit.series
    long = pd.concat(
        [
            s.assign(series="Observed", rate=s["observed"]),
            s.assign(series="Pre-start trend extended", rate=s["counterfactual"]),
        ]
    ).dropna(subset=["rate"])[["month", "series", "rate"]]
    title = f"{o.label} at {name}: {fit.text().split('; ')[0]}"
    return figure(
        scope,
        ITS_KEY,
        long.reset_index(drop=True),
        [],
        title,
        fit.text(),
        lambda d, t: charts.trend(
            d,
            x="month",
            y="rate",
            colour="series",
            title=t,
            subtitle="Interrupted time series: " + fit.text(),
            y_title=o.label,
            description=f"Observed monthly {o.label.lower()} rate against the trend before "
            f"{name} extended.",
            marker=at,
            milestones=scope.milestones,
        ),
    )


def control_caption(data: pd.DataFrame, start: pd.Timestamp | None) -> str:
    """What the control chart draws: which chart (p or Laney p'), its baseline, the rules and
    their marking convention, and the greyed months."""
    chart = data["chart"].iloc[0] if len(data) else "p-chart"
    sigma_z = float(data["sigma_z"].iloc[0]) if len(data) else 1.0
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
        met = rate.value >= target if o.higher_is_better is not False else rate.value <= target
        rows.append(
            {
                "outcome": o.label,
                "target": pct(target),
                "actual": pct(rate.value),
                "status": "–" if not rate.judgeable else ("on target" if met else "off target"),
                "period": w.text,
            }
        )
    return pd.DataFrame(rows)


TRANSITION = "Transition"  # the month the programme started in, part before and part after
TOO_FEW = "Too few to judge"  # fewer than 5 expected events either way (greyed)
RUN_CONVENTION = "every point of a broken run is marked (not only the point that completes it)"


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
    too few expected events are greyed, not judged."""
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


RULE_NAMES = {
    1: "beyond 3 standard errors",
    2: "8 in a row on one side",
    3: "6 rising or falling",
    4: "2 of 3 beyond 2 standard errors",
}


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
