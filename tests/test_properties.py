"""Property tests: random cells, encodings, dates and headers through the value parsers and
the readers. Whatever the input, nothing crashes (a bad file is an InputError, one
sentence) and every row is accounted for: rows in = rows loaded + rows rejected."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
from conftest import KEY, NOW, examples
from corpus import CALLS_HEADER, CALLS_ROWS, calls_xlsx, xls
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pmhc.domain.errors import InputError
from pmhc.domain.rules import load_rules
from pmhc.ingest import pipeline as ingest
from pmhc.ingest import values
from pmhc.ingest.reading import open_tables

# Derandomized, no deadline, no example database, the failure's blob printed: the profiles
# in conftest.py. `examples(n)`: n examples in CI's thorough profile, fewer by default.
SETTINGS = settings(max_examples=examples(40))
RULES = load_rules()
CTX = ingest.Context(rules=RULES, key=KEY, now=NOW)

# Header names an export might use, for the readers to find a header among random rows.
HEADERS = [
    "Incident #",
    "Event Number",
    "Rcvd Dt/Tm",
    "Received Date",
    "Call Type",
    "Final Call Type",
    "Initial Type",
    "District",
    "Disposition",
    "Badge #",
    "Course Title",
    "Completion Date",
    "Rank",
    "Assignment",
    "Service Type",
    "Provider / Program",
    "Hours",
    "Name",
    "Notes",
]
DATE_TEXTS = st.one_of(
    st.dates(dt.date(1899, 1, 1), dt.date(9999, 12, 31)).map(str),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)).map(
        lambda d: d.strftime("%m/%d/%Y %H:%M")
    ),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)).map(
        lambda d: d.strftime("%d.%m.%y")
    ),
    st.sampled_from(["2024-02-30", "13/13/2024", "0000-00-00", "T", "12:61", "24:00"]),
)
CELL_TEXT = st.one_of(
    st.text(max_size=12),
    DATE_TEXTS,
    st.sampled_from(["", " ", "Y", "no", "1.0", "N/A", "-", "Total", "1e400", "NaN", "0x1F"]),
)
NUMBERS = st.floats(allow_nan=True, allow_infinity=True)
CELLS = st.one_of(st.none(), CELL_TEXT, NUMBERS.map(str), st.integers(-(10**20), 10**20))


def column(values_: list) -> pd.Series:
    return pd.Series(values_, dtype=object)


# --- value parsers ----------------------------------------------------------------------


@SETTINGS
@given(st.lists(CELLS, max_size=30), st.booleans())
# A serial past 106,751 days beside a fractional one once raised OutOfBoundsTimedelta.
@example([".001", "106752"], False)
def test_value_parsers_never_crash_and_keep_every_row(cells, date1904):
    text = column([None if c is None else str(c) for c in cells])
    for parsed, _ in (
        values.parse_flag(text, "flag"),
        values.parse_number(text, "number"),
        values.parse_datetime(text, "date", date1904),
        values.parse_time_of_day(text, "time"),
        values.parse_part(text, "hour", "hour"),
        values.parse_part(text, "month", "month"),
        values.parse_part(text, "weekday", "weekday"),
        values.clean_category(text),
    ):
        assert len(parsed) == len(text)
        assert parsed.index.equals(text.index)
    assert len(values.as_text(text)) == len(text)
    assert len(values.blank(text)) == len(text)


@SETTINGS
@given(st.lists(st.one_of(st.none(), NUMBERS), max_size=30), st.booleans())
@example([0.001, 106752.0], False)
@example([0.001, 106752.0], True)
def test_numeric_serials_never_crash_the_date_parser(numbers, date1904):
    serials = pd.Series(numbers, dtype="float64")
    parsed, _ = values.parse_datetime(serials, "date", date1904)
    assert len(parsed) == len(serials)
    assert len(values.as_text(serials)) == len(serials)


# --- readers ----------------------------------------------------------------------------


def _accounted(source: bytes, name: str) -> list[ingest.Loaded]:
    """Ingest, allowing only a one-sentence InputError; check every table's accounting."""
    try:
        loaded = ingest.ingest_file(source, CTX, name=name)
    except InputError as e:
        message = str(e)
        loaded = []
    else:
        message = None
    if message is not None:
        assert "\n" not in message and name in message
    for item in loaded:
        r = item.report
        assert r.rows_in == r.rows_loaded + r.rows_rejected
        if item.records is not None:
            assert len(item.records) == r.rows_loaded
    return loaded


ROWS = st.lists(st.lists(CELLS, min_size=1, max_size=7), max_size=25)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])


@SETTINGS
@given(
    st.lists(st.sampled_from(HEADERS), min_size=2, max_size=7, unique=True),
    ROWS,
    ENCODINGS,
    st.sampled_from([",", ";", "\t", "|"]),
)
def test_random_csv_exports_load_or_refuse_with_every_row_counted(header, rows, enc, delim):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delim, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if c is None else c for c in row])
    data = out.getvalue().encode(enc, errors="replace")
    loaded = _accounted(data, "export.csv")
    for item in loaded:
        if item.report.kind and item.report.header_row == 1:
            filled = [r for r in rows if any(str(c).strip() for c in r if c is not None)]
            assert item.report.rows_in == len(filled)


@SETTINGS
@given(
    st.lists(st.sampled_from(HEADERS), min_size=2, max_size=7, unique=True),
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.text(
                    alphabet=st.characters(min_codepoint=32, max_codepoint=0xD7FF), max_size=10
                ),
                st.integers(-(10**12), 10**12),
                st.floats(allow_nan=False, allow_infinity=False),
                st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 1, 1)),
                st.booleans(),
            ),
            max_size=7,
        ),
        max_size=20,
    ),
)
def test_random_workbooks_load_or_refuse_with_every_row_counted(header, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    _accounted(out.getvalue(), "book.xlsx")


@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from(["x.xlsx", "x.xls", "x.csv", "x.xml", "x.ods"]))
def test_random_bytes_are_refused_in_one_sentence_or_read(data, name):
    _accounted(data, name)


BOOK = calls_xlsx()  # once: a workbook's bytes carry the time it was written


@settings(SETTINGS, max_examples=examples(100))
@given(st.data())
def test_damaged_workbooks_never_crash(data):
    book = bytearray(BOOK)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(book) - 1))
        book[at] = data.draw(st.integers(0, 255))
    _accounted(bytes(book), "damaged.xlsx")


OLD_BOOK = xls([CALLS_HEADER, *CALLS_ROWS])


@settings(SETTINGS, max_examples=examples(100))
@given(st.data())
def test_damaged_old_workbooks_never_crash(data):
    # Compound File sectors, directory and BIFF records damaged at random: the extent
    # check and the reader (which panics on some) both end in one sentence at most.
    book = bytearray(OLD_BOOK)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(book) - 1))
        book[at] = data.draw(st.integers(0, 255))
    _accounted(bytes(book), "damaged.xls")


def test_a_table_of_random_rows_keeps_positions(write_text):
    # Not random, but the property the CSV test leans on: open_tables keeps every line.
    path = write_text("p.csv", "a,b\n1,2\n\n3,4\n")
    (table,) = open_tables(path)
    first = table.load(0, [0, 1])[0]
    assert first.isna().tolist() == [False, True, False]
    assert first.dropna().tolist() == ["1", "3"]
