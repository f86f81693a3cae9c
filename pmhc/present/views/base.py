"""What every page view is made of: the `Scope` it is computed for (dataset, filters,
settings), key figures with their change against the previous period, and figures.
These are the staff's pages; partners' pages are drawn from the partner release alone
(`present.partner`), never from a dataset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import cast

import altair as alt
import pandas as pd

from pmhc.analysis import filters as flt
from pmhc.analysis import indicators, metrics, periods, workforce
from pmhc.analysis.metrics import Outcome
from pmhc.analysis.release import DEFAULT_THRESHOLD
from pmhc.analysis.stats import MIN_COUNT, MIN_EXPECTED, Rate, compare
from pmhc.present import numbers
from pmhc.present.charts import Figure
from pmhc.storage.dataset import Dataset

DELTA_COLOUR = {True: "normal", False: "inverse", None: "off"}
RATE_TOOLTIP = [
    alt.Tooltip("label:N", title="Outcome"),
    alt.Tooltip("rate:Q", title="Rate", format=".1%"),
    alt.Tooltip("numerator:Q", title="Calls with outcome", format=","),
    alt.Tooltip("denominator:Q", title="MH calls with the outcome recorded", format=","),
]
END_OF_DAY = pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


@dataclass
class KeyFigure:
    label: str
    value: str
    delta: str | None = None
    delta_color: str = "off"  # "normal": up is good; "inverse": down is good
    help: str | None = None
    caption: str | None = None  # period and base, shown on the card itself


@dataclass
class View:
    figures: list[KeyFigure] = field(default_factory=list)
    charts: list[Figure] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what a column would unlock
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def chart(self, key: str) -> Figure | None:
        return next((c for c in self.charts if c.key == key), None)

    def add(self, item: KeyFigure | Figure | None) -> None:
        if isinstance(item, KeyFigure):
            self.figures.append(item)
        elif isinstance(item, Figure):
            self.charts.append(item)

    def needs(self, what: str, needs: str) -> None:
        self.missing.append(f"**{what}** needs {needs}.")


@dataclass
class Scope:
    ds: Dataset
    filters: flt.Filters = field(default_factory=flt.Filters)
    programme_start: pd.Timestamp | None = None
    # Who the pack was asked for and the release's threshold: kept for the callers that
    # pass them (the pack); the views draw the same figures for every staff audience.
    audience: str = "internal"
    threshold: int = DEFAULT_THRESHOLD
    answers: dict = field(default_factory=dict)
    holds_as_connection: bool = False  # a hold ending in a transport to treatment connects
    handoff_needs_contact: bool = True  # a crisis unit's hand-off connects only with contact
    shelter_as_treatment: bool = False  # a shelter transport connects
    data_end: pd.Timestamp | None = None  # the last day the export covers (analyst's)
    targets: dict = field(default_factory=dict)  # outcome key -> target rate (review page)
    # (date, label) of dated events (a CIT class graduated, mobile crisis launched), drawn
    # on every time chart and offered as before/after splits on the Review page.
    milestones: tuple[tuple[pd.Timestamp, str], ...] = ()

    def outcome(self, key: str) -> Outcome:
        """The outcome of a key under this scope's definition settings."""
        return metrics.outcome_for(
            key, self.holds_as_connection, self.handoff_needs_contact, self.shelter_as_treatment
        )

    @cached_property
    def base(self) -> pd.DataFrame | None:
        """MH incidents with every filter but the period (for period comparisons)."""
        if self.ds.mh is None:
            return None
        return flt.apply(self.ds.mh, replace(self.filters, start=None, end=None))

    @cached_property
    def mh(self) -> pd.DataFrame | None:
        """MH incidents under all the filters."""
        if self.base is None:
            return None
        return flt.apply(self.base, flt.Filters(start=self.filters.start, end=self.filters.end))

    @cached_property
    def precision(self) -> str:
        """How precisely the calls' dates are known: "day", "month" or "year"."""
        return periods.date_precision(self.ds.reports)

    @cached_property
    def coverage(self) -> periods.Coverage | None:
        """The days and complete months of all calls in the dataset (before any filter)."""
        if self.ds.calls is None:
            return None
        return periods.coverage(self.ds.calls["received_at"], self.precision, self.data_end)

    @cached_property
    def window(self) -> periods.Windows | None:
        """The period key figures describe: the selected one, or else the last 12 complete
        calendar months; with the window just before when the data cover it."""
        base = self.base
        if base is None or base.empty:
            return None
        f = self.filters
        return periods.windows(
            self.coverage,
            pd.Timestamp(f.start) if f.start else None,
            pd.Timestamp(f.end) if f.end else None,
        )

    @cached_property
    def windows(self) -> tuple[pd.DataFrame, pd.DataFrame | None, periods.Windows] | None:
        """(current, previous or None, windows): MH incidents in the window and in the one
        before it (None when the data do not cover it)."""
        w = self.window
        if w is None:
            return None
        previous = None if w.before is None else metrics.in_window(self.base, *w.before)
        return metrics.in_window(self.base, w.start, w.end), previous, w

    @cached_property
    def period_text(self) -> str:
        """The period of `mh` (the selected one, else all the data), for card captions."""
        cov = self.coverage
        if cov is None:
            return ""
        f = self.filters
        start = pd.Timestamp(f.start) if f.start else cov.first
        end = pd.Timestamp(f.end) if f.end else cov.last
        return periods.span_text(start, end + periods.DAY - periods.TICK)

    @cached_property
    def cards(self) -> tuple[pd.DataFrame, str]:
        """The MH incidents and period of a page's key cards: the key-figure window, so every
        card of a row describes one period (issue 20); all of `mh` without a window."""
        if self.windows is not None:
            return self.windows[0], self.windows[2].text
        return self.mh, self.period_text

    @cached_property
    def trend_mh(self) -> pd.DataFrame | None:
        """MH incidents for trends (dates and yes/no columns only: copying the text columns
        of a million incidents costs more than the trend): partial months left out."""
        mh, cov = self.mh, self.coverage
        if mh is None or cov is None or not cov.partial_months():
            return mh
        # the disposition group too: a connection under non-default settings reads it
        kept = ("received_at", "month", "disposition_group")
        keep = [c for c in mh.columns if c in kept or mh[c].dtype.kind == "b"]
        keep += [c for c in mh.columns if str(mh[c].dtype) == "boolean" and c not in keep]
        inside = ((mh["received_at"] >= cov.start) & (mh["received_at"] <= cov.end)).to_numpy()
        trend = mh.loc[inside, keep]
        # An outcome the dataset does not carry ready is computed by its registry function
        # from columns not kept above: its flag goes with the trend frame.
        for o in indicators.outcomes():
            if o.column not in trend and (flag := o.flag(mh)) is not None:
                trend[o.column] = flag[inside].to_numpy()
        return trend

    @cached_property
    def as_of(self) -> pd.Timestamp:
        if self.filters.end:
            return pd.Timestamp(self.filters.end)
        return workforce.reference_date(self.ds.training, self.ds.calls)

    def staff_as_of(self, as_of: pd.Timestamp) -> pd.DataFrame | None:
        """Active roster with CIT status on a date, filtered by district and shift."""
        if self.ds.roster is None or self.ds.training is None:
            return None
        staff = workforce.with_certification(self.ds.roster, self.ds.training, as_of)
        for key in ("district", "shift"):
            chosen = getattr(self.filters, key)
            if chosen and key in staff:
                staff = staff[staff[key].isin(chosen)]
        return staff

    @cached_property
    def staff(self) -> pd.DataFrame | None:
        return self.staff_as_of(self.as_of)

    @cached_property
    def staff_a_year_before(self) -> pd.DataFrame | None:
        """Today's roster with CIT status 12 months earlier; who of it was in post then is
        `workforce.in_post`'s to say (the coverage change)."""
        return self.staff_as_of(self.as_of - pd.DateOffset(months=12))


# --- formatting ------------------------------------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else numbers.pct(float(value), digits)


def count_text(scope: Scope, n: int) -> str:
    return f"{n:,}"


# --- key figures -----------------------------------------------------------------------


def rate_change_figure(
    scope: Scope,
    label: str,
    now: Rate | None,
    before: Rate | None,
    higher_is_better: bool | None,
    what: str,
    period: str = "",
    missing: str | None = None,
) -> KeyFigure | None:
    """A rate with its change against an earlier one, interval and verdict in the help;
    the card's caption names the period and the base ("of 812 MH calls with a recorded
    disposition")."""
    if now is None:
        return None
    caption = (f"{period} · " if period else "") + f"of {count_text(scope, now.denominator)} {what}"
    if not now.judgeable:
        counted = f"{now.numerator:,} of {now.denominator:,}"
        few = (
            f"{counted} {what}: a rate is judged from at least {MIN_COUNT} calls, "
            f"{MIN_EXPECTED} or more with the outcome and {MIN_EXPECTED} or more without."
        )
        return KeyFigure(label, "too few to judge", help=few, caption=caption)
    lo, hi = cast(tuple[float, float], now.interval)  # judgeable: never None
    help_text = (
        f"{now.numerator:,} of {now.denominator:,} {what}"
        + (f", {period}" if period else "")
        + f"; 95% interval {pct(lo)}–{pct(hi)}."
    )
    change = compare(before, now, higher_is_better) if before else None
    if change is None:
        if missing:
            help_text += f" {missing[0].upper()}{missing[1:]}."
        return KeyFigure(label, pct(now.value), help=help_text, caption=caption)
    low, high = change.interval
    return KeyFigure(
        label,
        pct(now.value),
        # Rounded first: a change of -0.04 points reads +0.0, never "-0.0 pts".
        f"{round(100 * change.difference, 1) + 0.0:+.1f} pts",
        DELTA_COLOUR[higher_is_better],
        f"{help_text} Change {100 * change.difference:+.1f} points (95% interval "
        f"{100 * low:+.1f} to {100 * high:+.1f}). {change.verdict}",
        caption,
    )


def rate_figure(scope: Scope, label: str, outcome: Outcome) -> KeyFigure | None:
    """An outcome rate over the key-figure window, against the window before when the data
    cover it."""
    if scope.windows is None:
        return None
    current, previous, w = scope.windows
    return rate_change_figure(
        scope,
        label,
        metrics.outcome_rate(current, outcome),
        None if previous is None else metrics.outcome_rate(previous, outcome),
        outcome.higher_is_better,
        f"MH calls with {outcome.base}",
        w.text,
        w.missing,
    )


def count_figure(scope: Scope, label: str) -> KeyFigure | None:
    if scope.windows is None:
        return None
    current, previous, w = scope.windows
    now = len(current)
    before = None if previous is None else len(previous)
    delta = None
    if before:
        delta = f"{100 * (now - before) / before:+.1f}%"
    against = (
        f" Against {before:,} in {w.before_text}."
        if before is not None and delta
        else (f" {w.missing[0].upper()}{w.missing[1:]}." if w.missing else "")
    )
    return KeyFigure(
        label,
        count_text(scope, now),
        delta,
        "off",
        f"Distinct mental-health incidents, {w.text}.{against}",
        f"{w.text} · distinct incidents",
    )


# --- figures ---------------------------------------------------------------------------


def figure(
    scope: Scope,
    key: str,
    data: pd.DataFrame,
    counts: list[str],
    title: str,
    caption: str,
    build: Callable[[pd.DataFrame, str], alt.TopLevelMixin],
) -> Figure:
    """A chart drawn from `data` (staff only: partners' pages are drawn from the release,
    `present.partner`). `counts` names the count columns; the signature is the one the
    pages' views share."""
    return Figure(key, lambda: build(data, title), data, title, caption)
