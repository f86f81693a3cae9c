"""Question 6: review. Before and after the programme start, and a control chart
(p-chart) of a monthly outcome rate whose limits come from the baseline."""

from __future__ import annotations

import pandas as pd

from pmhc.analysis import indicators, metrics, periods, stats
from pmhc.present import builders, charts
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
                        f"{round(row['change_points'], 1) + 0.0:+.1f} pts",
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
    view.add(
        builders.control_chart(
            metrics.monthly_outcomes(scope.trend_mh, [o]),
            o.label,
            start,
            note=partial_text(scope),
            target=dict(targets).get(o.key),
            milestones=scope.milestones,
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
        ITS_KEY,
        long.reset_index(drop=True),
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
        rows.append(builders.target_row(o.label, target, rate, o.higher_is_better, w.text))
    return pd.DataFrame(rows)
