"""The one way figures are written, for the pages, the CLI's text and the reports: a rate
is formatted from its exact value (never from a value already rounded for JSON, which
would round twice: 0.30949 -> 0.3095 -> 31.0% instead of 30.9%)."""

from __future__ import annotations

import math

import pandas as pd


def pct(value: float | None, digits: int = 1) -> str:
    """'30.9%'; an en dash when there is no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.{digits}f}%"


def count(value: int) -> str:
    return f"{value:,}"


def span_words(start, end) -> str:
    """A period in words, for paper and for partners: 'March 2026', 'January to December
    2025', 'July 2024 to June 2025'; with days when it is not whole months ('1 to 28 March
    2026', '1 January 2023 to 31 December 2025'). `start` and `end` are timestamps (the
    end's time of day is ignored)."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    whole = start.day == 1 and (end + pd.Timedelta(days=1)).day == 1
    if whole:
        if (start.year, start.month) == (end.year, end.month):
            return f"{start:%B %Y}"
        if start.year == end.year:
            return f"{start:%B} to {end:%B %Y}"
        return f"{start:%B %Y} to {end:%B %Y}"
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} to {end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} to {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"
