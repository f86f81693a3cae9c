"""Question 1: leadership. What the data can show of commitment: supervisors and command
staff trained alongside patrol, and training effort per officer over time."""

from __future__ import annotations

import pandas as pd

from pmhc.analysis import indicators, workforce
from pmhc.present import builders, charts
from pmhc.present.charts import Figure
from pmhc.present.views.base import Scope, View, figure, pct
from pmhc.present.views.shared import coverage_figure


def leadership(scope: Scope) -> View:
    view = View()
    staff = scope.staff
    if staff is None or "role_group" not in staff:
        view.needs(
            "CIT coverage of supervisors and command staff",
            "a roster (with rank or role) and a training log",
        )
    else:
        for _label, groups in workforce.LEADERSHIP_GROUPS:
            entry = indicators.get_measure(f"{groups[0]}_coverage")  # its card label
            view.add(coverage_figure(scope, entry.card, groups))
        view.add(_coverage_chart(scope, staff))
    if scope.ds.training is None:
        view.needs("Training hours per officer", "a training log")
    else:
        view.add(_hours_per_officer(scope))
    return view


def _coverage_chart(scope: Scope, staff: pd.DataFrame) -> Figure | None:
    data = workforce.leadership_coverage(staff)
    if data is None or data.empty:
        return None
    lowest = data.sort_values("rate").iloc[0]
    title = f"{lowest['group']} have the lowest CIT coverage: {pct(lowest['rate'], 0)}"
    return builders.coverage(
        "leadership_coverage",
        data,
        "group",
        title,
        f"Active staff with the 40-hour course, as of {scope.as_of:%d %b %Y}; lines show 95% "
        "intervals",
        what=builders.LEADERSHIP_GROUPS,
        target_label="20% of patrol (guidance)",
        sort=None,
    )


def _hours_per_officer(scope: Scope) -> Figure | None:
    done = workforce.completed(scope.ds.training)
    if "hours" not in done or done.empty:
        return None
    roster = scope.ds.roster
    staff = (
        int(roster["active"].astype(bool).sum())
        if roster is not None
        else done["officer_id"].nunique()
    )
    by_year = done.groupby(done["completed_on"].dt.year)["hours"].sum() / max(1, staff)
    data = by_year.rename("hours_per_officer").rename_axis("year").reset_index()
    data["year"] = data["year"].astype(str)
    crisis = done[done["course_type"] != "other"]
    crisis_year = crisis.groupby(crisis["completed_on"].dt.year)["hours"].sum() / max(1, staff)
    data["crisis_hours_per_officer"] = data["year"].astype(int).map(crisis_year).fillna(0.0)
    last = data.iloc[-1]
    title = (
        f"{last['hours_per_officer']:.1f} training hours per officer in {last['year']}, "
        f"{last['crisis_hours_per_officer']:.1f} of them crisis-related"
    )
    return figure(
        "hours_per_officer",
        data,
        title,
        "Training hours per officer by year.",
        lambda d, t: charts.bars(
            d,
            category="year",
            value="hours_per_officer",
            title=t,
            subtitle=f"Completed course hours divided by {staff:,} active staff",
            value_title="Hours per officer",
            category_title="Year",
            sort=None,
            description="Bar chart of completed training hours per officer by year.",
        ),
    )
