"""Turn the cell values of real exports into typed columns, and say what was coerced.

Every parser takes a column as read and returns the typed column plus `Notes`: plain
sentences for the load report ("1,204 dates read from text, day-first"). Parsers work on
the distinct values of a column and map the result back, so a million rows with a few
thousand distinct values cost little.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

Notes = list[str]

TRUE_WORDS = {"y", "yes", "x", "1", "true", "t", "checked", "on", "✓", "✔", "1.0"}
FALSE_WORDS = {"n", "no", "0", "false", "f", "unchecked", "off", "0.0", "none"}
MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
EXCEL_1900 = pd.Timestamp("1899-12-30")
EXCEL_1904 = pd.Timestamp("1904-01-01")


def count(n: int) -> str:
    return f"{n:,}"


def by_unique(series: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply `fn` to the distinct non-null values of `series` and spread the result back."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = fn(pd.Series(uniques))
    if len(mapped) == 0:
        return mapped.reindex(range(len(codes))).set_axis(series.index)
    out = mapped.take(np.where(codes < 0, 0, codes)).reset_index(drop=True)
    if (codes < 0).any():
        out = out.where(pd.Series(codes >= 0))
    return out.set_axis(series.index)


def blank(series: pd.Series) -> pd.Series:
    """True where a cell is empty or holds only spaces."""
    if series.dtype.kind in "biufcmM":
        return series.isna()
    return series.isna() | series.astype("str").str.strip().eq("")


def as_text(series: pd.Series) -> pd.Series:
    """Text as a user would read it: numbers without a trailing '.0', spaces trimmed."""
    if series.dtype.kind == "f":
        # Past 2**53 a float is no longer an exact whole number (nor fits an Int64).
        whole = series.notna() & (series % 1 == 0) & (series.abs() < 2**53)
        text = series.astype("str")
        text = text.where(~whole, series.where(whole).astype("Int64").astype("str"))
        return text.where(series.notna())
    if series.dtype.kind == "M":
        return series.dt.strftime("%Y-%m-%d %H:%M").where(series.notna())
    if _already_tidy(series):
        return series
    return by_unique(series, _tidy_text)


def _already_tidy(series: pd.Series) -> bool:
    """Arrow-backed text with nothing to trim or fold: skip the per-value pass (which, for a
    column of a million distinct incident numbers, costs half a second)."""
    if str(series.dtype) != "str":
        return False
    text = series.dropna()
    if not text.str.strip().equals(text):
        return False
    # One pass for an empty text, a run of spaces, a tab or a line break (literal
    # characters, so the regular expression runs in Arrow, not in Python).
    return not text.str.contains(r"^$|  |[\t\n\r]", regex=True).any()


def _tidy_text(u: pd.Series) -> pd.Series:
    """Trim, and fold inner runs of white space to one space (only where there are any:
    the regular-expression replace is the slow part)."""
    text = u.astype("str").str.strip()
    # Fixed-string searches run in Arrow; a regular expression here would run in Python.
    runs = text.str.contains("  ", regex=False)
    for ch in "\t\n\r":
        runs |= text.str.contains(ch, regex=False)
    if runs.any():
        text = text.where(~runs, text[runs].str.replace(r"\s+", " ", regex=True))
    return text.replace("", None)


def clean_category(series: pd.Series) -> tuple[pd.Series, Notes]:
    """Trim and fold spellings that differ only in case to the most frequent one.

    Works on the distinct values and returns a categorical: a million rows cost one
    factorisation, and no string is written per row."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = as_text(pd.Series(uniques)).reset_index(drop=True)
    counts = pd.Series(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    totals = counts.groupby(text.to_numpy()).sum()  # per trimmed spelling
    if totals.empty:
        return pd.Series(pd.Categorical([None] * len(series)), index=series.index), []
    folded = pd.Series(totals.index.str.lower(), index=totals.index)
    canonical = totals.groupby(folded.to_numpy()).idxmax()  # most frequent spelling per key
    final = text.map(folded).map(canonical)
    categories = pd.Index(final.dropna().unique())
    mapped = categories.get_indexer(final.fillna("\x00").to_numpy())
    row_codes = np.where(codes >= 0, mapped[np.maximum(codes, 0)], -1)
    result = pd.Series(
        pd.Categorical.from_codes(row_codes, categories=categories), index=series.index
    )
    changed = final.notna() & (text != final)
    notes = []
    if changed.any():
        n = int(counts[changed].sum())
        first = changed.idxmax()
        example = f"'{text[first]}' -> '{final[first]}'"
        notes.append(f"{count(n)} values written in another case were unified (e.g. {example}).")
    return result, notes


def parse_flag(series: pd.Series, label: str) -> tuple[pd.Series, Notes]:
    """Y/N, Yes/No, X/blank, 1/0, TRUE/FALSE -> boolean; anything else unknown (NA).

    Where a column only ever marks the positive case (X or Y, else blank), blank is No."""
    if series.dtype == bool:
        return series.astype("boolean"), []
    text = as_text(series)
    value = by_unique(text, _flag_values).astype("boolean")
    notes = []
    empty = text.isna()
    unread = value.isna() & ~empty
    if unread.any():
        examples = ", ".join(f"'{v}'" for v in as_text(series[unread]).value_counts().index[:3])
        notes.append(
            f"{label}: {count(int(unread.sum()))} values were not yes/no ({examples}) "
            "and are treated as unknown."
        )
    if empty.any() and value.any() and not (value == False).any():  # noqa: E712
        value[empty] = False
        notes.append(
            f"{label}: the column marks only 'yes'; {count(int(empty.sum()))} blanks read as no."
        )
    return value, notes


def _flag_values(u: pd.Series) -> pd.Series:
    """Distinct texts -> True / False / NA."""
    text = u.astype("str").str.casefold()
    first = text.str.extract(r"^\s*([^\s\-,:;/]+)", expand=False)
    value = pd.Series(pd.NA, index=u.index, dtype="boolean")
    value[first.isin(TRUE_WORDS).fillna(False).astype(bool)] = True
    value[first.isin(FALSE_WORDS).fillna(False).astype(bool)] = False
    # "N/A" is not "N": not applicable says nothing either way.
    value[text.str.match(r"\s*n\s*[/.]\s*a\b").fillna(False).astype(bool)] = pd.NA
    return value


def parse_number(series: pd.Series, label: str) -> tuple[pd.Series, Notes]:
    if series.dtype.kind in "iuf":
        return series.astype("float64"), []
    text = as_text(series)
    cleaned = text.str.replace(r"[,\s$]", "", regex=True)
    value = pd.to_numeric(cleaned, errors="coerce")
    notes = []
    from_text = value.notna() & text.notna()
    if series.dtype.kind not in "iuf" and from_text.any():
        notes.append(f"{label}: {count(int(from_text.sum()))} numbers read from text.")
    bad = value.isna() & text.notna()
    if bad.any():
        notes.append(
            f"{label}: {count(int(bad.sum()))} values were not numbers "
            f"(e.g. '{text[bad].iloc[0]}') and are left blank."
        )
    return value.astype("float64"), notes


# --- dates and times -------------------------------------------------------------------

# A time of day with no date: '13:20', '1:20 PM', and a spreadsheet's time cell read as
# text, which carries Excel's day 0 ('1899-12-30 13:20:00').
CLOCK_ONLY = (
    r"^\s*(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?"
    r"|(?:1899-12-3[01]|1900-01-0[01])[ T]\d{1,2}:\d{2}(?::\d{2})?)\s*$"
)


def clock_only(text: pd.Series) -> pd.Series:
    """True where a text is a time of day without a date."""
    return text.astype("str").str.match(CLOCK_ONLY, case=False).fillna(False).astype(bool)


_NUMERIC_DATE = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T]+(.*))?$")


def parse_datetime(
    series: pd.Series, label: str, date1904: bool = False
) -> tuple[pd.Series, Notes]:
    """Excel dates, serial numbers and text in ISO, US or European order -> datetime64[us].

    The day/month order of text dates is decided once for the whole column: day-first only
    when some value cannot be month-first (a first part above 12), else month-first (US),
    except dotted dates (06.01.2024), which are European."""
    base = EXCEL_1904 if date1904 else EXCEL_1900
    if series.dtype.kind == "M":
        return series.astype("datetime64[us]"), []
    if series.dtype.kind in "iuf":
        return _serial_column(series, base, label)
    text = as_text(series)
    order: list[str] = []
    parsed = by_unique(text, lambda u: _parse_date_texts(u, base, order))
    how = parsed["how"].value_counts()
    notes = []
    for key, sentence in (
        ("serial", "dates read from Excel serial numbers"),
        ("numeric", f"dates read from text, {order[0] if order else 'month-first'}"),
        ("written", "dates read from written-out text (e.g. '{}')"),
        ("time", "values are times of day without a date (e.g. '{}'), so they give no date"),
    ):
        if how.get(key):
            # an example from the data where the sentence quotes one (a look at each row)
            example = text[parsed["how"] == key].iloc[0] if "{}" in sentence else ""
            notes.append(f"{label}: {count(int(how[key]))} {sentence.format(example)}.")
    failed = parsed["how"].eq("failed") & text.notna()
    if failed.any():
        notes.append(
            f"{label}: {count(int(failed.sum()))} values are not dates "
            f"(e.g. '{text[failed].iloc[0]}')."
        )
    return parsed["when"].astype("datetime64[us]"), notes


def _serial_column(series: pd.Series, base: pd.Timestamp, label: str) -> tuple[pd.Series, Notes]:
    """A numeric column: Excel serials; one outside the range of dates is reported as not a
    date, as a bad text value is."""
    when = _from_serial(series, base)
    notes = [f"{label}: {count(int(when.notna().sum()))} dates read from Excel serial numbers."]
    failed = when.isna() & series.notna()
    if failed.any():
        bad = as_text(series[failed]).iloc[0]
        notes.append(f"{label}: {count(int(failed.sum()))} values are not dates (e.g. '{bad}').")
    return when, notes


# A serial must be below this many days. pandas counts time in nanoseconds, so a span of more
# than 106,751 days (to about the year 2192) cannot be held and would raise; no export
# holds incident dates that far out, so a larger serial is a value that is not a date.
MAX_SERIAL_DAYS = pd.Timedelta.max.days


def _from_serial(values: pd.Series, base: pd.Timestamp) -> pd.Series:
    days = pd.to_numeric(values, errors="coerce")
    days = days.where((days > 0) & (days < MAX_SERIAL_DAYS))
    return (base + pd.to_timedelta(days * 86400, unit="s")).dt.round("s").astype("datetime64[us]")


def _parse_date_texts(u: pd.Series, base: pd.Timestamp, order: list[str]) -> pd.DataFrame:
    """Distinct date texts -> columns `when` (datetime) and `how` (which reading was used)."""
    when = pd.Series(pd.NaT, index=u.index, dtype="datetime64[us]")
    how = pd.Series("failed", index=u.index, dtype="object")
    numeric = pd.to_numeric(u, errors="coerce")
    serial = numeric.notna()
    when[serial], how[serial] = _from_serial(numeric[serial], base), "serial"
    iso = ~serial & u.str.match(r"^\s*\d{4}-\d{1,2}-\d{1,2}")
    when[iso], how[iso] = pd.to_datetime(u[iso], format="ISO8601", errors="coerce"), "iso"
    parts = u[~serial & ~iso].str.extract(_NUMERIC_DATE)
    dotted = parts.index[parts[0].notna()]
    if len(dotted):
        when[dotted], day_first = _parse_numeric_dates(u[dotted], parts.loc[dotted])
        how[dotted] = "numeric"
        order.append("day-first" if day_first else "month-first")
    rest = when.isna() & (how == "failed")
    rest[dotted] = False
    # '13:20' is a time of day: read as a date it would become today's
    clock = rest & clock_only(u)
    how[clock], rest = "time", rest & ~clock
    if rest.any():
        when[rest] = pd.to_datetime(u[rest], format="mixed", errors="coerce")
        how[rest & when.notna()] = "written"
    how[when.isna() & (how != "time")] = "failed"
    return pd.DataFrame({"when": when, "how": how})


def _parse_numeric_dates(texts: pd.Series, parts: pd.DataFrame) -> tuple[pd.Series, bool]:
    a, b, c = (parts[i].astype(int) for i in range(3))
    year_first = parts[0].str.len() == 4
    other = ~year_first
    if (a[other] > 12).any() and not (b[other] > 12).any():
        day_first = True
    elif (b[other] > 12).any():
        day_first = False
    else:  # no value tells: dotted dates are European, slashed ones US
        day_first = bool(texts[other].str.contains(r"^\s*\d{1,2}\.", regex=True).mean() > 0.5)
    year = c.where(other, a)
    year = year.where(year >= 100, year + np.where(year < 70, 2000, 1900))
    month = b.where(year_first, b if day_first else a)
    day = c.where(year_first, a if day_first else b)
    dates = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    ).astype("datetime64[us]")
    clock = parse_time_text(parts[3])
    return dates + clock.fillna(pd.Timedelta(0)), day_first


_CLOCK = re.compile(
    r"^\s*(\d{1,2})(?::?(\d{2}))?(?::(\d{2})(?:\.\d+)?)?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE
)


def parse_time_text(texts: pd.Series) -> pd.Series:
    """'13:04', '1304', '1:04 PM', '13:04:05' -> timedelta since midnight; NaT otherwise."""
    parts = texts.astype("str").str.extract(_CLOCK)
    hour = pd.to_numeric(parts[0], errors="coerce")
    minute = pd.to_numeric(parts[1], errors="coerce").fillna(0)
    second = pd.to_numeric(parts[2], errors="coerce").fillna(0)
    # "1304" without a colon: the regex reads 13 and 04 only when the text has four digits.
    four = texts.astype("str").str.fullmatch(r"\s*\d{3,4}\s*")
    packed = pd.to_numeric(texts.where(four), errors="coerce")
    hour = hour.where(~four.fillna(False).astype(bool), packed // 100)
    minute = minute.where(~four.fillna(False).astype(bool), packed % 100)
    pm = parts[3].str.lower().str.startswith("p").fillna(False).astype(bool)
    am = parts[3].str.lower().str.startswith("a").fillna(False).astype(bool)
    hour = hour.where(~(pm & (hour < 12)), hour + 12).where(~(am & (hour == 12)), 0)
    ok = hour.between(0, 23) & minute.between(0, 59) & second.between(0, 59)
    seconds = (hour * 3600 + minute * 60 + second).where(ok)
    return pd.to_timedelta(seconds, unit="s")


def parse_time_of_day(series: pd.Series, label: str) -> tuple[pd.Series, Notes]:
    """A time-only column: text clock times, Excel day fractions or time cells."""
    if series.dtype.kind == "M":
        return series - series.dt.normalize(), []
    if series.dtype.kind in "iuf":
        fraction = series.where((series >= 0) & (series < 1))
        return pd.to_timedelta((fraction * 86400).round(), unit="s"), []
    text = as_text(series)

    def parse(u: pd.Series) -> pd.Series:
        clock = parse_time_text(u)
        # Time cells read as text by a mixed column: '1899-12-31 13:04:00'.
        stamp = pd.to_datetime(u.where(clock.isna()), format="ISO8601", errors="coerce")
        return clock.fillna(stamp - stamp.dt.normalize())

    value = by_unique(text, parse)
    notes = []
    bad = value.isna() & text.notna()
    if bad.any():
        notes.append(
            f"{label}: {count(int(bad.sum()))} values are not times of day "
            f"(e.g. '{text[bad].iloc[0]}') and are left blank."
        )
    return pd.to_timedelta(value), notes


def parse_part(series: pd.Series, part: str, label: str) -> tuple[pd.Series, Notes]:
    """Year, month (number or name), day, hour (0-23) or weekday (name or number) -> Int."""
    text = as_text(series)
    value = by_unique(text, lambda u: _part_values(u, part)).astype("Float64")
    valid = {
        "year": (1900, 2100),
        "month": (1, 12),
        "day": (1, 31),
        "hour": (0, 23),
        "weekday": (0, 6),
    }[part]
    ok = value.between(*valid).fillna(False).astype(bool)
    notes = []
    bad = text.notna() & ~ok
    if bad.any():
        notes.append(
            f"{label}: {count(int(bad.sum()))} values are not a valid {part} "
            f"(e.g. '{text[bad].iloc[0]}')."
        )
    return value.where(ok).astype("Int64"), notes


def _part_values(u: pd.Series, part: str) -> pd.Series:
    text = u.astype("str").str.casefold().str.strip()
    value = pd.to_numeric(text, errors="coerce").astype("float64")
    names = {"month": MONTHS, "weekday": WEEKDAYS}.get(part)
    if names:
        value = value.fillna(text.str[:3].map({k[:3]: v for k, v in names.items()}))
    if part == "hour":  # "13:00" or "1300" style hours
        clock = parse_time_text(text.where(value.isna()))
        value = value.fillna(clock.dt.total_seconds() // 3600)
        packed = (value >= 100) & (value < 2400) & (value % 100 < 60)
        value = value.where(~packed, value // 100)
    return value


def any_of(flags: list[pd.Series]) -> pd.Series | None:
    """Kleene "or": True where any flag is true, False only where every flag is a known
    no, NA (unknown) otherwise. A blank is unknown, never no. None for no flags."""
    if not flags:
        return None
    result = flags[0].astype("boolean")
    for flag in flags[1:]:
        result = result | flag.astype("boolean")  # nullable booleans: NA | True is True
    return result
