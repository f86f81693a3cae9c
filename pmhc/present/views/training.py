"""Question 3: training. Patrol coverage with the 40-hour course by district and shift,
in-service currency, dispatcher training, hours by course type."""

from __future__ import annotations

import pandas as pd

from pmhc.analysis import indicators, workforce
from pmhc.domain.rules import COURSE_LABELS
from pmhc.present import builders, charts
from pmhc.present.charts import Figure
from pmhc.present.views.base import KeyFigure, Scope, View, figure, pct
from pmhc.present.views.shared import add_cards, coverage_figure

MONTH_BINS = ([-1, 12, 24, 36, 60, 10_000], ["0–12", "12–24", "24–36", "36–60", "60+"])


def training(scope: Scope) -> View:
    view = View()
    staff = scope.staff
    if staff is None or "role_group" not in staff:
        view.needs(
            "Share of patrol with 40-hour CIT", "a roster (with rank or role) and a training log"
        )
    else:
        fig = coverage_figure(scope, indicators.get_measure("patrol_coverage").card, ("patrol",))
        if fig:
            fig.help += " Guidance: about 20–25% of patrol in large agencies, more in small ones."
        view.add(fig)
        for column in ("district", "shift"):
            chart = _coverage_by(scope, staff, column)
            if chart is None:
                view.needs(f"Coverage by {column}", f"a {column} column in the roster")
            view.add(chart)
        view.add(_dispatchers(scope, staff))
    if scope.ds.training is None:
        view.needs("In-service currency and training hours", "a training log")
        return view
    view.add(_in_service(scope, view))
    view.add(_hours_by_type(scope))
    view.add(_certified(scope))
    if scope.mh is not None:
        add_cards(scope, view, "training", say_missing=True)
    return view


def _coverage_by(scope: Scope, staff: pd.DataFrame, column: str) -> Figure | None:
    data = workforce.coverage_by(staff, column)
    if data is None or data.empty:
        return None
    low = data.iloc[0]
    title = (
        f"{low[column]} has the lowest patrol CIT coverage: {pct(low['rate'], 0)}"
        if len(data) > 1
        else f"Patrol CIT coverage in {low[column]}: {pct(low['rate'], 0)}"  # one in view
    )
    return builders.coverage(
        f"coverage_by_{column}",
        data,
        column,
        title,
        "Active patrol with the 40-hour course; lines show 95% intervals",
        what=f"patrol by {column}",
        target_label="20% guidance",
    )


def _dispatchers(scope: Scope, staff: pd.DataFrame) -> KeyFigure | None:
    dispatch = staff[staff["role_group"] == "dispatcher"]
    if dispatch.empty:
        return None
    done = workforce.completed(scope.ds.training)
    crisis = done[
        done["course_type"].isin(["dispatcher", "cit_40"]) & (done["completed_on"] <= scope.as_of)
    ]
    trained = dispatch["officer_id"].isin(crisis["officer_id"]).sum()
    return KeyFigure(
        "Dispatchers with crisis training",
        pct(trained / len(dispatch), 0),
        help=f"{trained} of {len(dispatch)} active dispatchers and call-takers "
        "completed a dispatcher crisis course or 40-hour CIT.",
        caption=f"as of {scope.as_of:%d %b %Y} · of {len(dispatch):,} active dispatchers",
    )


def _in_service(scope: Scope, view: View) -> Figure | None:
    status = workforce.in_service(scope.ds.training, scope.as_of, scope.staff)
    overdue, n_over = status.officers, status.overdue
    pool = (
        "CIT-certified active sworn officers"
        if status.sworn is not None
        else "CIT-certified officers in the training log (no roster)"
    )
    view.add(
        KeyFigure(
            indicators.get_measure("in_service_overdue").card,
            f"{n_over:,}",
            help=f"CIT-certified officers with no CIT course in the "
            f"{workforce.IN_SERVICE_MONTHS} months before {scope.as_of:%d %b %Y}, of "
            f"{len(overdue):,} {pool}.",
            caption=f"as of {scope.as_of:%d %b %Y} · of {len(overdue):,} {pool}",
        )
    )
    if status.of_sworn is not None and status.sworn:
        view.add(
            KeyFigure(
                "Overdue, share of all sworn",
                pct(status.of_sworn.value),
                help="CIT-certified officers overdue for in-service, as a share of every "
                "active sworn officer (patrol, supervisors, command, specialists).",
                caption=f"as of {scope.as_of:%d %b %Y} · of {status.sworn:,} active sworn officers",
            )
        )
    if overdue.empty:
        return None
    view.tables["Officers overdue for in-service"] = (
        overdue[overdue["overdue"]]
        .sort_values("months_since", ascending=False)
        .reset_index(drop=True)
    )
    bins = pd.cut(overdue["months_since"], MONTH_BINS[0], labels=MONTH_BINS[1])
    data = bins.value_counts().reindex(MONTH_BINS[1], fill_value=0).rename("officers")
    data = data.rename_axis("months").reset_index()
    data["months"] = data["months"].astype(str)
    title = f"{n_over} of {len(overdue)} CIT officers are overdue for in-service training"
    return figure(
        "in_service",
        data,
        title,
        "Months since last CIT course.",
        lambda d, t: charts.bars(
            d,
            category="months",
            value="officers",
            title=t,
            subtitle="CIT-trained officers by months since their last CIT course; "
            "over 24 is overdue",
            value_title="Officers",
            category_title="Months since",
            sort=MONTH_BINS[1],
            description="Bar chart of CIT-trained officers by months since their last CIT course.",
        ),
    )


def _hours_by_type(scope: Scope) -> Figure | None:
    hours = workforce.hours_by_type(scope.ds.training)
    if hours.empty:
        return None
    hours = hours[hours["period"] >= hours["period"].max() - pd.DateOffset(years=4)]
    last_year = hours[hours["period"] > hours["period"].max() - pd.DateOffset(years=1)]
    crisis = last_year[last_year["course_type"] != "other"]["hours"].sum()
    share = crisis / max(1.0, last_year["hours"].sum())
    title = f"Crisis-related courses made up {pct(share, 0)} of training hours in the last year"
    domain = [COURSE_LABELS[k] for k in COURSE_LABELS if COURSE_LABELS[k] in set(hours["course"])]
    return figure(
        "hours_by_type",
        hours,
        title,
        "Training hours by course type per quarter.",
        lambda d, t: charts.stacked(
            d,
            x="period",
            y="hours",
            colour="course",
            title=t,
            subtitle="Completed course hours per quarter",
            y_title="Hours",
            x_title="Quarter",
            domain=domain,
            milestones=scope.milestones,
            description="Stacked bar chart of training hours by course type per quarter.",
        ),
    )


def _certified(scope: Scope) -> Figure | None:
    officers = scope.staff["officer_id"] if scope.staff is not None else None
    data = workforce.certified_over_time(scope.ds.training, officers)
    if data.empty:
        return None
    title = f"{int(data['officers'].iloc[-1])} current staff hold the 40-hour CIT course"
    return figure(
        "certified_over_time",
        data,
        title,
        "Cumulative CIT-certified officers.",
        lambda d, t: charts.trend(
            d,
            x="month",
            y="officers",
            colour=None,
            title=t,
            subtitle="Cumulative staff with the 40-hour course, by completion month",
            y_title="Officers",
            percent=False,
            marker=scope.programme_start,
            milestones=scope.milestones,
            description="Line chart of the cumulative number of CIT-certified officers.",
        ),
    )
