"""Question 5: the four key outcomes over time and by district, repeat encounters, and
how complete the data is."""

from __future__ import annotations

from pmhc.analysis import indicators, metrics
from pmhc.present import builders, charts
from pmhc.present.charts import Figure
from pmhc.present.labels import words
from pmhc.present.views.base import Scope, View, figure, pct
from pmhc.present.views.measures import add_measures
from pmhc.present.views.shared import (
    add_cards,
    components_table,
    outcome_trend,
    repeat_figure,
)


def outcomes(scope: Scope) -> View:
    view = View()
    if scope.mh is None:
        view.notes.append("No calls are loaded.")
        return view
    add_cards(scope, view, "outcomes", say_missing=True)
    rep = repeat_figure(scope)
    if rep:
        view.add(rep)
    else:
        entry = indicators.get_measure("repeat_people")
        view.needs(entry.label, entry.unlock)
    view.add(outcome_trend(scope, "outcome_trend"))
    components_table(scope, view)
    view.add(_by_district(scope))
    view.add(_contacts(scope))
    add_measures(scope, view, "outcomes")
    view.add(_completeness(scope))
    return view


def _by_district(scope: Scope) -> Figure | None:
    data = metrics.outcomes_by(scope.mh, "district")
    if data is None or data.empty:
        return None
    conn = data[data["outcome"] == "connection"].sort_values("rate")
    if len(conn) > 1:
        title = (
            f"{conn.iloc[0]['district']} has the lowest connection rate "
            f"({pct(conn.iloc[0]['rate'], 0)})"
        )
    elif len(conn):  # one district in view: nothing to compare it with
        title = f"Connection rate in {conn.iloc[0]['district']}: {pct(conn.iloc[0]['rate'], 0)}"
    else:
        title = "Outcome rates by district"
    return builders.by_district(data, title, "Share of MH calls with each outcome, by district")


def _contacts(scope: Scope) -> Figure | None:
    dist = metrics.contacts_distribution(scope.mh)
    if dist is None or dist.empty:
        return None
    repeat = dist[dist["contacts"] >= 2]["incidents"].sum() / max(1, dist["incidents"].sum())
    title = f"People with repeat contacts account for {pct(repeat, 0)} of identified MH calls"
    return figure(
        "contacts_per_person",
        dist,
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
    data = data.assign(field=data["field"].map(words))  # "Use of force", not use_of_force
    worst = data.sort_values("filled").iloc[0]
    title = f"{worst['field']} is the least complete field ({pct(worst['filled'], 0)} filled)"
    return figure(
        "completeness",
        data,
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
