"""What every page view is made of: the `Scope` it is computed for (dataset, filters,
settings), key figures with their change against the previous period, and figures.
These are the staff's pages; partners' pages are drawn from the partner release alone
(`present.partner`), never from a dataset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import altair as alt
import pandas as pd

from pmhc.analysis import filters as flt
from pmhc.analysis import indicators, metrics, periods, workforce
from pmhc.analysis.metrics import Outcome
from pmhc.present.builders import DELTA_COLOUR, RATE_TOOLTIP, KeyFigure, pct, rate_card
from pmhc.present.charts import Figure
from pmhc.storage.dataset import Dataset

# The card, its colours and formats are the builders' (shared with the partner pages);
# the views import them from here with the rest of what a view is made of.
__all__ = ["DELTA_COLOUR", "RATE_TOOLTIP", "KeyFigure", "Scope", "View", "figure", "pct"]

END_OF_DAY = pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


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


# --- key figures -----------------------------------------------------------------------


def rate_figure(scope: Scope, label: str, outcome: Outcome) -> KeyFigure | None:
    """An outcome rate over the key-figure window, against the window before when the data
    cover it."""
    if scope.windows is None:
        return None
    current, previous, w = scope.windows
    return rate_card(
        label,
        metrics.outcome_rate(current, outcome),
        f"MH calls with {outcome.base}",
        w.text,
        None if previous is None else metrics.outcome_rate(previous, outcome),
        outcome.higher_is_better,
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
        f"{now:,}",
        delta,
        "off",
        f"Distinct mental-health incidents, {w.text}.{against}",
        f"{w.text} · distinct incidents",
    )


# --- figures ---------------------------------------------------------------------------


def figure(
    key: str,
    data: pd.DataFrame,
    title: str,
    caption: str,
    build: Callable[[pd.DataFrame, str], alt.TopLevelMixin],
) -> Figure:
    """A chart drawn from `data` on a staff page alone (the figures partners see too are
    built by `present.builders`)."""
    return Figure(key, lambda: build(data, title), data, title, caption)
