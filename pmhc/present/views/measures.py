"""The registry's measures on their pages (`indicators.Measure`, drawn from the entry): a
card over the key-figure window with the question it answers and its definition in the
help, the numbers behind it as a table, and, where a field is missing, which column would
unlock it. The pack shows them because it lays out the pages' views."""

from __future__ import annotations

from pmhc.analysis import indicators
from pmhc.analysis.indicators import Inputs, Measure
from pmhc.present.views.base import KeyFigure, Scope, View


def inputs(scope: Scope) -> Inputs:
    """The measures' inputs for a scope: the key-figure window, all the filtered MH calls
    for look-backs, and the scope's definition settings."""
    frame, period = scope.cards
    return Inputs(frame, scope.base, scope.ds, period, scope.as_of, scope.outcome)


def add_measures(scope: Scope, view: View, page: str) -> None:
    """The measures of a page the registry draws, in registry order (staff views only:
    partners see the release, which carries the measures marked for them)."""
    if scope.mh is None:
        return
    inp = inputs(scope)
    for m in indicators.measures(page=page):
        if not m.drawn:
            continue
        result = m.result(inp)
        if result is None:
            view.needs(m.label, m.unlock)
            continue
        view.add(card(m, result, inp.period))
        if result.table is not None and not result.table.empty:
            view.tables[f"{m.label}, {inp.period}"] = result.table
        if result.missing:
            view.missing.append(f"**{m.label}**: {result.missing}.")


def card(m: Measure, result, period: str) -> KeyFigure:
    base = result.base or m.base.split(",")[0]
    caption = f"{period} · of {result.n:,} {base}" if period else None
    return KeyFigure(
        m.card,
        result.text,
        help=f"{m.question} {result.detail} Counted: {m.definition}.",
        caption=caption,
    )
