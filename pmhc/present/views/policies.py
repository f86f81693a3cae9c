"""Question 2: policies and procedures as they show in dispatch data: the CIT request ->
dispatch -> arrival funnel, calls recognised at intake, response times, who responds."""

from __future__ import annotations

import pandas as pd

from pmhc.analysis import filters as flt
from pmhc.analysis import indicators, metrics
from pmhc.present import builders, charts
from pmhc.present.charts import Figure
from pmhc.present.views.base import KeyFigure, Scope, View, figure, pct
from pmhc.present.views.measures import add_measures
from pmhc.present.views.shared import add_cards

STAGE_TEXT = {
    "CIT requested": "a CIT request",
    "CIT dispatched": "a CIT officer dispatched",
    "CIT arrived": "a CIT officer on scene",
}


def policies(scope: Scope) -> View:
    view = View()
    mh = scope.mh
    if mh is None:
        view.notes.append("No calls are loaded.")
        return view
    add_cards(scope, view, "policies")
    funnel = _funnel(scope)
    if funnel is None:
        view.needs(
            "The CIT requested → dispatched → arrived funnel",
            "CIT requested, dispatched or arrived columns",
        )
    view.add(funnel)
    _identification(scope, view)
    _response(scope, view)
    responders = _responders(scope)
    if responders is None:
        view.needs("Calls by responder type", "a responder or unit type column")
    view.add(responders)
    add_measures(scope, view, "policies")
    return view


def _funnel(scope: Scope) -> Figure | None:
    funnel = metrics.cit_funnel(scope.mh)
    if funnel is None:
        return None
    first, last = funnel.iloc[0], funnel.iloc[-1]
    if len(funnel) > 1 and first["calls"]:
        title = (
            f"{pct(last['calls'] / first['calls'], 0)} as many MH calls had "
            f"{STAGE_TEXT[last['stage']]} as had {STAGE_TEXT[first['stage']]}"
        )
    else:
        title = f"{pct(first['share_of_mh_calls'], 0)} of MH calls had {STAGE_TEXT[first['stage']]}"
    shares = ", ".join(
        f"{s} {pct(v)}" for s, v in zip(funnel["stage"], funnel["share_of_mh_calls"], strict=True)
    )
    return builders.cit_funnel(
        funnel,
        title,
        f"Funnel of MH calls with a CIT officer requested, dispatched and arrived, as shares "
        f"of MH calls: {shares}.",
    )


def _identification(scope: Scope, view: View) -> None:
    ident = metrics.identification(scope.mh)
    if ident is None:
        view.needs(
            "MH calls identified at dispatch vs only at close",
            "both an initial and a final call-type column",
        )
        return
    share = ident.loc[ident["identified"] == "At dispatch", "calls"].sum() / max(
        1, ident["calls"].sum()
    )
    frame, period = scope.cards  # the card: the row's period, not the chart's
    card = metrics.identification(frame)
    if card is not None and len(card):
        now = card.loc[card["identified"] == "At dispatch", "calls"].sum()
        view.add(
            KeyFigure(
                "Recognised as MH at dispatch",
                pct(now / max(1, card["calls"].sum())),
                help="Share of MH calls whose initial call type was already a "
                "mental-health type; the rest were recognised only at close.",
                caption=f"{period} · of {card['calls'].sum():,} MH calls with a "
                "recorded initial type",
            )
        )
    title = f"{pct(share, 0)} of MH calls were recognised as mental-health calls at dispatch"
    view.add(
        figure(
            "identification",
            ident,
            title,
            "MH calls identified at dispatch by month.",
            lambda d, t: charts.stacked(
                d,
                x="month",
                y="calls",
                colour="identified",
                title=t,
                subtitle="Initial call type already mental-health, or recognised only at close",
                y_title="Share of MH calls",
                normalise=True,
                domain=["At dispatch", "Only at close"],
                milestones=scope.milestones,
                description="Stacked bars per month of MH calls identified at dispatch "
                "versus only at close.",
            ),
        )
    )


def _response(scope: Scope, view: View) -> None:
    monthly = metrics.monthly_response(scope.mh)
    minutes = metrics.response_minutes(scope.mh)
    if monthly is None or minutes is None:
        view.needs("Response times", "an arrived date-time column")
        return
    median = minutes.median()
    frame, period = scope.cards  # the card: the row's period, not the chart's
    card = metrics.response_minutes(frame)
    if card is not None and len(card):
        view.add(
            KeyFigure(
                indicators.get_measure("response_time").card,
                f"{card.median():.0f} min",
                help="From call received to first unit arrived, over MH calls with both times.",
                caption=f"{period} · of {len(card):,} MH calls with both times",
            )
        )
    title = f"Median time to arrival: {median:.0f} minutes"
    view.add(
        figure(
            "response_time",
            monthly,
            title,
            "Monthly median response time.",
            lambda d, t: charts.trend(
                d,
                x="month",
                y="median_minutes",
                colour=None,
                title=t,
                subtitle="Median minutes from call received to first arrival, per month",
                y_title="Minutes",
                percent=False,
                marker=scope.programme_start,
                milestones=scope.milestones,
                description="Line chart of the monthly median response time to MH calls.",
            ),
        )
    )


def _responders(scope: Scope) -> Figure | None:
    """MH calls by the unit types on scene: an incident counts once under each type any of
    its units had (a call with a patrol car and a mobile crisis team counts under both)."""
    mh = scope.mh
    units = [
        (label, col) for label, col in flt.UNIT_BY_LABEL.items() if mh is not None and col in mh
    ]
    if mh is None or not units:
        return None
    recorded = int(mh["responders"].notna().sum()) if "responders" in mh else len(mh)
    data = pd.DataFrame(
        {
            "responder": [label for label, _ in units],
            "calls": [int(mh[col].fillna(False).sum()) for _, col in units],
        }
    )
    data = data[data["calls"] > 0].sort_values("calls", ascending=False, kind="stable")
    if data.empty:
        return None
    data["share"] = data["calls"] / max(1, recorded)
    data = data.reset_index(drop=True)
    top = data.iloc[0]
    title = f"A {top['responder'].lower()} unit was on {pct(top['share'], 0)} of MH calls"
    return figure(
        "responders",
        data,
        title,
        "MH calls by unit type on scene.",
        lambda d, t: charts.bars(
            d,
            category="responder",
            value="calls",
            title=t,
            subtitle=f"MH calls where any unit was of each type (of {recorded:,} with a "
            "recorded unit type; a call can count under several)",
            value_title="MH calls",
            category_title="Unit type",
            description="Bar chart of MH calls by the type of any unit on scene.",
        ),
    )
