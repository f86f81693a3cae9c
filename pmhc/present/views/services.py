"""Question 4: services. Where calls end (dispositions, destinations), when connections
fail (hour x weekday), and the inventory against the Crisis Now core elements."""

from __future__ import annotations

import pandas as pd

from pmhc.analysis import crisis_now, metrics
from pmhc.present import builders, charts
from pmhc.present.charts import Figure
from pmhc.present.views.base import KeyFigure, Scope, View, figure, pct
from pmhc.present.views.measures import add_measures
from pmhc.present.views.shared import add_cards, components_table

MIN_CELL = 30  # heatmap cells with fewer calls show no rate


def services(scope: Scope) -> View:
    view = View()
    mh = scope.mh
    if mh is not None:
        add_cards(scope, view, "services")
        components_table(scope, view)
        grid = metrics.hour_weekday(mh, scope.outcome("connection"))
        if grid is None:
            view.needs("Hour × weekday patterns", "a received time (hour) column")
        else:
            for fig in _heatmaps(scope, grid):
                view.add(fig)
        disp = _dispositions(scope)
        if disp is None:
            view.needs("The disposition breakdown", "a disposition column")
        view.add(disp)
        if "is_arrest" in mh:
            frame, period = scope.cards  # the row's period (issue 20)
            view.add(
                KeyFigure(
                    "Ended in arrest",
                    f"{int(frame['is_arrest'].sum()):,}",
                    help="MH incidents in the period with an arrest on any row.",
                    caption=f"{period} · MH incidents",
                )
            )
        view.add(_destinations(scope))
        add_measures(scope, view, "services")
    if scope.ds.services is None:
        view.needs(
            "The services inventory", "a services workbook (name, type, hours, police drop-off)"
        )
    else:
        elements = crisis_now.core_elements(scope.ds.services)
        view.tables["Crisis Now core elements"] = elements
        view.add(
            KeyFigure(
                "Crisis Now core elements in place",
                f"{int((elements['status'] == 'Yes').sum())} of {len(elements)}",
                help="A 24/7 crisis line, 24/7 mobile crisis, and crisis "
                "stabilisation accepting police drop-off.",
                caption=f"services inventory · {len(scope.ds.services):,} services",
            )
        )
        columns = [
            c
            for c in ("name", "type", "hours", "police_dropoff", "capacity")
            if c in scope.ds.services
        ]
        view.tables["Services inventory"] = scope.ds.services[columns]
    return view


def _heatmaps(scope: Scope, grid: pd.DataFrame) -> list[Figure]:
    data = grid
    busiest = grid.loc[grid["calls"].idxmax()]
    title = f"MH calls peak on {busiest['weekday_name']} around {int(busiest['hour']):02d}:00"
    figures = [
        Figure(
            "heatmap_calls",
            lambda title=title: charts.heatmap(  # built when drawn, as meeting mode needs
                data,
                value="calls",
                title=title,
                subtitle="Distinct MH calls by day of week and hour",
                value_title="MH calls",
                description="Heatmap of MH calls by weekday and hour of day.",
            ),
            data,
            title,
            "MH calls by weekday and hour.",
        )
    ]
    if "connections" not in grid:
        return figures
    title = _connection_title(grid)
    rates = data.assign(connection_rate=data["connection_rate"].mask(data["calls"] < MIN_CELL))
    figures.append(
        Figure(
            "heatmap_connection",
            lambda title=title: charts.heatmap(
                rates,
                value="connection_rate",
                title=title,
                subtitle="Share of MH calls with a recorded disposition connected to services; "
                "blank cells have under "
                f"{MIN_CELL} calls",
                value_title="Connection rate",
                percent=True,
                description="Heatmap of the connection rate by weekday and hour, showing "
                "service gaps at night and weekends.",
            ),
            rates,
            title,
            "Connection rate by weekday and hour.",
            None
            if rates["connection_rate"].notna().any()
            else f"No hour of the week has {MIN_CELL} or more MH calls under these filters, "
            "so no connection rate is drawn.",
        )
    )
    return figures


def _connection_title(grid: pd.DataFrame) -> str:
    """Night (23-07) against weekday office hours (09-17); a filter can leave either side
    without calls, and then the title says so instead of comparing with an empty rate."""
    night = grid[(grid["hour"] < 7) | (grid["hour"] >= 23)]
    office = grid[(grid["hour"] >= 9) & (grid["hour"] < 17) & (grid["weekday"] < 5)]
    base = "recorded" if "recorded" in grid else "calls"  # calls with the outcome recorded
    if night[base].sum() == 0 or office[base].sum() == 0:
        total = grid["connections"].sum() / max(1, grid[base].sum())
        return f"{pct(total, 0)} of these MH calls were connected to services"
    n_rate = night["connections"].sum() / night[base].sum()
    d_rate = office["connections"].sum() / office[base].sum()
    verb = "drop to" if n_rate < d_rate else "reach"
    return (
        f"Connections {verb} {pct(n_rate, 0)} at night (23–07), against {pct(d_rate, 0)} "
        "in weekday office hours"
    )


def _dispositions(scope: Scope) -> Figure | None:
    disp = metrics.disposition_breakdown(scope.mh)
    if disp is None:
        return None
    top = disp.iloc[0]
    title = (
        f"The most common disposition group is {str(top['label']).lower()} "
        f"({pct(top['share'], 0)} of MH calls)"
    )
    return builders.dispositions(
        disp,
        title,
        "Most serious disposition of each MH incident. The connection rate also counts "
        "transports and hand-offs recorded in other columns, never arrests",
    )


def _destinations(scope: Scope) -> Figure | None:
    dest = metrics.destinations(scope.mh)
    if dest is None or dest.empty:
        return None
    dest = dest.head(15)
    title = f"{dest.iloc[0]['destination']} is the most common transport destination"
    return figure(
        "destinations",
        dest,
        title,
        "MH calls by transport destination.",
        lambda d, t: charts.bars(
            d,
            category="destination",
            value="calls",
            title=t,
            subtitle="MH calls by transport destination",
            value_title="MH calls",
            category_title="Destination",
            description="Bar chart of MH calls by transport destination.",
        ),
    )
