"""The Overview: the headline outcomes with their change, calls over time, and the
self-assessment across the six questions."""

from __future__ import annotations

from pmhc.analysis import indicators, metrics
from pmhc.domain import checklist
from pmhc.present import builders
from pmhc.present.charts import Figure
from pmhc.present.views.base import Scope, View, count_figure
from pmhc.present.views.shared import (
    add_cards,
    outcome_trend,
    partial_text,
    repeat_figure,
)


def overview(scope: Scope) -> View:
    view = View()
    if scope.mh is None:
        view.notes.append(
            "No calls are loaded: upload a calls export on the Data page to see the outcomes."
        )
    else:
        view.add(count_figure(scope, indicators.get_measure("mh_calls").card))
        add_cards(scope, view, "overview")
        view.add(repeat_figure(scope))
        view.add(monthly_calls(scope))
        view.add(outcome_trend(scope, "overview_outcomes"))
    view.add(_self_assessment(scope, view))
    return view


def monthly_calls(scope: Scope) -> Figure:
    return builders.monthly_calls(
        metrics.monthly_calls(scope.trend_mh),
        _calls_takeaway(scope),
        "Distinct incidents per calendar month" + partial_text(scope),
        "Line chart of the number of mental-health calls per month.",
        marker=scope.programme_start,
        milestones=scope.milestones,
    )


def _calls_takeaway(scope: Scope) -> str:
    """The key-figure window against the one before (a year against a year by default,
    so seasons cancel out)."""
    if scope.windows is None:
        return "Mental-health calls per month"
    current, previous, w = scope.windows
    now, before = len(current), 0 if previous is None else len(previous)
    if not before:
        return "Mental-health calls per month"
    change = (now - before) / before
    if abs(change) < 0.03:
        return (
            f"Mental-health calls held steady: {now:,} in {w.text} against {before:,} in "
            f"{w.before_text}"
        )
    word = "up" if change > 0 else "down"
    return (
        f"Mental-health calls {word} {abs(change):.0%}: {now:,} in {w.text} against "
        f"{before:,} in {w.before_text}"
    )


def _self_assessment(scope: Scope, view: View) -> Figure | None:
    fig = builders.self_assessment(checklist.scores_frame(scope.answers))
    if fig is None:
        view.notes.append(
            "The self-assessment is not started: answer the checklist on each "
            "question's page to see the scores here."
        )
    return fig
