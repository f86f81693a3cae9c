"""Tables in people's words: a column name becomes a heading ("share_of_connected" ->
"Share of connected"), a code in a cell becomes words ("use_of_force" -> "Use of force"),
and each column gets the format people read it in (shares as %, months since as whole
months, dates without a midnight time). The frames keep their numbers, so a table still
sorts by value; the UI turns `column_formats` into Streamlit's column configuration."""

from __future__ import annotations

import re

import pandas as pd

# Words kept as written ("cit_requested" -> "CIT requested"), as in schema.Field.label.
_WORDS = {"cit": "CIT", "mh": "MH", "id": "ID", "ed": "ED", "p90": "90th percentile"}
# Names whose generic wording would mislead or read oddly.
LABELS = {
    "lcl": "Lower limit",
    "ucl": "Upper limit",
    "centre": "Centre line",
    "low": "95% interval, low",
    "high": "95% interval, high",
    "weekday_name": "Day of week",
    "p90": "90th percentile",
    "change_points": "Change (points)",
    "change_low": "Change, low (points)",
    "change_high": "Change, high (points)",
    "before_calls": "Calls before",
    "after_calls": "Calls after",
    "cit_40": "CIT (40 hours)",
    "de_escalation": "De-escalation",
    "in_service": "In-service",
    "co_responder": "Co-responder",
    "contacts_label": "Contacts",
}
SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
# Columns holding a share (0 to 1) when their values say so: drawn as %.
_SHARE_NAMES = {"rate", "share", "low", "high", "lcl", "ucl", "centre", "before", "after"}
_SHARE_NAMES |= {"missing", "filled", "score", "target", "confidence", "complete"}
_MONTH_NAMES = {"month", "period", "start_month", "end_month"}


MISSING = "–"  # a figure that cannot be given, in every table: page, pack and partner view


def words(name: str) -> str:
    """A field or code name in people's words; other text unchanged."""
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    if not SNAKE.fullmatch(text):
        return text
    out = " ".join(_WORDS.get(w, w) for w in text.split("_"))
    return out[0].upper() + out[1:]


def _is_share(name: str, values: pd.Series) -> bool:
    key = name.lower()
    named = key in _SHARE_NAMES or key.startswith("share") or key.endswith(("_rate", "_share"))
    return named and bool(((values >= 0) & (values <= 1)).all())


def column_format(name: str, series: pd.Series) -> str | None:
    """How a column is shown: 'percent', 'decimal', 'whole', 'count' (with a thousands
    separator), 'month', 'date' or None (as it is)."""
    values = series.dropna()
    if values.empty:
        return None
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_datetime64_any_dtype(values):
        if not (values == values.dt.normalize()).all():
            return None
        monthly = str(name).lower() in _MONTH_NAMES and (values.dt.day == 1).all()
        return "month" if monthly else "date"
    if str(name).startswith("months") and pd.api.types.is_numeric_dtype(values):
        return "whole"  # months since a course: 46, not 45.9
    if not pd.api.types.is_numeric_dtype(values):
        return None
    if pd.api.types.is_float_dtype(values) and _is_share(str(name), values):
        return "percent"
    if not (values == values.round()).all():
        return "decimal"
    return "count" if _is_count(str(name), values) else None


_NAME_ENDS = ("_id", "_row", "_number", "_version")  # names, not amounts


def _is_count(name: str, values: pd.Series) -> bool:
    """Whole numbers that need a thousands separator to be read (12,503); never a year, a
    row of a sheet, an id or a version, which are names, not amounts."""
    key = name.lower()
    named = "year" in key or key in ("row", "id", "version") or key.endswith(_NAME_ENDS)
    return not named and bool((values.abs() >= 1000).any())


def column_formats(frame: pd.DataFrame) -> dict[str, tuple[str, str | None]]:
    """{column: (heading, format)} for each column of a table."""
    return {str(c): (heading(str(c)), column_format(str(c), frame[c])) for c in frame.columns}


def heading(name: str) -> str:
    """A column's heading: its name in words, starting with a capital ("overdue")."""
    text = words(name)
    return text[:1].upper() + text[1:]


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with codes in its text cells as words and months since as whole months."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if str(name).startswith("months") and pd.api.types.is_float_dtype(column):
            out[name] = column.round().astype("Int64")
        elif isinstance(column.dtype, pd.CategoricalDtype):
            named = [words(c) for c in column.cat.categories]
            if len(set(named)) == len(named):  # two codes may never become one word
                out[name] = column.cat.rename_categories(named)
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            out[name] = column.map(lambda v: words(v) if isinstance(v, str) else v)
    return out


def moment_words(stamp) -> str:
    """An ISO time stamp as people read it: '3 Dec 2026, 10:42' (blank when unreadable)."""
    when = pd.to_datetime(stamp, errors="coerce", utc=True)
    return "" if pd.isna(when) else f"{when.day} {when:%b %Y, %H:%M}"


def details_words(details) -> str:
    """An audit entry's details ({"before": 3, "dataset_id": "ab12"}) as 'Before 3 · Dataset
    ID ab12': each key in words, a nested change as its own words, stamps in words."""
    if isinstance(details, str):
        try:
            import json

            details = json.loads(details)
        except ValueError:
            return details
    if not isinstance(details, dict):
        return str(details)
    parts = []
    # Before and after last, in that order (the log's JSON sorts them the other way).
    order = sorted(details, key=lambda k: {"before": 1, "after": 2}.get(k, 0))
    for key in order:
        parts.append(f"{_capital(words(key))} {_value_words(details[key])}")
    return " · ".join(parts)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _value_words(value) -> str:
    if isinstance(value, dict):
        return "(" + details_words(value) + ")"
    if isinstance(value, list):
        return ", ".join(_value_words(v) for v in value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}.*", value):
        return moment_words(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = pd.Timestamp(value)
        return f"{day.day} {day:%b %Y}"
    return "none" if value is None else words(str(value))
