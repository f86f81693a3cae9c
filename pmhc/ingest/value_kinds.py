"""Whether a column's values look like what a field holds (`schema.Field.value_kind`).

The mapper reads values as well as names: a column of Y/N is never an incident number or
a latitude. Checks run on a sample (the first rows under the header, or a few hundred
values spread over a loaded column), never on every row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from pmhc.ingest import values

SAMPLE_SIZE = 300  # non-blank values per column
FIT_SHARE = 0.5  # a column fits a kind unless more than half of its sampled values fail
EARLIEST_YEAR, LATEST_YEAR = 1960, 2100  # a "date" outside these is a number, not a date
# Whole values that only ever mean yes or no: an identifier or a category is never one.
YES, NO = {"y", "yes", "true", "t", "x"}, {"n", "no", "false", "f"}
YES_NO = YES | NO

_STAMP = r"^\s*\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}"

DESCRIPTIONS = {
    "flag": "yes/no values",
    "id": "identifiers",
    "date": "dates",
    "datetime": "dates or times",
    "time": "times of day",
    "latitude": "latitudes (numbers from -90 to 90)",
    "longitude": "longitudes (numbers from -180 to 180)",
    "number": "numbers",
    "category": "names or codes",
    "year": "years",
    "month": "months",
    "day": "days of the month",
    "hour": "hours of the day",
    "weekday": "days of the week",
}


def _yes_no(text: pd.Series) -> pd.Series:
    return text.str.strip().str.casefold().isin(YES_NO)


def _categories(text: pd.Series) -> pd.Series:
    """Names or codes: not times, and not a column of yes words, or of yes and no (a
    column of 'N' alone may be North)."""
    folded = text.str.strip().str.casefold()
    flags = bool(folded.isin(YES_NO).all() and folded.isin(YES).any())
    return ~values.clock_only(text) & ~text.str.match(_STAMP) & (not flags)


def _numbers(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.replace(r"[,\s$]", "", regex=True), errors="coerce")


def _dates(text: pd.Series) -> pd.Series:
    when, _ = values.parse_datetime(text, "")
    return when.dt.year.between(EARLIEST_YEAR, LATEST_YEAR).fillna(False).astype(bool)


def _times(text: pd.Series) -> pd.Series:
    packed = text.str.fullmatch(r"\s*\d{3,4}\s*") & values.parse_time_text(text).notna()
    return values.clock_only(text) | packed.fillna(False).astype(bool) | text.str.match(_STAMP)


def _part(part: str) -> Callable[[pd.Series], pd.Series]:
    return lambda text: values.parse_part(text, part, "")[0].notna().astype(bool)


CHECKS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "flag": lambda t: values.parse_flag(t, "")[0].notna().astype(bool),
    "id": lambda t: ~_yes_no(t) & (t.str.split().str.len() <= 4),
    "date": lambda t: _dates(t) & ~values.clock_only(t),
    "datetime": lambda t: _dates(t) | values.clock_only(t),
    "time": _times,
    "latitude": lambda t: _numbers(t).between(-90, 90),
    "longitude": lambda t: _numbers(t).between(-180, 180),
    "number": lambda t: _numbers(t).notna(),
    "category": _categories,
    **{p: _part(p) for p in ("year", "month", "day", "hour", "weekday")},
}


@functools.lru_cache(maxsize=4096)
def _failing(kind: str, samples: tuple[str, ...]) -> tuple[str, ...]:
    check = CHECKS.get(kind)
    if check is None or not samples:
        return ()
    distinct = list(dict.fromkeys(samples))  # each distinct value checked once
    ok = check(pd.Series(distinct, dtype="str")).fillna(False).to_numpy(bool)
    bad = {v for v, good in zip(distinct, ok, strict=True) if not good}
    return tuple(v for v in samples if v in bad)


def failing(kind: str, samples: Sequence[str]) -> list[str]:
    """The sampled values that do not look like `kind` ("text" fits anything)."""
    return list(_failing(kind, tuple(samples)))


def fits(kind: str, samples: Sequence[str] | None) -> bool:
    """No more than half of the sampled values fail (no sample: nothing says otherwise)."""
    if not samples:
        return True
    return len(failing(kind, samples)) <= (1 - FIT_SHARE) * len(samples)


def _spread(column: pd.Series, n: int) -> pd.Series:
    """At most `n` rows spread evenly over the column."""
    if len(column) <= n:
        return column
    return column.iloc[np.unique(np.linspace(0, len(column) - 1, n).astype(int))]


def sample(column: pd.Series, n: int = SAMPLE_SIZE) -> list[str]:
    """Up to `n` non-blank values spread over the column, as text (a million-row column
    costs a look at a few thousand rows, not a scan)."""
    text = values.as_text(_spread(column, 8 * n)).dropna().astype("str")
    return _spread(text[text.str.strip() != ""], n).tolist()


def time_only(column: pd.Series) -> bool:
    """Most of a date-time column's values are times of day without a date."""
    if column.dtype.kind == "M":  # time cells read as Excel's day 0 (1899-12-30/31)
        known = _spread(column, 8 * SAMPLE_SIZE).dropna()
        return bool(len(known)) and bool((known < pd.Timestamp("1900-01-02")).all())
    text = sample(column)
    return bool(text) and int(values.clock_only(pd.Series(text, dtype="str")).sum()) * 2 > len(text)
