"""Calendar periods: what months the data cover, which of them are partial, and the windows
key figures describe and compare.

Rules (docs/indicators.md, periods):

- Windows are whole calendar months, never a count of days: "the last 12 months" are the
  12 complete calendar months up to the last complete month in the data, and the window
  before them is the 12 calendar months just before (a leap year changes nothing).
- A first (last) month is partial when the data begin after its first day (end before its
  last day) by at least the longest gap between two days with calls elsewhere in the data: 1
  day for daily data, so a month that stops on the 12th is partial, while sparse data whose
  last call fell on the 27th is not. Dates known only to the month cannot show that, so there
  a first or last month is partial when its calls are fewer than half the median of the other
  months (Toronto's June 2015: 743 calls against 1,447-2,050 in every other month), or when
  the analyst's data end date (a dataset setting) falls before its last day; the same date
  marks a partial last month of daily data. Partial months are flagged and left out of
  trends, the control chart and the default windows.
- A comparison is made only when the earlier window lies wholly inside the data; otherwise
  the figure says what is missing instead of showing a change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)
TICK = pd.Timedelta(microseconds=1)
DEFAULT_MONTHS = 12


def month_start(when: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(when.year, when.month, 1)


def month_end(when: pd.Timestamp) -> pd.Timestamp:
    """The last instant of the month of `when`."""
    return month_start(when) + pd.DateOffset(months=1) - TICK


def span_text(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """'Jul 2014-Jun 2015' (with an en dash) for whole months, else '5 Mar 2014-12 Jun 2015'."""
    if start == month_start(start) and end == month_end(end):
        if (start.year, start.month) == (end.year, end.month):
            return f"{start:%b %Y}"
        return f"{start:%b %Y}–{end:%b %Y}"
    return f"{start:%-d %b %Y}–{end:%-d %b %Y}"


def date_precision(reports) -> str:
    """How precisely the calls' dates are known ("day", "month" or "year"), from the load
    reports of a dataset."""
    return next(
        (r.date_precision for r in reports if r.kind == "calls" and r.date_precision), "day"
    )


def known_end(last: pd.Timestamp, precision: str | None = "day") -> pd.Timestamp:
    """The last day a latest date stands for: itself, or the end of its month or year when
    dates are known only to the month or year (June 2015 ends on 30 Jun 2015)."""
    if precision == "month":
        return last.normalize() + pd.offsets.MonthEnd(0)
    if precision == "year":
        return last.normalize() + pd.offsets.YearEnd(0)
    return last


@dataclass(frozen=True)
class Coverage:
    """The days the data cover, and the whole months among them."""

    first: pd.Timestamp  # first day with a call (midnight)
    last: pd.Timestamp  # last day with a call (midnight)
    first_partial: bool
    last_partial: bool
    first_note: str | None = None  # why the first month is partial, when not by its days
    last_note: str | None = None

    @property
    def start(self) -> pd.Timestamp:
        """First instant of the first complete month."""
        m = month_start(self.first)
        return m + pd.DateOffset(months=1) if self.first_partial else m

    @property
    def end(self) -> pd.Timestamp:
        """Last instant of the last complete month."""
        m = month_end(self.last)
        return month_end(month_start(self.last) - DAY) if self.last_partial else m

    @property
    def has_complete_months(self) -> bool:
        return self.start <= self.end

    def partial_months(self) -> list[pd.Timestamp]:
        out = [month_start(self.first)] if self.first_partial else []
        if self.last_partial and month_start(self.last) not in out:
            out.append(month_start(self.last))
        return out

    def partial_note(self) -> str | None:
        """'Partial months left out of trends: Mar 2014 (data from 5 Mar), Jun 2015 (data to
        12 Jun).'"""
        parts = []
        if self.first_partial:
            why = self.first_note or f"data from {self.first:%-d %b}"
            parts.append(f"{self.first:%b %Y} ({why})")
        if self.last_partial and not (
            self.first_partial and month_start(self.last) == month_start(self.first)
        ):
            why = self.last_note or f"data to {self.last:%-d %b}"
            parts.append(f"{self.last:%b %Y} ({why})")
        if not parts:
            return None
        return "Partial months left out of trends: " + ", ".join(parts) + "."

    def contains(self, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """The data cover every day of [start, end]."""
        return start >= self.first and end < self.last + DAY


LOW_VOLUME = 0.5  # a month-dated edge month with under half the median month's calls
MIN_MONTHS_TO_COMPARE = 4  # months needed before volume can call an edge month partial


def coverage(
    received: pd.Series, precision: str | None = "day", data_end: pd.Timestamp | None = None
) -> Coverage | None:
    """Coverage of a column of received date-times; None when it is empty. `data_end`: the
    last day the export covers, when the analyst knows it."""
    when = received.dropna()
    if when.empty:
        return None
    first, last = when.min().normalize(), when.max().normalize()
    if precision == "year":  # the day and month are unknown: no month can be called partial
        return Coverage(
            month_start(first), (last + pd.offsets.YearEnd(0)).normalize(), False, False
        )
    if precision == "month":
        cov = _by_volume(when, month_start(first), (last + pd.offsets.MonthEnd(0)).normalize())
    else:
        gap = longest_gap(when)
        before = (first - month_start(first)).days  # days of the first month without data
        after = (month_end(last).normalize() - last).days  # days of the last month without data
        cov = Coverage(first, last, before >= gap, after >= gap)
    return _with_data_end(cov, data_end)


def _by_volume(when: pd.Series, first: pd.Timestamp, last: pd.Timestamp) -> Coverage:
    """Month-dated calls: an edge month is partial when it has under LOW_VOLUME of the
    median of the other months' calls."""
    counts = when.dt.to_period("M").value_counts().sort_index()
    if len(counts) < MIN_MONTHS_TO_COMPARE:
        return Coverage(first, last, False, False)
    notes = []
    for edge, others in ((counts.iloc[0], counts.iloc[1:]), (counts.iloc[-1], counts.iloc[:-1])):
        typical = float(others.median())
        low = edge < LOW_VOLUME * typical
        notes.append(
            f"{edge:,} calls against {others.min():,}–{others.max():,} in the other months"
            if low
            else None
        )
    return Coverage(first, last, notes[0] is not None, notes[1] is not None, *notes)


def _with_data_end(cov: Coverage, data_end: pd.Timestamp | None) -> Coverage:
    """The last month is partial when the analyst's data end falls before its last day."""
    if data_end is None:
        return cov
    end = pd.Timestamp(data_end).normalize()
    if month_start(end) != month_start(cov.last) or end >= month_end(cov.last).normalize():
        return cov
    return replace(cov, last_partial=True, last_note=f"data end set to {end:%-d %b %Y}")


def longest_gap(when: pd.Series) -> int:
    """The longest run of days without a call between two days with calls, plus one (1 for
    data on every day). Sparse data (a call every few days) must not make a whole month look
    partial just because its last call fell before the 31st."""
    days = when.to_numpy().astype("datetime64[D]").astype(np.int64)
    seen = np.flatnonzero(np.bincount(days - days.min()))  # O(n): no sort of a million dates
    if len(seen) < 2:
        return 1
    return int(np.diff(seen).max())


@dataclass(frozen=True)
class Windows:
    """The period key figures describe, and the one they are compared with (if any)."""

    start: pd.Timestamp
    end: pd.Timestamp
    before: tuple[pd.Timestamp, pd.Timestamp] | None  # None: no comparison
    missing: str | None = None  # why there is no comparison

    @property
    def text(self) -> str:
        return span_text(self.start, self.end)

    @property
    def before_text(self) -> str | None:
        return None if self.before is None else span_text(*self.before)


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> int | None:
    """Whole calendar months in [start, end], or None when they are not whole months."""
    if start != month_start(start) or end != month_end(end):
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def windows(
    cov: Coverage | None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    months: int = DEFAULT_MONTHS,
) -> Windows | None:
    """The chosen period ([start, end], days inclusive), or by default the last `months`
    complete calendar months; with the window of the same length just before it when the data
    cover that one wholly."""
    if cov is None:
        return None
    if start is None and end is None:
        if not cov.has_complete_months:
            return Windows(cov.first, cov.last + DAY - TICK, None, "no complete month in the data")
        end = cov.end
        start = max(month_start(end) - pd.DateOffset(months=months - 1), cov.start)
    else:
        start = start if start is not None else cov.first
        end = (end if end is not None else cov.last).normalize() + DAY - TICK
    n = _months_between(start, end)
    if n is not None:
        before = (start - pd.DateOffset(months=n), start - TICK)
    else:  # not whole months: the same number of days just before
        length = end - start + TICK
        before = (start - length, start - TICK)
    if not cov.contains(*before):
        need = span_text(*before)
        missing = f"no comparison: the data do not cover the {need} before"
        if cov.first > before[0] and cov.first <= before[1]:
            missing += f" (they begin on {cov.first:%-d %b %Y})"
        return Windows(start, end, None, missing)
    return Windows(start, end, before)
