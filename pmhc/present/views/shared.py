"""Figures that more than one page shows: the outcome trend, the repeat-contacts and
coverage key figures, and the before/after table. Pages import them from here, never from
each other."""

from __future__ import annotations

import pandas as pd

from pmhc.analysis import indicators, metrics, workforce
from pmhc.analysis.metrics import Outcome
from pmhc.analysis.stats import compare, enough_events
from pmhc.present import builders
from pmhc.present.builders import rate_card
from pmhc.present.charts import Figure
from pmhc.present.views.base import KeyFigure, Scope, View, pct, rate_figure

REPEAT_LABEL = indicators.get_measure("repeat_people").card


def repeat_figure(scope: Scope) -> KeyFigure | None:
    if scope.windows is None:
        return None
    current, previous, w = scope.windows
    # the look-back reaches before each window into the unfiltered period (scope.base)
    now = metrics.repeat_encounters(current, scope.base)
    before = None if previous is None else metrics.repeat_encounters(previous, scope.base)
    if now is None:
        return None
    fig = rate_card(
        REPEAT_LABEL,
        now.repeat_2,
        "people with a recorded identifier",
        w.text,
        before.repeat_2 if before and before.persons else None,
        False,
        w.missing,
    )
    if fig and fig.help:
        fig.help += (
            f" People with an MH contact in {w.text} who had another within "
            f"{metrics.LOOKBACK_MONTHS} months before it (a rolling look-back per person, "
            f"which reaches back before {w.start:%b %Y}). {now.contacts_per_person:.2f} MH "
            "contacts per person in the period."
        )
    return fig


def outcome_trend(scope: Scope, key: str) -> Figure | None:
    """The registry's outcomes for the trend chart `key`, under the scope's settings."""
    wanted = [scope.outcome(o.key) for o in indicators.in_trend(key)]
    mh = scope.trend_mh
    if mh is None:
        return None
    available = [o for o in wanted if metrics.outcome_flag(mh.head(0), o) is not None]
    if not available or mh.empty:
        return None
    data = metrics.monthly_outcomes(mh, available)
    # a month with under 5 expected events either way is drawn grey: too few to judge
    data["sparse"] = ~enough_events(data["denominator"], data["rate"].fillna(0))
    start = scope.programme_start
    subtitle = "Share of MH calls with the outcome recorded, per month" + (
        "; the dashed line marks the programme start" if start is not None else ""
    )
    if "sparse" in data and data["sparse"].any():
        subtitle += "; grey points: too few to judge (under 5 expected events)"
    targets = pd.DataFrame(
        [(o.label, scope.targets[o.key]) for o in available if o.key in scope.targets],
        columns=["label", "target"],
    )
    if len(targets):
        subtitle += "; dotted lines mark the targets"
    subtitle += partial_text(scope)
    names = ", ".join(o.label.lower() for o in available)
    return builders.outcome_trend(
        key,
        data,
        trend_takeaway(mh, available, start),
        subtitle,
        f"Line chart of monthly rates of {names} among mental-health calls.",
        marker=start,
        milestones=scope.milestones,
        targets=targets,
    )


def connection_definition(scope: Scope) -> str:
    """The connection's definition under the scope's settings, as a card's help says it."""
    handoff = (
        "hand-off to mobile crisis or a co-responder with contact (not when the call was "
        "resolved on scene or nobody was contacted)"
        if scope.handoff_needs_contact
        else "a mobile-crisis or co-responder unit on the call, whatever the disposition"
    )
    shelter = "a shelter transport counts" if scope.shelter_as_treatment else "a shelter is not"
    holds = (
        "a hold counts only when it ended in a transport to treatment"
        if scope.holds_as_connection
        else "involuntary holds are counted apart"
    )
    return (
        f"Connection: referral, transport to treatment ({shelter}), or {handoff}. An arrest "
        f"is never a connection; {holds} (settings: Data page, Definitions)"
    )


def connection_figure(scope: Scope, label: str = "Connected") -> KeyFigure | None:
    """The one connection rate every page shows, with its components in the help."""
    o = scope.outcome("connection")
    fig = rate_figure(scope, label, o)
    if fig is None or scope.windows is None:
        return fig
    parts = metrics.connection_components(scope.windows[0], o)
    fig.help = f"{fig.help or ''} {connection_definition(scope)}."
    if parts is not None and len(parts):
        fig.help += (
            " Of the connected calls: "
            + "; ".join(
                f"{c.lower()} {n:,}"
                for c, n in zip(parts["component"], parts["calls"], strict=True)
            )
            + " (a call may have several)."
        )
    return fig


def add_cards(scope: Scope, view: View, page: str, say_missing: bool = False) -> None:
    """The key cards of the registry's outcomes for a page, in registry order; with
    `say_missing`, what an unavailable one needs."""
    for entry in indicators.on_page(page):
        o = scope.outcome(entry.key)
        fig = (
            connection_figure(scope, o.card)
            if o.key == "connection"
            else rate_figure(scope, o.card, o)
        )
        if fig:
            view.add(fig)
        elif say_missing:
            view.needs(o.label, o.unlock)


def components_table(scope: Scope, view) -> None:
    """The connection components beside the rate, over the key-figure window."""
    if scope.windows is None:
        return
    current, _, w = scope.windows
    o = scope.outcome("connection")
    parts = metrics.connection_components(current, o)
    if parts is None or parts.empty:
        return
    rate = metrics.outcome_rate(current, o)
    table = parts.assign(period=w.text, connected=rate.numerator if rate else None)
    view.tables["What counted as a connection"] = table


def partial_text(scope: Scope) -> str:
    """'; partial months left out: Jun 2015 (data to 12 Jun)' for trend subtitles."""
    note = scope.coverage.partial_note() if scope.coverage is not None else None
    return "" if note is None else "; " + note[0].lower() + note[1:].rstrip(".")


def trend_takeaway(mh: pd.DataFrame, outcomes: list[Outcome], start: pd.Timestamp | None) -> str:
    """The largest before/after change, e.g. 'Since the programme start, connection to
    services rose from 43% to 59%'; without a start date, the lead outcome's level."""
    if start is None:
        rate = metrics.outcome_rate(mh, outcomes[0])
        value = rate.value if rate else None
        return outcomes[0].takeaway.format(label=outcomes[0].label, value=pct(value, 0))
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


def period_change(
    before: pd.DataFrame, after: pd.DataFrame, outcomes: list[Outcome] | None = None
) -> pd.DataFrame:
    """Every available outcome before and after a date: rates (of the calls with the outcome
    recorded), change with its 95% interval, and the verdict of a two-proportion test."""
    rows = []
    for o in outcomes or metrics.available_outcomes(after if len(after) else before):
        a, b = metrics.outcome_rate(before, o), metrics.outcome_rate(after, o)
        if a is None or b is None:  # available outcomes always have a rate
            continue
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
                "verdict": "Too few calls to judge." if c is None else c.verdict,
            }
        )
    return pd.DataFrame(rows)


def coverage_figure(scope: Scope, label: str, groups: tuple[str, ...]):
    """Coverage as of the period's end, against 12 months earlier."""
    now = workforce.coverage(scope.staff, groups)
    if now is None or not now.denominator:
        return None
    earlier, why = None, None
    if scope.staff_a_year_before is not None:
        when = scope.as_of - pd.DateOffset(months=12)
        earlier, why = workforce.in_post(scope.staff_a_year_before, when, groups)
    before = workforce.coverage(earlier, groups) if earlier is not None else None
    return rate_card(
        label,
        now,
        f"active staff as of {scope.as_of:%d %b %Y}"
        + (", against those in post 12 months earlier" if earlier is not None else ""),
        before=before if before is not None and before.denominator else None,
        higher_is_better=True,
        missing=why,
    )
