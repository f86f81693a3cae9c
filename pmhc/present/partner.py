"""What partners see, page by page, computed from the partner release alone.

Every number, title, tooltip, caption and description here is a function of the counts
the release shows; hidden cells arrive as None and are never guessed at. This module
imports nothing that reads incidents: it cannot compute from what it is not given."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmhc.analysis import indicators
from pmhc.analysis.release import ALL_CALLS, ALL_DISTRICTS, WHOLE_PERIOD
from pmhc.analysis.released import Released, Selection, staff_rate
from pmhc.analysis.stats import Rate, wilson_bounds
from pmhc.present import builders, numbers
from pmhc.present.builders import KeyFigure, pct
from pmhc.present.charts import Figure
from pmhc.present.views.base import View
from pmhc.storage.releases import Release

# --- pieces ----------------------------------------------------------------------------


def add_cards(rel: Released, sel: Selection, view: View, page: str) -> None:
    """The key cards of the registry's partner outcomes for a page, as the internal page
    orders and names them; those the release does not hold are left out."""
    for o in indicators.on_page(page):
        if o.partner:
            view.add(rate_figure(rel, sel, o.key, o.card))


def too_few(rel: Released, sel: Selection) -> str | None:
    """The sentence shown instead of any figure when the selection's calls are hidden."""
    if rel.count(ALL_CALLS, sel) is not None:
        return None
    return (
        f"No figures are shown for {sel.text()}: its count of mental-health calls is "
        f"hidden, because it is {rel.threshold} or fewer or because showing it would let a "
        "hidden count be worked out (with this release or an earlier one). "
        "Choose a wider selection."
    )


def _label(rel: Released, key: str) -> str:
    """An outcome's label as the release names it (its key if the release lacks it)."""
    outcome = rel.outcome(key)
    return str(outcome["label"]) if outcome else key


def _recorded(key: str) -> str:
    """The rate's base in words, from the registry: unknown is not no, for partners too."""
    entry = indicators.REGISTRY.get(key)
    return entry.base if entry is not None else "the outcome recorded"


def rate_figure(rel: Released, sel: Selection, key: str, label: str) -> KeyFigure | None:
    known = {o["key"] for o in rel.meta.get("outcomes", [])} | set(rel.meta.get("flags", {}))
    if key not in known:
        return None
    r = rel.rate(key, sel)
    if r is None:
        return KeyFigure(label, rel.hidden, help=_hidden_help(rel))
    return builders.rate_card(label, r, f"MH calls with {_recorded(key)}", sel.text())


def calls_figure(rel: Released, sel: Selection) -> KeyFigure:
    n = rel.count(ALL_CALLS, sel)
    older = rel.older(ALL_CALLS, sel)
    return KeyFigure(
        "MH calls",
        rel.count_text(n),
        help=f"Distinct mental-health incidents, {sel.text()}"
        + (f"; as of the earlier release with {older}." if older else ".")
        if n is not None
        else _hidden_help(rel),
    )


def repeat_figure(rel: Released, sel: Selection) -> KeyFigure | None:
    persons = rel.cells.get("persons")
    if persons is None or sel.district != ALL_DISTRICTS:
        return None
    period = sel.period if sel.period in persons.axes[1].labels else WHOLE_PERIOD
    repeat = persons.get(category="persons:2+", period=period)
    total = persons.get(category="persons", period=period)
    if repeat is None or not total:
        return KeyFigure("2+ MH contacts", rel.hidden, help=_hidden_help(rel))
    when = "the whole period" if period == WHOLE_PERIOD else period
    return builders.rate_card(
        "2+ MH contacts", Rate(repeat, total), "people with a recorded identifier", when
    )


def _hidden_help(rel: Released) -> str:
    return f"Hidden: {rel.threshold} or fewer, or it would reveal a smaller count."


def _num(value: int | None) -> float:
    return np.nan if value is None else float(value)


def monthly_rates(rel: Released, sel: Selection, keys: list[str]) -> pd.DataFrame:
    """Month, outcome, label, numerator, denominator, rate, low, high; NaN where hidden."""
    rows = []
    for month in rel.months(sel.period):
        for key in keys:
            r = rel.rate(key, sel, month)  # of the calls with the outcome recorded
            rows.append(
                {
                    "month": pd.Timestamp(month + "-01"),
                    "outcome": key,
                    "label": _label(rel, key),
                    "numerator": _num(None if r is None else r.numerator),
                    "denominator": _num(None if r is None else r.denominator),
                }
            )
    frame = pd.DataFrame(rows)
    return _with_rates(frame)


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    k = frame["numerator"].to_numpy(float)
    n = frame["denominator"].to_numpy(float)
    ok = ~np.isnan(k) & ~np.isnan(n) & (n > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["rate"] = np.where(ok, k / n, np.nan)
    low, high = wilson_bounds(np.where(ok, k, 0), np.where(ok, n, 0))
    frame["low"] = np.where(ok, low, np.nan)
    frame["high"] = np.where(ok, high, np.nan)
    return frame


def display(
    rel: Released, frame: pd.DataFrame, counts: list[str], rates: list[str]
) -> pd.DataFrame:
    """The numbers behind a chart as text: hidden counts read as the hidden label."""
    out = frame.copy()
    for c in counts:
        out[c] = [rel.hidden if pd.isna(v) else f"{int(v):,}" for v in frame[c]]
    for c in rates:
        out[c] = ["–" if pd.isna(v) else pct(v) for v in frame[c]]
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m")
    return out.astype("str")


def outcome_trend(rel: Released, sel: Selection, key: str) -> Figure | None:
    """The registry's outcomes for the trend chart `key` that the release holds."""
    keys = [o.key for o in indicators.in_trend(key) if o.partner and rel.outcome(o.key)]
    if not keys:
        return None
    data = monthly_rates(rel, sel, keys)
    shown = data.dropna(subset=["rate"])
    title = "Outcome rates per month"
    if len(shown):
        lead = shown[shown["outcome"] == keys[0]]
        if len(lead):
            last = lead.iloc[-1]
            title = (
                f"{last['label']}: {pct(last['rate'], 0)} of MH calls in "
                f"{last['month']:%B %Y}, {sel.text()}"
            )
    names = ", ".join(_label(rel, k).lower() for k in keys)
    hidden_months = int(data["rate"].isna().sum())
    return builders.outcome_trend(
        key,
        data,
        title,
        "Share of MH calls per month; months whose counts are hidden are left out",
        f"Line chart of monthly rates of {names} among mental-health calls, "
        f"{sel.text()}; {hidden_months} month-outcome points hidden.",
        table=display(rel, data, ["numerator", "denominator"], ["rate", "low", "high"]),
    )


def monthly_calls(rel: Released, sel: Selection) -> Figure:
    months = rel.months(sel.period)
    data = pd.DataFrame(
        {
            "month": [pd.Timestamp(m + "-01") for m in months],
            "calls": [_num(rel.count(ALL_CALLS, sel, m)) for m in months],
        }
    )
    total = rel.count(ALL_CALLS, sel)
    return builders.monthly_calls(
        data,
        f"{rel.count_text(total)} mental-health calls, {sel.text()}",
        f"Distinct incidents per calendar month; months with {rel.threshold} or fewer calls "
        "(or that would reveal one) are left out",
        f"Line chart of the number of mental-health calls per month, {sel.text()}.",
        table=display(rel, data, ["calls"], []),
    )


def scores_figure(rel: Released) -> Figure | None:
    rows = [
        {
            "question": f"{q['number']}. {q['short']}",
            "score": np.nan if q["score"] is None else q["score"],
            "answered": q["answered"],
        }
        for q in rel.meta.get("checklist", [])
    ]
    return builders.self_assessment(pd.DataFrame(rows, columns=["question", "score", "answered"]))


def by_district(rel: Released, sel: Selection) -> Figure | None:
    """Outcome rates per district over the selected period (for all districts only: one
    district's page has nothing to compare)."""
    keys = [o.key for o in indicators.on_page("outcomes") if rel.outcome(o.key)]
    if sel.district != ALL_DISTRICTS or not keys or len(rel.districts()) < 2:
        return None
    rows = []
    for d in rel.districts():
        here = Selection(d, sel.period)
        for k in keys:
            r = rel.rate(k, here)  # of the calls with the outcome recorded
            rows.append(
                {
                    "district": d,
                    "outcome": k,
                    "label": _label(rel, k),
                    "numerator": _num(None if r is None else r.numerator),
                    "denominator": _num(None if r is None else r.denominator),
                }
            )
    data = _with_rates(pd.DataFrame(rows))
    conn = data[(data["outcome"] == keys[0])].dropna(subset=["rate"])
    title = "Outcome rates by district"
    if len(conn) >= 2:
        low = conn.sort_values("rate", kind="stable").iloc[0]
        title = (
            f"{low['district']} has the lowest {low['label'].lower()} rate of the districts "
            f"shown ({pct(low['rate'], 0)})"
        )
    return builders.by_district(
        data,
        title,
        f"Share of MH calls with each outcome, {sel.text()}; hidden rates left out",
        table=display(rel, data, ["numerator", "denominator"], ["rate", "low", "high"]),
    )


def funnel(rel: Released, sel: Selection) -> Figure | None:
    stages = [
        k
        for k in ("cit_requested", "cit_dispatched", "cit_arrived")
        if k in rel.meta.get("flags", {})
    ]
    if not stages:
        return None
    names = rel.meta["flags"]
    data = pd.DataFrame(
        {
            "stage": [names[k] for k in stages],
            "calls": [_num(rel.count(f"{k}:yes", sel)) for k in stages],
        }
    )
    shown = data.dropna()
    title = "MH calls at each CIT step"
    if len(shown):
        top = shown.iloc[0]
        title = f"{int(top['calls']):,} MH calls had {top['stage'].lower()}, {sel.text()}"
    return builders.cit_funnel(
        data,
        title,
        "Bar chart of MH calls with a CIT officer requested, dispatched and arrived.",
        table=display(rel, data, ["calls"], []),
    )


def dispositions(rel: Released, sel: Selection) -> Figure | None:
    groups = rel.meta.get("dispositions") or {}
    if not groups:
        return None
    data = pd.DataFrame(
        {
            "label": list(groups.values()),
            "calls": [_num(rel.count(f"disposition:{g}", sel)) for g in groups],
        }
    )
    total = rel.count(ALL_CALLS, sel)
    data["share"] = data["calls"] / total if total else np.nan
    shown = data.dropna(subset=["calls"]).sort_values("calls", ascending=False, kind="stable")
    title = "MH calls by disposition group"
    if len(shown) and total:
        top = shown.iloc[0]
        title = f"Most MH calls end as {top['label'].lower()} ({pct(top['share'], 0)})"
    return builders.dispositions(
        data,
        title,
        f"Most serious disposition of each MH incident, {sel.text()}",
        table=display(rel, data, ["calls"], ["share"]),
    )


def coverage_figure(rel: Released, role: str, label: str) -> KeyFigure | None:
    if "staff" not in rel.cells:
        return None
    r = staff_rate(rel, role)
    if r is None:
        return KeyFigure(label, rel.hidden, help=_hidden_help(rel))
    return builders.rate_card(label, r, f"active staff as of {rel.meta.get('staff_as_of')}")


def coverage_chart(rel: Released) -> Figure | None:
    if "staff" not in rel.cells:
        return None
    roles = ["Patrol", "Supervisors", "Command staff"]
    rows = []
    for role in roles:
        staff = rel.cells["staff"]
        rows.append(
            {
                "group": role,
                "numerator": _num(staff.get(category="cit_40:yes", role=role)),
                "denominator": _num(staff.get(category="staff", role=role)),
            }
        )
    data = _with_rates(pd.DataFrame(rows))
    shown = data.dropna(subset=["rate"])
    title = "CIT coverage of patrol, supervisors and command staff"
    if len(shown):
        low = shown.sort_values("rate", kind="stable").iloc[0]
        title = f"{low['group']} have the lowest CIT coverage shown: {pct(low['rate'], 0)}"
    return builders.coverage(
        "leadership_coverage",
        data,
        "group",
        title,
        f"Active staff with the 40-hour course, as of {rel.meta.get('staff_as_of')}",
        what=builders.LEADERSHIP_GROUPS,
        target_label="20% of patrol (guidance)",
        sort=None,
        table=display(rel, data, ["numerator", "denominator"], ["rate", "low", "high"]),
    )


def in_service_figure(rel: Released) -> KeyFigure | None:
    table = rel.cells.get("in_service")
    if table is None:
        return None
    n = table.get(category="overdue:yes")
    total = table.get(category="cit_trained")
    if n is None or not total:
        return KeyFigure("Overdue for in-service", rel.hidden, help=_hidden_help(rel))
    return KeyFigure(
        "Overdue for in-service",
        f"{n:,}",
        help=f"{n:,} of {total:,} CIT-trained staff ({pct(n / total)}) had no CIT course in "
        f"the 24 months before {rel.meta.get('staff_as_of')}.",
    )


def p_chart(rel: Released, sel: Selection, key: str) -> Figure | None:
    """The staff pages' control chart (`builders.control_chart`) of the months whose
    counts are shown: its centre line and limits come from the shown baseline months
    alone; a hidden month stays in the table with no limits and is never judged."""
    if not rel.outcome(key):
        return None
    start = rel.meta.get("programme_start")
    counts = ["numerator", "denominator"]
    rates = ["rate", "low", "high", "centre", "lcl", "ucl"]
    return builders.control_chart(
        monthly_rates(rel, sel, [key]),
        _label(rel, key),
        pd.Timestamp(start) if start else None,
        note="; months whose counts are hidden are left out",
        # a hidden month's verdict reads as hidden too: it was not judged; sigma-Z is
        # said in the caption, in words
        display=lambda data: display(
            rel,
            data.drop(columns="sigma_z", errors="ignore").fillna(
                {"signal": rel.hidden, "rules": "", "phase": ""}
            ),
            counts,
            rates,
        ),
    )


def targets_table(rel: Released, sel: Selection) -> pd.DataFrame | None:
    targets = rel.meta.get("targets") or {}
    rows = [
        builders.target_row(
            o["label"], target, rel.rate(key, sel), o["higher_is_better"], sel.text(), rel.hidden
        )
        for key, target in sorted(targets.items())
        if (o := rel.outcome(key))
    ]
    return pd.DataFrame(rows).astype("str") if rows else None


# --- what the page says about the data ---------------------------------------------------


def _month_span(months: list[str]) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = pd.Period(months[0], "M")
    last = pd.Period(months[-1], "M")
    return first.start_time, last.end_time


def where_text(sel: Selection) -> str:
    return "all districts" if sel.district == ALL_DISTRICTS else sel.district


def span_words(rel: Released, sel: Selection) -> str:
    """'January 2024 to December 2025': the months of the selection ("" without calls)."""
    months = rel.months(sel.period) if rel.has_calls else []
    return numbers.span_words(*_month_span(months)) if months else ""


def period_words(release: Release | Released, sel: Selection) -> str:
    """'January 2024 to December 2025, all districts': the months of the selection."""
    rel = release if isinstance(release, Released) else Released(release)
    span = span_words(rel, sel)
    return f"{span}, {where_text(sel)}" if span else "No calls are published for partners"


def measures(rel: Released) -> tuple[list[str], list[str]]:
    """The measures partners can see in this release and those this agency's data cannot
    show, by the registry's names (an outcome is released only when the data have it)."""
    released = {o["key"] for o in rel.meta.get("outcomes", [])}
    shown = [o.label for o in indicators.for_partners() if o.key in released]
    missing = [o.label for o in indicators.for_partners() if o.key not in released]
    extra = [
        ("Mental-health calls per month", rel.has_calls),
        ("Repeat contacts", "persons" in rel.cells),
        ("CIT steps (requested, dispatched, arrived)", bool(rel.meta.get("flags"))),
        ("How calls ended (disposition groups)", bool(rel.meta.get("dispositions"))),
        ("CIT training of staff", "staff" in rel.cells),
    ]
    for name, has in extra:
        (shown if has else missing).append(name)
    return shown, missing


def data_end_note(rel: Released, sel: Selection) -> str | None:
    """Where the published data end; a last month with under half the calls of the
    median shown month is said to be probably a part month (shown counts only)."""
    months = rel.months(WHOLE_PERIOD) if rel.has_calls else []  # the end, whatever the year
    if not months:
        return None
    end = rel.meta.get("data_end")
    last = pd.Period(months[-1], "M")
    if end:
        text = f"The data end on {numbers.span_words(end, end)}."
        if pd.Timestamp(end).normalize() < last.end_time.normalize():
            text += f" {last:%B %Y} is a part month: its counts cover only some of its days."
        return text
    text = f"The published data end with {last:%B %Y}."
    counts = [rel.count(ALL_CALLS, sel, m) for m in months[:-1]]
    shown = [n for n in counts if n is not None]
    typical = float(np.median(shown)) if len(shown) >= 3 else None
    n = rel.count(ALL_CALLS, sel, months[-1])
    if n is not None and typical is not None and n < 0.5 * typical:
        text += (
            f" It has {n:,} MH calls against {int(typical):,} in a typical month "
            "shown: probably a part month, so its figures are lower than a whole month's."
        )
    return text


def summary(view: View, rel: Released, sel: Selection) -> str:
    """A short plain-language summary of an overview, written from its shown figures
    alone: a hidden figure is named as hidden, never described."""
    if not view.figures:
        return ""
    by_label = {f.label: f.value for f in view.figures}
    calls = by_label.get("MH calls")
    parts = []
    if calls and calls != rel.hidden:
        parts.append(
            f"In {where_text(sel)}, from {span_words(rel, sel)}, the police recorded {calls} "
            "mental-health calls."
        )
    rates = [
        f"{o.label.lower()} {by_label[o.card]}"
        for o in indicators.for_partners()
        if by_label.get(o.card) not in (None, rel.hidden, builders.TOO_FEW_CARD)
    ]
    if rates:
        parts.append("Share of those calls with each outcome: " + ", ".join(rates) + ".")
    repeat = by_label.get("2+ MH contacts")
    if repeat and repeat not in (rel.hidden, builders.TOO_FEW_CARD):
        parts.append(
            f"{repeat} of people with a recorded identifier had two or more mental-health contacts."
        )
    names = {o.card: o.label.lower() for o in indicators.for_partners()}
    hidden = [names.get(f.label, f.label) for f in view.figures if f.value == rel.hidden]
    if hidden:
        parts.append(
            f"Hidden because the counts are too small to show safely: {', '.join(hidden)}."
        )
    return " ".join(parts)


# --- pages -----------------------------------------------------------------------------


def _calls_view(rel: Released, sel: Selection) -> tuple[View, bool]:
    """A view with the notes every call-based page starts with; False when nothing about
    calls may be shown for the selection."""
    view = View()
    if not rel.has_calls:
        view.notes.append("No calls are published for partners.")
        return view, False
    note = too_few(rel, sel)
    if note:
        view.notes.append(note)
        return view, False
    return view, True


def overview(rel: Released, sel: Selection) -> View:
    view, ok = _calls_view(rel, sel)
    if ok:
        view.add(calls_figure(rel, sel))
        add_cards(rel, sel, view, "overview")
        view.add(repeat_figure(rel, sel))
        view.add(monthly_calls(rel, sel))
        view.add(outcome_trend(rel, sel, "overview_outcomes"))
    view.add(scores_figure(rel))
    return view


def outcomes(rel: Released, sel: Selection) -> View:
    view, ok = _calls_view(rel, sel)
    if not ok:
        return view
    add_cards(rel, sel, view, "outcomes")
    view.add(repeat_figure(rel, sel))
    view.add(outcome_trend(rel, sel, "outcome_trend"))
    view.add(by_district(rel, sel))
    return view


def policies(rel: Released, sel: Selection) -> View:
    view, ok = _calls_view(rel, sel)
    if not ok:
        return view
    add_cards(rel, sel, view, "policies")
    view.add(rate_figure(rel, sel, "mh_at_dispatch", "Recognised as MH at dispatch"))
    view.add(funnel(rel, sel))
    return view


def training(rel: Released, sel: Selection) -> View:
    view = View()
    view.add(coverage_figure(rel, "Patrol", "Patrol with 40-hour CIT"))
    view.add(in_service_figure(rel))
    if rel.has_calls and too_few(rel, sel) is None:
        add_cards(rel, sel, view, "training")
    view.add(coverage_chart(rel))
    return view


def leadership(rel: Released, sel: Selection) -> View:
    view = View()
    view.add(coverage_figure(rel, "Supervisors", "Supervisors with 40-hour CIT"))
    view.add(coverage_figure(rel, "Command staff", "Command staff with 40-hour CIT"))
    view.add(coverage_chart(rel))
    if not view.figures:
        view.notes.append("No staff figures are published for partners.")
    return view


def services(rel: Released, sel: Selection) -> View:
    view, ok = _calls_view(rel, sel)
    if ok:
        add_cards(rel, sel, view, "services")
        if rel.outcome("arrest"):
            view.add(
                KeyFigure(
                    "Ended in arrest",
                    rel.count_text(rel.count("arrest:yes", sel)),
                    help=f"MH incidents with an arrest, {sel.text()}.",
                )
            )
        view.add(dispositions(rel, sel))
    if "crisis_now" in rel.tables:
        elements = rel.tables["crisis_now"]
        view.add(
            KeyFigure(
                "Crisis Now core elements in place",
                f"{int((elements['status'] == 'Yes').sum())} of {len(elements)}",
                help="A 24/7 crisis line, 24/7 mobile crisis, and crisis stabilisation "
                "accepting police drop-off.",
            )
        )
        view.tables["Crisis Now core elements"] = elements
        view.tables["Services inventory"] = rel.tables["services"]
    return view


def review(rel: Released, sel: Selection, outcome_key: str | None = None) -> View:
    """`outcome_key`: the control chart's outcome; the first released one when it is None
    or not released (as on the internal page, `metrics.control_outcome`)."""
    view, ok = _calls_view(rel, sel)
    if not ok:
        return view
    targets = targets_table(rel, sel)
    if targets is not None:
        view.tables["Targets and actuals"] = targets
    released = [o["key"] for o in rel.meta.get("outcomes", [])]
    key = outcome_key if outcome_key in released else next(iter(released), None)
    if key is not None:
        view.add(p_chart(rel, sel, key))
    return view


PAGES = {
    "overview": overview,
    "leadership": leadership,
    "policies": policies,
    "training": training,
    "services": services,
    "outcomes": outcomes,
    "review": review,
}


def page_view(release: Release, page: str, sel: Selection, **options) -> View:
    """The partner view of one page: the entry point pages and the CLI share."""
    return PAGES[page](Released(release), sel, **options)
