"""Question 5: the four key outcomes over time and by district, repeat encounters, and
how complete the data is."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pmhc.analysis import metrics
from pmhc.analysis.metrics import OUTCOME_BY_KEY, Outcome
from pmhc.analysis.stats import compare
from pmhc.present import charts
from pmhc.present.charts import Figure
from pmhc.present.views.base import (
    RATE_TOOLTIP,
    KeyFigure,
    Scope,
    View,
    figure,
    pct,
    rate_change_figure,
    rate_figure,
)

REPEAT_LABEL = "2+ MH contacts"


def outcomes(scope: Scope) -> View:
    view = View()
    if scope.mh is None:
        view.notes.append("No calls are loaded.")
        return view
    for key in metrics.KEY_OUTCOMES:
        o = OUTCOME_BY_KEY[key]
        fig = rate_figure(scope, o.card, o)
        if fig:
            view.add(fig)
        else:
            view.needs(o.label, o.unlock)
    rep = repeat_figure(scope)
    if rep:
        view.add(rep)
    else:
        view.needs("Repeat encounters", "a person identifier column (pseudonymised on upload)")
    view.add(
        outcome_trend(
            scope,
            [OUTCOME_BY_KEY[k] for k in (*metrics.KEY_OUTCOMES, "involuntary")],
            "outcome_trend",
        )
    )
    view.add(_by_district(scope))
    view.add(_contacts(scope))
    view.add(_completeness(scope))
    return view


def repeat_figure(scope: Scope) -> KeyFigure | None:
    if scope.windows is None:
        return None
    current, previous, window = scope.windows
    now, before = metrics.repeat_encounters(current), metrics.repeat_encounters(previous)
    if now is None:
        return None
    fig = rate_change_figure(
        scope,
        REPEAT_LABEL,
        now.repeat_2,
        before.repeat_2 if before and before.persons else None,
        False,
        f"people with a recorded identifier, {window}",
    )
    if fig and fig.help:
        fig.help += f" {now.contacts_per_person:.2f} MH contacts per person."
    return fig


def outcome_trend(scope: Scope, wanted: list[Outcome], key: str) -> Figure | None:
    mh = scope.mh
    available = [o for o in wanted if metrics.outcome_flag(mh.head(0), o) is not None]
    if not available or mh.empty:
        return None
    data = metrics.monthly_outcomes(mh, available)
    start = scope.programme_start
    subtitle = "Share of MH calls per month" + (
        "; the dashed line marks the programme start" if start is not None else ""
    )
    names = ", ".join(o.label.lower() for o in available)
    return figure(
        scope,
        key,
        data,
        ["numerator"],
        trend_takeaway(mh, available, start),
        "Monthly outcome rates among mental-health calls.",
        lambda d, t: charts.trend(
            d,
            x="month",
            y="rate",
            colour="label",
            title=t,
            subtitle=subtitle,
            y_title="Share of MH calls",
            marker=start,
            tooltip=RATE_TOOLTIP,
            description=f"Line chart of monthly rates of {names} among mental-health calls.",
        ),
    )


def trend_takeaway(mh: pd.DataFrame, outcomes: list[Outcome], start: pd.Timestamp | None) -> str:
    """The largest before/after change, e.g. 'Since the programme start, connection to
    services rose from 43% to 59%'; without a start date, the lead outcome's level."""
    if start is None:
        rate = metrics.outcome_rate(mh, outcomes[0])
        return f"{outcomes[0].label}: {pct(rate.value, 0)} of MH calls over the period"
    changes = []
    for o in outcomes:
        split = metrics.split_rates(mh, o, start)
        change = compare(*split, o.higher_is_better) if split else None
        if change is not None:
            changes.append((o, change))
    if not changes:
        return "Outcome rates per month"
    o, c = max(changes, key=lambda oc: abs(oc[1].difference))
    verb = "rose" if c.difference > 0 else "fell"
    chance = "" if c.p_value < 0.05 else " (within chance)"
    return (
        f"Since the programme start, {o.label.lower()} {verb} from {pct(c.before.value, 0)} "
        f"to {pct(c.after.value, 0)}{chance}"
    )


def _by_district(scope: Scope) -> Figure | None:
    data = metrics.outcomes_by(scope.mh, "district")
    if data is None or data.empty:
        return None
    conn = data[data["outcome"] == "connection"].sort_values("rate")
    title = (
        f"{conn.iloc[0]['district']} has the lowest connection rate "
        f"({pct(conn.iloc[0]['rate'], 0)})"
        if len(conn)
        else "Outcome rates by district"
    )
    return figure(
        scope,
        "outcomes_by_district",
        data,
        ["numerator"],
        title,
        "Outcome rates by district.",
        lambda d, t: charts.grouped(
            d,
            category="district",
            value="rate",
            colour="label",
            title=t,
            subtitle="Share of MH calls with each outcome, by district",
            value_title="Share of MH calls",
            category_title="District",
            description="Grouped bar chart of outcome rates by district.",
            tooltip=[alt.Tooltip("district:N", title="District"), *RATE_TOOLTIP],
        ),
    )


def _contacts(scope: Scope) -> Figure | None:
    dist = metrics.contacts_distribution(scope.mh)
    if dist is None or dist.empty:
        return None
    repeat = dist[dist["contacts"] >= 2]["incidents"].sum() / max(1, dist["incidents"].sum())
    title = f"People with repeat contacts account for {pct(repeat, 0)} of identified MH calls"
    return figure(
        scope,
        "contacts_per_person",
        dist,
        ["persons", "incidents"],
        title,
        "People by number of MH contacts.",
        lambda d, t: charts.bars(
            d,
            category="contacts_label",
            value="persons",
            title=t,
            subtitle="People by number of MH contacts in the period",
            value_title="People",
            category_title="MH contacts",
            sort=list(dist["contacts_label"]),
            description="Bar chart of people by their number of mental-health contacts.",
        ),
    )


def _completeness(scope: Scope) -> Figure | None:
    data = scope.ds.completeness
    if data is None or data.empty:
        return None
    worst = data.sort_values("filled").iloc[0]
    title = (
        f"{worst['field'].replace('_', ' ').capitalize()} is the least complete field "
        f"({pct(worst['filled'], 0)} filled)"
    )
    return figure(
        scope,
        "completeness",
        data,
        [],
        title,
        "Data completeness per field.",
        lambda d, t: charts.bars(
            d,
            category="field",
            value="filled",
            title=t,
            subtitle=f"Share of all {int(data['records'].iloc[0]):,} call records with a value",
            value_title="Share filled",
            category_title="Field",
            percent=True,
            sort="x",
            description="Bar chart of the share of call records with a value in each field.",
        ),
    )


def period_change(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Every available outcome before and after a date: rates, change with its 95%
    interval, and the verdict of a two-proportion test."""
    rows = []
    for o in metrics.available_outcomes(after if len(after) else before):
        a, b = metrics.outcome_rate(before, o), metrics.outcome_rate(after, o)
        c = compare(a, b, o.higher_is_better)
        rows.append(
            {
                "outcome": o.label,
                "before": a.value,
                "after": b.value,
                "before_calls": a.denominator,
                "after_calls": b.denominator,
                "change_points": None if c is None else 100 * c.difference,
                "change_low": None if c is None else 100 * c.interval[0],
                "change_high": None if c is None else 100 * c.interval[1],
                "verdict": "too few to judge" if c is None else c.verdict,
            }
        )
    return pd.DataFrame(rows)
