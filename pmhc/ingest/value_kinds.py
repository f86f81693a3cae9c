"""Whether a column's values look like what a field holds (`schema.Field.value_kind`).

The mapper reads values as well as names: a column of Y/N is never an incident number or
a latitude. Checks run on a sample (the first rows under the header, or a few hundred
values spread over a loaded column), never on every row.
"""

from __future__ import annotations

import functools
import math
import re
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

DESCRIPTIONS = {
    "flag": "yes/no values",
    "id": "identifiers",
    "date": "dates",
    "datetime": "dates or times",
    "time": "times of day",
    "latitude": "latitudes between -90 and 90",
    "longitude": "longitudes between -180 and 180",
    "number": "numbers",
    "category": "names or codes",
    "year": "years",
    "month": "months",
    "day": "days of the month",
    "hour": "hours of the day",
    "weekday": "days of the week",
}


# Checks are plain Python on each distinct value: a sample is a few hundred short texts,
# too small for pandas' per-call costs (the mapper checks many header candidates).
_CLOCK = re.compile(values.CLOCK_ONLY, re.IGNORECASE)
_STAMP = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_COMPACT = re.compile(r"^\s*((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:\d{4,6})?\s*$")
_MONTH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?![a-z])", re.I
)
_YEAR = re.compile(r"(?<!\d)(?:\d{4}|\d{2})(?!\d)")
_FIRST_WORD = re.compile(r"^\s*([^\s\-,:;/]+)")
_NOT_APPLICABLE = re.compile(r"\s*n\s*[/.]\s*a\b")
_PACKED = re.compile(r"^\s*(\d{1,2})(\d{2})\s*$")


def _number(v: str) -> float | None:
    try:
        x = float(re.sub(r"[,\s$]", "", v))
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _in_years(year: int) -> bool:
    year = year if year >= 100 else year + (2000 if year < 70 else 1900)
    return EARLIEST_YEAR <= year <= LATEST_YEAR


def _date(v: str) -> bool:
    """ISO, numeric (either order), compact, written-out or Excel serial dates in range."""
    m = _ISO.match(v) or _COMPACT.match(v)
    if m:
        return _in_years(int(m[1])) and 1 <= int(m[2]) <= 12 and 1 <= int(m[3]) <= 31
    m = values._NUMERIC_DATE.match(v)
    if m:
        a, b, c = int(m[1]), int(m[2]), int(m[3])
        if len(m[1]) == 4:
            return _in_years(a) and 1 <= b <= 12 and 1 <= c <= 31
        return _in_years(c) and min(a, b) <= 12 and max(a, b) <= 31
    if _MONTH.search(v):
        return any(_in_years(int(y)) for y in _YEAR.findall(v))
    x = _number(v)  # Excel serial day numbers of 1960 to 2100
    return x is not None and 21916 <= x < 73051


def _clock(v: str) -> bool:
    return bool(_CLOCK.match(v))


def _packed(v: str) -> bool:
    m = _PACKED.match(v)
    return m is not None and int(m[1]) < 24 and int(m[2]) < 60


def _whole(v: str, low: int, high: int) -> bool:
    x = _number(v)
    return x is not None and x == int(x) and low <= x <= high


def _named(v: str, names: dict[str, int]) -> bool:
    return v.strip()[:3].casefold() in {k[:3] for k in names}


def _flag(v: str) -> bool:
    text = v.casefold()
    first = _FIRST_WORD.match(text)
    words = values.TRUE_WORDS | values.FALSE_WORDS
    return first is not None and first[1] in words and not _NOT_APPLICABLE.match(text)


def _yes_no(v: str) -> bool:
    return v.strip().casefold() in YES_NO


CHECKS: dict[str, Callable[[str], bool]] = {
    "flag": _flag,
    "id": lambda v: not _yes_no(v) and len(v.split()) <= 4,
    "date": lambda v: _date(v) and not _clock(v),
    "datetime": lambda v: _date(v) or _clock(v),
    "time": lambda v: _clock(v) or _packed(v) or bool(_STAMP.match(v)),
    "latitude": lambda v: (x := _number(v)) is not None and -90 <= x <= 90,
    "longitude": lambda v: (x := _number(v)) is not None and -180 <= x <= 180,
    "number": lambda v: _number(v) is not None,
    "category": lambda v: not _clock(v) and not _STAMP.match(v),
    "year": lambda v: _whole(v, 1900, 2100),
    "month": lambda v: _whole(v, 1, 12) or _named(v, values.MONTHS),
    "day": lambda v: _whole(v, 1, 31),
    "hour": lambda v: _whole(v, 0, 23) or _clock(v) or _packed(v),
    "weekday": lambda v: _whole(v, 0, 7) or _named(v, values.WEEKDAYS),
}


@functools.lru_cache(maxsize=4096)
def _failing(kind: str, samples: tuple[str, ...]) -> tuple[str, ...]:
    check = CHECKS.get(kind)
    if check is None or not samples:
        return ()
    distinct = set(samples)  # each distinct value checked once
    if kind in ("category", "id") and _all_yes_no(distinct):
        return samples  # a column of yes and no: a flag, whatever else it could be
    bad = {v for v in distinct if not check(v)}
    return tuple(v for v in samples if v in bad)


def _all_yes_no(distinct: set[str]) -> bool:
    """Only yes/no words, at least one of them a yes (a column of 'N' alone may be North)."""
    folded = {v.strip().casefold() for v in distinct}
    return folded <= YES_NO and bool(folded & YES)


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
    picked = _spread(column, 4 * n)
    if picked.dtype.kind in "biufcmM":  # numbers and dates written as a user reads them
        picked = values.as_text(picked)
    text = [str(v).strip() for v in picked.tolist() if v is not None and v == v]  # not NaN
    text = [v for v in text if v]
    return text[:: -(-len(text) // n)] if len(text) > n else text


def time_only(column: pd.Series) -> bool:
    """Most of a date-time column's values are times of day without a date."""
    if column.dtype.kind == "M":  # time cells read as Excel's day 0 (1899-12-30/31)
        known = _spread(column, 8 * SAMPLE_SIZE).dropna()
        return bool(len(known)) and bool((known < pd.Timestamp("1900-01-02")).all())
    text = sample(column)
    return bool(text) and sum(map(_clock, text)) * 2 > len(text)
