"""Value normalisation: flags, dates, times, date parts, numbers and categories, each
with the note the load report shows."""

from __future__ import annotations

import pandas as pd
import pytest

from pmhc.ingest import values as V

NA = pd.NA


def s(*items, dtype=None) -> pd.Series:
    return pd.Series(list(items), dtype=dtype)


def flags(series: pd.Series) -> tuple[list, list[str]]:
    value, notes = V.parse_flag(series, "Flag")
    assert str(value.dtype) == "boolean"
    return [None if v is NA else bool(v) for v in value], notes


# --- flags ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["Y", "N", "y", " n "], [True, False, True, False]),
        (["Yes", "No", "YES", "no"], [True, False, True, False]),
        (["1", "0", "1"], [True, False, True]),
        (["TRUE", "FALSE", "true"], [True, False, True]),
        (["T", "F"], [True, False]),
        (["Yes - per supervisor", "No, declined"], [True, False]),
    ],
)
def test_flag_spellings(cells, expected):
    assert flags(s(*cells)) == (expected, [])


def test_numeric_and_boolean_flag_cells():
    assert flags(s(1.0, 0.0, None)) == ([True, False, None], [])
    assert flags(s(1, 0, 1)) == ([True, False, True], [])
    assert flags(s(True, False)) == ([True, False], [])


def test_x_and_blank_marks_only_yes_so_blank_is_no():
    value, notes = flags(s("X", None, "x", "", "  "))
    assert value == [True, False, True, False, False]
    assert notes == ["Flag: the column marks only 'yes'; 3 blanks read as no."]


def test_blank_stays_unknown_when_the_column_also_says_no():
    assert flags(s("Y", "N", None)) == ([True, False, None], [])


def test_unknown_values_are_na_with_a_note():
    value, notes = flags(s("Y", "N", "U", "Unknown", "U", "N/A", "n.a."))
    assert value == [True, False, None, None, None, None, None]  # N/A is not N
    assert notes == [
        "Flag: 5 values were not yes/no ('U', 'Unknown', 'N/A') and are treated as unknown."
    ]


def test_all_blank_flag_column_is_unknown():
    assert flags(s(None, None, dtype="object")) == ([None, None], [])


# --- dates ----------------------------------------------------------------------------


def dates(series: pd.Series, date1904: bool = False) -> tuple[list, list[str]]:
    value, notes = V.parse_datetime(series, "Date", date1904)
    assert str(value.dtype) == "datetime64[us]"
    return [None if pd.isna(v) else str(v) for v in value], notes


def test_us_dates_are_the_default_for_slashed_text():
    assert dates(s("01/06/2024", "02/07/2024 13:04", "12/31/2024")) == (
        ["2024-01-06 00:00:00", "2024-02-07 13:04:00", "2024-12-31 00:00:00"],
        ["Date: 3 dates read from text, month-first."],
    )


def test_one_day_above_12_makes_the_whole_column_day_first():
    got, notes = dates(s("01/06/2024", "02/07/2024", "13/01/2024", None))
    assert got == ["2024-06-01 00:00:00", "2024-07-02 00:00:00", "2024-01-13 00:00:00", None]
    assert notes == ["Date: 3 dates read from text, day-first."]


def test_dotted_dates_are_european():
    assert dates(s("06.01.2024", "07.01.2024"))[0] == ["2024-01-06 00:00:00", "2024-01-07 00:00:00"]


def test_the_load_report_counts_rows_not_distinct_values():
    texts = [f"{d}/{m:02d}/2023" for m in range(1, 13) for d in range(13, 29)]  # 192 distinct
    series = pd.Series((texts * 7)[:1204])
    value, notes = V.parse_datetime(series, "Rcvd Date")
    assert notes == ["Rcvd Date: 1,204 dates read from text, day-first."]
    assert value.iloc[0] == pd.Timestamp("2023-01-13")


def test_iso_written_and_two_digit_years():
    assert dates(s("2024-01-06", "2024-01-06T13:04:00", "2024-1-7"))[0] == [
        "2024-01-06 00:00:00",
        "2024-01-06 13:04:00",
        "2024-01-07 00:00:00",
    ]
    got, notes = dates(s("Jan 6, 2024", "6 January 2024", "January 7 2024 1:04 PM"))
    assert got == ["2024-01-06 00:00:00", "2024-01-06 00:00:00", "2024-01-07 13:04:00"]
    assert notes == ["Date: 3 dates read from written-out text (e.g. 'Jan 6, 2024')."]
    assert dates(s("1/6/24 13:04", "1/7/99"))[0] == ["2024-01-06 13:04:00", "1999-01-07 00:00:00"]


def test_excel_serials_in_both_date_systems():
    # 45297 is 2024-01-06 counted from 1900; the same day is 43835 counted from 1904.
    assert dates(s(45297.0, 45297.5)) == (
        ["2024-01-06 00:00:00", "2024-01-06 12:00:00"],
        ["Date: 2 dates read from Excel serial numbers."],
    )
    assert dates(s(43835.0, 43835.75), date1904=True)[0] == [
        "2024-01-06 00:00:00",
        "2024-01-06 18:00:00",
    ]
    # serials that arrive as text (a mixed column) follow the same system
    assert dates(s("45297", "2024-01-07"))[0] == ["2024-01-06 00:00:00", "2024-01-07 00:00:00"]
    assert dates(s("43835"), date1904=True)[0] == ["2024-01-06 00:00:00"]


def test_datetime_cells_pass_through():
    cells = pd.Series(pd.to_datetime(["2024-01-06 13:04", None])).astype("datetime64[ms]")
    assert dates(cells) == (["2024-01-06 13:04:00", None], [])


def test_values_that_are_not_dates_are_blank_with_a_note():
    got, notes = dates(s("2024-01-06", "unknown", "00/00/0000"))
    assert got == ["2024-01-06 00:00:00", None, None]
    assert "Date: 2 values are not dates (e.g. 'unknown')." in notes


@pytest.mark.parametrize("as_text", [True, False])
def test_a_serial_past_the_range_of_dates_is_not_a_date(as_text):
    # 106,751 days is the longest span pandas can hold; a larger serial once raised
    # OutOfBoundsTimedelta when a fractional serial sat beside it.
    cells = (".001", "106750", "106752") if as_text else (0.001, 106750.0, 106752.0)
    got, notes = dates(s(*cells))
    assert got == ["1899-12-30 00:01:26", "2192-04-07 00:00:00", None]
    assert notes == [
        "Date: 2 dates read from Excel serial numbers.",
        "Date: 1 values are not dates (e.g. '106752').",
    ]
    # a serial reads the same alone as beside others
    assert dates(s(cells[2]))[0] == [None]
    assert dates(s(cells[1]))[0] == ["2192-04-07 00:00:00"]


# --- times and date parts ---------------------------------------------------------------


def test_clock_texts():
    texts = s("13:04", "1304", "1:04 PM", "12:30 am", "13:04:05", "930", "25:00", "noon", None)
    got = V.parse_time_text(texts)
    assert [None if pd.isna(v) else int(v.total_seconds()) for v in got] == [
        47040,
        47040,
        47040,
        1800,
        47045,
        34200,
        None,
        None,
        None,
    ]


def test_time_of_day_from_cells_fractions_and_text():
    cells = pd.Series(pd.to_datetime(["1899-12-31 13:04", "1899-12-31 00:30"]))
    assert V.parse_time_of_day(cells, "T")[0].tolist() == [
        pd.Timedelta("13:04:00"),
        pd.Timedelta("00:30:00"),
    ]
    assert V.parse_time_of_day(s(0.5, 0.75), "T")[0].tolist() == [
        pd.Timedelta("12:00:00"),
        pd.Timedelta("18:00:00"),
    ]
    value, notes = V.parse_time_of_day(s("1899-12-31 13:04:00", "8:15", "late"), "T")
    assert value.iloc[:2].tolist() == [pd.Timedelta("13:04:00"), pd.Timedelta("08:15:00")]
    assert pd.isna(value.iloc[2])
    assert notes == ["T: 1 values are not times of day (e.g. 'late') and are left blank."]


@pytest.mark.parametrize(
    ("part", "cells", "expected"),
    [
        ("year", ["2014", 2015, "1850"], [2014, 2015, None]),
        ("month", ["January", "feb", "Sept", "12", 3, "13"], [1, 2, 9, 12, 3, None]),
        ("day", ["1", "31", "32"], [1, 31, None]),
        ("hour", ["0", "23", "13:00", "1300", "24"], [0, 23, 13, 13, None]),
        ("weekday", ["Monday", "sun", "Thurs", "3"], [0, 6, 3, 3]),
    ],
)
def test_date_parts(part, cells, expected):
    value, notes = V.parse_part(pd.Series(cells, dtype=object), part, "P")
    assert [None if v is NA else int(v) for v in value] == expected
    assert bool(notes) == (None in expected)


# --- numbers and categories ---------------------------------------------------------------


def test_numbers_stored_as_text():
    value, notes = V.parse_number(s("1,204", "3", None, "$2,000.50", "abc"), "Hours")
    assert value.tolist()[:2] == [1204.0, 3.0]
    assert value.iloc[3] == 2000.5
    assert value.isna().tolist() == [False, False, True, False, True]
    assert notes == [
        "Hours: 3 numbers read from text.",
        "Hours: 1 values were not numbers (e.g. 'abc') and are left blank.",
    ]
    value, notes = V.parse_number(s(1, 2), "Hours")
    assert (value.dtype, value.tolist(), notes) == ("float64", [1.0, 2.0], [])


def test_categories_are_trimmed_and_cased_consistently():
    value, notes = V.clean_category(s("NORTH", "North ", "North", " north", "South", None))
    assert value.tolist()[:5] == ["North", "North", "North", "North", "South"]
    assert pd.isna(value.iloc[5])
    assert list(value.cat.categories) == ["North", "South"]
    assert notes == ["2 values written in another case were unified (e.g. 'NORTH' -> 'North')."]


def test_as_text_of_whole_floats_and_spaces():
    assert V.as_text(s(12.0, 3.5, None)).tolist()[:2] == ["12", "3.5"]
    assert V.as_text(s("  A   B ", "", None)).tolist()[0] == "A B"
    assert V.as_text(s("  A   B ", "", None)).isna().tolist() == [False, True, True]
