"""From a file to canonical records: every quirk of real exports, with every row accounted
for (rows_in == rows_loaded + rows_rejected is checked by the `ingest_file` fixture)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import KEY, TORONTO, TORONTO_MAPPING, VERA, VERA_SHEETS, real_file

from pmhc.ingest import pipeline as ingest
from pmhc.ingest.pseudonyms import pseudonymise
from pmhc.ingest.reading import UnreadableFile
from pmhc.storage import dataset

HEADER = ["Inc #", "Rcvd Dt/Tm", "Call Type", "Dist", "Disp Code", "Subject Name", "Narrative"]


def call(i: int, district: str = "North", disposition: str = "Mobile Crisis Team") -> list:
    return [
        f"24-{i:04d}",
        dt.datetime(2024, 1, 1 + i % 28, 8 + i % 12, 30),
        "Suicide Threat" if i % 2 else "Person in Crisis",
        district,
        disposition,
        f"Jane Roe {i}",
        f"Narrative text {i}",
    ]


def quirk_sheet() -> list[list]:
    """Three title rows, a spacer, the header, a spacer, 6 calls, the header repeated (a
    paged report), 4 more calls, a spacer and a totals footer."""
    return [
        ["Riverside Police Department"],
        ["Calls for Service - Mental Health"],
        ["Report run 2024-02-01 06:00 by CAD"],
        [],
        HEADER,
        [],
        *[call(i) for i in range(6)],
        HEADER,
        *[call(i, "NORTH ", "Subject Arrested") for i in range(6, 10)],
        [],
        ["Total Records: 7,446"],
    ]


def by_sheet(loaded: list[ingest.Loaded]) -> dict[str | None, ingest.Loaded]:
    return {x.report.sheet: x for x in loaded}


@pytest.fixture
def quirk_workbook(write_xlsx):
    return write_xlsx(
        "cad_export.xlsx",
        {
            "CAD Export": quirk_sheet(),
            "Report Parameters": [
                ["Parameter", "Value"],
                ["Start Date", "01/01/2024"],
                ["End Date", "01/31/2024"],
                ["District", "All"],
                ["Call Types", "Mental health (MH flag = Y)"],
            ],
            "Summary": [
                ["Calls by district"],
                [],
                ["Year", "District", "Calls", "Arrests"],
                [2024, "North", 10, 4],
                [2024, "Total", 10, 4],
            ],
        },
    )


def test_quirk_workbook_row_accounting(quirk_workbook, ingest_file):
    sheets = by_sheet(ingest_file(quirk_workbook))
    calls = sheets["CAD Export"]
    r = calls.report
    assert (r.kind, r.header_row) == ("calls", 5)
    # 10 calls + the repeated header + the footer; blank rows are not rows
    assert (r.rows_in, r.rows_loaded, r.rows_rejected) == (12, 10, 2)
    assert calls.rejected[["row", "reason"]].values.tolist() == [
        [13, "repeated header row"],
        [19, "report footer or totals row"],
    ]
    assert calls.records["incident_id"].tolist() == [f"24-{i:04d}" for i in range(10)]
    assert r.mapping == {
        "incident_id": "Inc #",
        "received_at": "Rcvd Dt/Tm",
        "call_type_final": "Call Type",
        "district": "Dist",
        "disposition": "Disp Code",
    }
    assert r.personal_data_dropped == ["Subject Name", "Narrative"]
    # The repeated header and the footer are not read as values: no "not a date" note.
    assert r.notes == [
        "Dist: 4 values written in another case were unified (e.g. 'NORTH' -> 'North').",
        # The load report counts MH calls by route now (issue 11): 10 by the final type.
        "Mental-health calls identified: 10 by final call type.",
        # The title row names MH calls: offered as a declaration, not applied (issue 11).
        "The export's title or parameters name mental-health calls ('Calls for Service - "
        "Mental Health'): if every call in it is one, declare it (Data page: 'Every call in "
        "this file is a mental-health call'; command line: --all-mh).",
    ]
    assert r.mh_title == "Calls for Service - Mental Health"
    # 'NORTH ' and 'North' are one district, and the report says so
    assert calls.records["district"].astype(str).unique().tolist() == ["North"]
    assert "Dist: 4 values written in another case were unified (e.g. 'NORTH' -> 'North')." in (
        r.notes
    )


def test_sheets_without_records_are_reported_with_a_note(quirk_workbook, ingest_file):
    sheets = by_sheet(ingest_file(quirk_workbook))
    for name in ("Report Parameters", "Summary"):
        r = sheets[name].report
        assert r.kind is None
        assert "not loaded" in r.note
        assert (r.rows_in, r.rows_loaded, r.rows_rejected) == (0, 0, 0)
        assert sheets[name].records is None


def test_personal_data_never_reaches_records_or_rejected_rows(quirk_workbook, ingest_file):
    calls = by_sheet(ingest_file(quirk_workbook))["CAD Export"]
    for frame in (calls.records, calls.rejected):
        text = frame.astype(str).to_csv()
        assert "Roe" not in text and "Narrative text" not in text
        assert not {"Subject Name", "Narrative"} & set(frame.columns)


def test_footer_in_an_unmapped_first_column_is_still_accounted_for(write_xlsx, ingest_file):
    # Column A holds names (never mapped): the footer and a name-only row are rows all the
    # same; they used to vanish as "blank" because only mapped columns were looked at.
    header = ["Subject Name", "Inc #", "Rcvd Dt/Tm", "Call Type", "Dist"]
    rows = [["Jane Roe", f"A{i}", dt.datetime(2024, 3, i + 1, 9), "EDP", "East"] for i in range(5)]
    path = write_xlsx(
        "names_first.xlsx",
        {"Calls": [header, *rows, ["Jane Roe"], ["Total Records:", "5"], ["Page 1 of 1"]]},
    )
    (loaded,) = ingest_file(path)
    r = loaded.report
    assert (r.rows_in, r.rows_loaded, r.rows_rejected) == (8, 5, 3)
    assert loaded.rejected[["row", "reason"]].values.tolist() == [
        [7, "no incident number"],
        [8, "report footer or totals row"],
        [9, "report footer or totals row"],
    ]
    assert "Jane" not in loaded.rejected.to_csv()


def test_footer_with_its_count_in_the_next_column(write_xlsx, ingest_file):
    rows = [[f"A{i}", dt.datetime(2024, 3, i + 1, 9), "EDP", "East"] for i in range(3)]
    path = write_xlsx("footer.xlsx", {"Calls": [HEADER[:4], *rows, ["Total Records:", 45000.0]]})
    (loaded,) = ingest_file(path)
    assert loaded.rejected["reason"].tolist() == ["report footer or totals row"]


def test_sheet_offset_from_a1(write_xlsx, ingest_file):
    pad = [None, None]
    rows = [[*pad, f"A{i}", dt.datetime(2024, 3, i + 1, 9), "EDP", "East"] for i in range(3)]
    path = write_xlsx("offset.xlsx", {"Calls": [[], [*pad, "Calls"], [*pad, *HEADER[:4]], *rows]})
    (loaded,) = ingest_file(path)
    assert (loaded.report.header_row, loaded.report.rows_loaded) == (3, 3)
    assert loaded.records["incident_id"].tolist() == ["A0", "A1", "A2"]


def test_rows_without_id_or_readable_date_are_rejected_with_reasons(write_xlsx, ctx, ingest_file):
    rows = [
        ["A1", "01/06/2024 13:04", "EDP", "East"],
        [None, "01/06/2024 13:04", "EDP", "East"],
        ["A3", "someday", "EDP", "East"],
        ["A4", "01/06/1985", "EDP", "East"],
        ["A5", "01/06/2031", "EDP", "East"],
        ["A6", None, None, "East"],
    ]
    path = write_xlsx("bad_rows.xlsx", {"Calls": [HEADER[:4], *rows]})
    (loaded,) = ingest_file(path)
    assert loaded.records["incident_id"].tolist() == ["A1"]
    assert loaded.rejected[["row", "reason"]].values.tolist() == [
        [3, "no incident number"],
        [4, "no readable received date"],
        [5, "received date out of range (1985-01-06)"],
        [6, "received date out of range (2031-01-06)"],
        [7, "no readable received date"],
    ]
    # the original values are offered back with each rejected row
    assert loaded.rejected.loc[1, "Rcvd Dt/Tm"] == "someday"


def test_date_and_time_in_separate_columns(write_xlsx, ingest_file):
    header = ["Inc #", "Rcvd Dt", "Rcvd Tm", "Call Type", "District"]
    typed = [
        ["A1", dt.date(2024, 1, 6), dt.time(13, 4), "EDP", "N"],
        ["A2", dt.date(2024, 1, 7), dt.time(0, 30), "EDP", "N"],
    ]
    text = [
        ["B1", "13/01/2024", "1304", "EDP", "N"],
        ["B2", "14/01/2024", "1:04 PM", "EDP", "N"],
        ["B3", "15/01/2024", "25:00", "EDP", "N"],
        ["B4", "16/01/2024", None, "EDP", "N"],
    ]
    path = write_xlsx("split.xlsx", {"Typed": [header, *typed], "Text": [header, *text]})
    sheets = by_sheet(ingest_file(path))
    typed_rec = sheets["Typed"].records
    assert typed_rec["received_at"].astype(str).tolist() == [
        "2024-01-06 13:04:00",
        "2024-01-07 00:30:00",
    ]
    assert typed_rec["hour"].tolist() == [13, 0]
    text_rec = sheets["Text"].records
    assert text_rec["received_at"].astype(str).tolist() == [
        "2024-01-13 13:04:00",
        "2024-01-14 13:04:00",
        "2024-01-15 00:00:00",
        "2024-01-16 00:00:00",
    ]
    # An unreadable or missing time is an unknown hour, not midnight.
    assert text_rec["hour"].tolist()[:2] == [13, 13]
    assert text_rec["hour"].isna().tolist() == [False, False, True, True]
    assert text_rec["weekday"].tolist() == [5, 6, 0, 1]
    notes = sheets["Text"].report.notes
    assert "Rcvd Dt: 4 dates read from text, day-first." in notes
    assert "Rcvd Tm: 1 values are not times of day (e.g. '25:00') and are left blank." in notes
    assert "Date and time combined from 'Rcvd Dt' and 'Rcvd Tm'." in notes


def test_date_from_year_month_day_hour_parts(write_xlsx, ingest_file):
    header = ["Year", "Month", "Day", "Hour", "Call Type", "District", "Inc #"]
    rows = [
        [2024, "March", 5, 14, "EDP", "N", "A"],
        [2024, 12, 31, 0, "EDP", "N", "B"],
        [2024, "Sept", 1, "23", "EDP", "N", "C"],
        [2024, "13", 1, "23", "EDP", "N", "D"],
        [2023, "Feb", 29, 1, "EDP", "N", "E"],
    ]
    (loaded,) = ingest_file(write_xlsx("parts.xlsx", {"Calls": [header, *rows]}))
    assert loaded.records["received_at"].astype(str).tolist() == [
        "2024-03-05 14:00:00",
        "2024-12-31 00:00:00",
        "2024-09-01 23:00:00",
    ]
    assert loaded.records["weekday"].tolist() == [1, 1, 6]
    assert loaded.rejected[["row", "reason"]].values.tolist() == [
        [5, "no readable received date"],
        [6, "no readable received date"],
    ]
    assert loaded.report.date_precision == "day"
    assert "Dates built from 'Year', 'Month', 'Day', 'Hour'." in loaded.report.notes


def test_1904_workbook_typed_and_serial_dates(write_xlsx, ingest_file):
    # The same days as typed date cells and as bare serial numbers counted from 1904.
    header = ["Inc #", "Received Date", "Call Type", "District"]
    rows = [
        ["A1", dt.datetime(2024, 1, 6, 13, 4), "EDP", "N"],
        ["A2", dt.datetime(2024, 2, 7), "EDP", "N"],
    ]
    serial = [["S1", 45297.5 - 1462, "EDP", "N"], ["S2", 45329 - 1462, "EDP", "N"]]
    mixed = [rows[0], serial[1], ["M3", "03/15/2024", "EDP", "N"]]
    path = write_xlsx(
        "mac.xlsx",
        {"Typed": [header, *rows], "Serial": [header, *serial], "Mixed": [header, *mixed]},
        date1904=True,
    )
    sheets = by_sheet(ingest_file(path))
    assert all(x.report.date1904 for x in sheets.values())
    got = {name: x.records["received_at"].astype(str).tolist() for name, x in sheets.items()}
    assert got == {
        "Typed": ["2024-01-06 13:04:00", "2024-02-07 00:00:00"],
        "Serial": ["2024-01-06 12:00:00", "2024-02-07 00:00:00"],
        "Mixed": ["2024-01-06 13:04:00", "2024-02-07 00:00:00", "2024-03-15 00:00:00"],
    }
    assert "Received Date: 2 dates read from Excel serial numbers." in sheets["Serial"].report.notes


def test_1900_workbook_serial_dates(write_xlsx, ingest_file):
    header = ["Inc #", "Received Date", "Call Type", "District"]
    path = write_xlsx("pc.xlsx", {"S": [header, ["S1", 45297.5, "EDP", "N"]]})
    (loaded,) = ingest_file(path)
    assert not loaded.report.date1904
    assert loaded.records["received_at"].tolist() == [pd.Timestamp("2024-01-06 12:00")]


def test_flags_and_numbers_from_real_looking_cells(write_xlsx, ingest_file):
    header = ["Inc #", "Date", "Call Type", "District", "Use of Force", "Arrest Made", "Veteran"]
    rows = [
        ["A1", "2024-01-06", "EDP", "N", "X", "Yes", "Y"],
        ["A2", "2024-01-07", "EDP", "N", None, "No", "U"],
        ["A3", "2024-01-08", "EDP", "N", None, "YES", "N"],
    ]
    (loaded,) = ingest_file(write_xlsx("flags.xlsx", {"Calls": [header, *rows]}))
    rec = loaded.records
    assert rec["use_of_force"].tolist() == [True, False, False]
    assert rec["is_arrest"].tolist() == [True, False, True]
    assert rec["veteran"].tolist()[::2] == [True, False] and pd.isna(rec["veteran"].iloc[1])
    assert loaded.report.notes[:2] == [
        "Use of Force: the column marks only 'yes'; 2 blanks read as no.",
        "Veteran: 1 values were not yes/no ('U') and are treated as unknown.",
    ]


def test_person_ids_are_pseudonymised(write_xlsx, ingest_file):
    header = ["Inc #", "Date", "Call Type", "District", "Subject MNI"]
    rows = [
        ["A1", "2024-01-06", "EDP", "N", "MNI0004512"],
        ["A2", "2024-01-07", "EDP", "N", " mni0004512 "],
        ["A3", "2024-01-08", "EDP", "N", None],
    ]
    (loaded,) = ingest_file(write_xlsx("p.xlsx", {"Calls": [header, *rows]}))
    ids = loaded.records["person_id"]
    expected = pseudonymise(pd.Series(["MNI0004512"]), KEY).iloc[0]
    assert ids.tolist()[:2] == [expected, expected]
    assert pd.isna(ids.iloc[2])
    assert "4512" not in loaded.records.astype(str).to_csv()


def test_no_incident_number_counts_each_row(write_text, ingest_file):
    path = write_text("x.csv", [["Date", "Call Type", "District"], ["2024-01-06", "EDP", "N"]] * 1)
    (loaded,) = ingest_file(path)
    assert loaded.records["incident_id"].tolist() == ["row-1"]
    assert "There is no incident number column: each row is counted as one call." in (
        loaded.report.notes
    )


def test_all_mh_declaration(write_text, ctx, ingest_file):
    rows = [["Inc #", "Date", "Call Type", "District"], ["1", "2024-01-06", "THEFT", "N"]]
    path = write_text("x.csv", rows)
    assert ingest_file(path)[0].records["mh"].tolist() == [False]
    ctx.all_mh = True
    assert ingest_file(path, ctx)[0].records["mh"].tolist() == [True]


def test_mh_by_flag_or_call_type_and_the_routes_are_a_setting(write_text, ingest_file, ctx):
    rows = [
        ["Inc #", "Date", "Call Type", "District", "MH Flag"],
        ["1", "2024-01-06", "THEFT", "N", "Y"],
        ["2", "2024-01-06", "SUICIDE THREAT", "N", "N"],
        ["3", "2024-01-06", "SUICIDE THREAT", "N", None],
        ["4", "2024-01-06", "THEFT", "N", None],
    ]
    path = write_text("x.csv", rows)
    (loaded,) = ingest_file(path)
    # The old rule (the flag wins) dropped call 2, typed SUICIDE THREAT but flagged N. By
    # default a call is MH by its final type, initial type or the CAD's flag: 1 by the flag,
    # 2 and 3 by the final type; 4 is unknown (THEFT by type, but the flag is blank), and
    # so not among the MH calls counted.
    assert loaded.records["mh"].astype(object).fillna("?").tolist() == [True, True, True, "?"]
    assert loaded.records["mh_route"].astype(object).fillna("-").tolist() == [
        "flag",
        "final",
        "final",
        "-",
    ]
    assert "Mental-health calls identified: 2 by final call type, 1 by the CAD's " in " ".join(
        loaded.report.notes
    )
    ctx.mh_routes = ("flag",)  # only the CAD's flag: a blank flag is unknown, not no
    (only_flag,) = ingest_file(path, ctx)
    assert only_flag.records["mh"].astype(object).fillna("?").tolist() == [True, False, "?", "?"]


# --- several rows per incident --------------------------------------------------------------

SEATTLE_HEADER = [
    "Template ID",
    "Reported Date",
    "Reported Time",
    "Call Type",
    "Final Call Type",
    "Disposition",
    "Use of Force Indicator",
    "Precinct",
    "Subject ID",
]


def test_rows_collapse_to_incidents(write_xlsx, ingest_file):
    """Three incidents in five rows, one row per disposition as in Seattle's crisis data."""
    rows = [
        ["T1", "2024-01-06", "13:04", "911", "PERSON IN CRISIS", "Mobile Crisis Team", "N"]
        + ["North", "p1"],
        ["T1", "2024-01-06", "15:10", "911", "PERSON IN CRISIS", "Subject Arrested", "Y"]
        + ["North", "p1"],
        ["T2", "2024-01-07", "09:00", "ONVIEW", "SUICIDE", "Crisis Clinic", "N", "South", "p2"],
        ["T3", "2024-01-08", "22:00", "911", "SUICIDE", "Unable to Contact", "N", "South", "p1"],
        ["T3", "2024-01-08", "21:00", "911", "SUICIDE", "Resources Declined", "N", "South", "p1"],
    ]
    (loaded,) = ingest_file(write_xlsx("seattle.xlsx", {"Crisis": [SEATTLE_HEADER, *rows]}))
    assert loaded.report.mapping["call_source"] == "Call Type"
    ds = dataset.build([loaded], "test")
    assert len(ds.call_rows) == 5
    inc = ds.calls.set_index("incident_id")
    assert list(inc.index) == ["T1", "T2", "T3"]
    assert inc["rows"].tolist() == [2, 1, 2]
    # T1: a connection row and an arrest row: arrest wins the disposition, with that row's
    # text; force on any row counts. An arrest is never a connection (issue 11; it used to
    # count toward both), though the hand-off stays visible as a component.
    assert inc.loc["T1", "disposition_group"] == "arrest"
    assert inc.loc["T1", "disposition"] == "Subject Arrested"
    assert bool(inc.loc["T1", "is_arrest"]) and not bool(inc.loc["T1", "is_connection"])
    assert bool(inc.loc["T1", "conn_handoff"])
    assert bool(inc.loc["T1", "use_of_force"])
    assert inc.loc["T2", "disposition_group"] == "connection"
    assert inc.loc["T3", "disposition_group"] == "resolved"  # resolved beats no contact
    assert not inc.loc["T3", "is_arrest"] and not inc.loc["T3", "is_connection"]
    # The earliest row gives the time, and its hour goes with it (not the arrest row's).
    assert inc["received_at"].astype(str).tolist() == [
        "2024-01-06 13:04:00",
        "2024-01-07 09:00:00",
        "2024-01-08 21:00:00",
    ]
    assert inc["hour"].tolist() == [13, 9, 21]
    assert inc["time_band"].astype(str).tolist() == ["Day 07-15", "Day 07-15", "Evening 15-23"]
    assert inc["call_source"].astype(str).tolist() == ["911", "ONVIEW", "911"]
    assert inc["person_id"].nunique() == 2


# --- other record kinds --------------------------------------------------------------------


def test_training_roster_and_services_sheets(write_xlsx, ingest_file):
    path = write_xlsx(
        "personnel.xlsx",
        {
            "Roster": [
                ["Personnel roster"],
                ["Badge #", "Employee Name", "Rank", "Assignment", "District", "Shift", "Status"],
                ["101", "A B", "Officer", "Patrol", "North", "Days", "Active"],
                ["102", "C D", "Sergeant", "Patrol", "North", "Nights", "Active"],
                ["103", "E F", "Captain", "Command", "HQ", "Days", "Retired"],
                ["101", "A B", "Officer", "Patrol", "North", "Days", "Active"],
            ],
            "Training": [
                ["Badge #", "Course Title", "Completion Date", "Hours", "Status"],
                [101, "Crisis Intervention Team (CIT) 40-Hour Basic", "03/15/2023", 40, "Complete"],
                [101, "CIT In-Service Refresher", "03/15/2024", "8", "Complete"],
                [102, "De-escalation", "02/13/2024", 4, "No Show"],
                [None, "De-escalation", "02/13/2024", 4, "Complete"],
            ],
            "Services": [
                ["Service Name", "Service Type", "Hours of Operation", "Police Drop-off"],
                ["988 Lifeline", "Crisis line", "24/7", "N"],
                ["County MCT", "Mobile crisis team", "8am-10pm", "N"],
                ["Crisis Center", "Crisis stabilization", "24 hours", "Y"],
            ],
        },
    )
    sheets = by_sheet(ingest_file(path))
    roster = sheets["Roster"]
    assert (roster.report.kind, roster.report.header_row) == ("roster", 2)
    assert roster.report.personal_data_dropped == ["Employee Name"]
    assert roster.rejected["reason"].tolist() == ["officer id listed twice (the first row is used)"]
    assert roster.records["role_group"].astype(str).tolist() == ["patrol", "supervisor", "command"]
    assert roster.records["active"].tolist() == [True, True, False]

    training = sheets["Training"]
    assert training.report.kind == "training"
    assert training.records["officer_id"].tolist() == ["101", "101", "102"]
    assert training.records["course_type"].tolist() == ["cit_40", "in_service", "de_escalation"]
    assert training.records["completed"].tolist() == [True, True, False]
    assert training.records["hours"].tolist() == [40.0, 8.0, 4.0]
    assert training.records["completed_on"].astype(str).tolist() == [
        "2023-03-15",
        "2024-03-15",
        "2024-02-13",
    ]
    assert training.rejected["reason"].tolist() == ["no officer id"]

    services = sheets["Services"]
    assert services.report.kind == "services"
    assert services.records["service_group"].tolist() == [
        "crisis_line",
        "mobile_crisis",
        "crisis_stabilisation",
    ]
    assert services.records["always_open"].tolist() == [True, False, True]
    assert services.records["police_dropoff"].tolist() == [False, False, True]


# --- formats ------------------------------------------------------------------------------


def test_html_table_saved_as_xls(write_text, ingest_file):
    html = (
        "<html><body><h1>Calls</h1><table>"
        "<tr><th>Inc #</th><th>Rcvd Dt/Tm</th><th>Call Type</th><th>District</th></tr>"
        "<tr><td>0012</td><td>01/06/2024 13:04</td><td>Suicide</td><td>Café</td></tr>"
        "<tr><td>0013</td><td>01/13/2024 08:30</td><td>EDP</td><td>North</td></tr>"
        "<tr><td>Total Records: 2</td><td></td><td></td><td></td></tr>"
        "</table></body></html>"
    )
    (loaded,) = ingest_file(write_text("calls.xls", html, encoding="cp1252"))
    r = loaded.report
    assert (r.sheet, r.kind, r.header_row, r.rows_in, r.rows_loaded) == (
        "Table 1",
        "calls",
        1,
        3,
        2,
    )
    assert loaded.records["incident_id"].tolist() == ["0012", "0013"]
    assert loaded.records["district"].astype(str).tolist() == ["Café", "North"]
    assert loaded.records["received_at"].astype(str).tolist() == [
        "2024-01-06 13:04:00",
        "2024-01-13 08:30:00",
    ]


def test_xml_spreadsheet_2003_saved_as_xls(write_text, ingest_file):
    def cell(v, t="String", index=None):
        at = f' ss:Index="{index}"' if index else ""
        return f'<Cell{at}><Data ss:Type="{t}">{v}</Data></Cell>'

    rows = [
        f"<Row>{cell('Calls for service')}</Row>",
        '<Row ss:Index="3">' + "".join(cell(h) for h in HEADER[:4]) + "</Row>",
        "<Row>"
        + cell("A1")
        + cell("2024-01-06T13:04:00.000", "DateTime")
        + cell("Suicide")
        + cell("North")
        + "</Row>",
        "<Row>" + cell("A2") + cell("45297.5", "Number") + cell("South", index=4) + "</Row>",
        '<Row ss:Index="7">' + cell("Total Records: 2") + "</Row>",
    ]
    xml = (
        '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        '<Worksheet ss:Name="Notes"><Table><Row>' + cell("Exported by CAD") + "</Row></Table>"
        '</Worksheet><Worksheet ss:Name="Calls"><Table>' + "".join(rows) + "</Table></Worksheet>"
        "</Workbook>"
    )
    notes, calls = ingest_file(write_text("calls.xls", xml))
    assert (notes.report.sheet, notes.report.kind) == ("Notes", None)
    r = calls.report
    assert (r.sheet, r.kind, r.header_row) == ("Calls", "calls", 3)
    assert (r.rows_in, r.rows_loaded, r.rows_rejected) == (3, 2, 1)
    assert calls.records["received_at"].astype(str).tolist() == [
        "2024-01-06 13:04:00",
        "2024-01-06 12:00:00",
    ]
    assert calls.rejected[["row", "reason"]].values.tolist() == [[7, "report footer or totals row"]]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", True), ("cp1252", False)])
def test_csv_end_to_end(write_text, ingest_file, delimiter, encoding, bom):
    rows = [
        ["Calls export"],
        [],
        HEADER[:4],
        ["A1", "01/06/2024 13:04", "Suicide", "Café"],
        ["A2", "01/07/2024 13:04", "EDP", "café"],
        ["A3", "01/08/2024 13:04", "EDP", "North"],
    ]
    path = write_text("calls.csv", rows, delimiter=delimiter, encoding=encoding, bom=bom)
    (loaded,) = ingest_file(path)
    assert (loaded.report.header_row, loaded.report.rows_loaded) == (3, 3)
    assert loaded.records["district"].astype(str).tolist() == ["Café", "Café", "North"]


def test_unusable_file_raises(tmp_path, ctx):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(UnreadableFile):
        ingest.ingest_file(path, ctx)


# --- real files -----------------------------------------------------------------------------


def test_vera_crosswalk_holds_no_records(ingest_file):
    """The crosswalk's sheets are lookup and presentation tables, not calls: none is loaded,
    each says why, and the presentation sheet with its blank rows and columns too."""
    loaded = by_sheet(ingest_file(real_file(VERA)))
    assert list(loaded) == VERA_SHEETS
    for sheet, item in loaded.items():
        assert item.report.kind is None, sheet
        assert "not loaded" in item.report.note, sheet
        assert item.records is None


def test_toronto_ingest(ingest_file):
    (loaded,) = ingest_file(real_file(TORONTO))
    r = loaded.report
    assert (r.sheet, r.kind, r.header_row) == (None, "calls", 1)
    assert (r.rows_in, r.rows_loaded, r.rows_rejected) == (31944, 31944, 0)
    assert r.mapping == TORONTO_MAPPING
    assert r.date_precision == "month"
    rec = loaded.records
    assert rec["received_at"].min() == pd.Timestamp("2014-01-01")
    assert rec["received_at"].dt.day.eq(1).all()
    assert rec["hour"].between(0, 23).all() and rec["weekday"].between(0, 6).all()
    first = rec.iloc[0]  # 2014, January, Wednesday, hour 4, Suicide-related, D51
    assert (first["received_at"], first["hour"], first["weekday"]) == (
        pd.Timestamp("2014-01-01 04:00"),
        4,
        2,
    )


# --- uploads: the Data page's choices on top of the automatic reading -------------------------


def test_upload_choices_skip_force_kind_and_header_row(quirk_workbook, ctx, workspace):
    from pmhc.storage import datasets as store
    from pmhc.storage.uploads import SheetChoice, ingest_upload, save_uploads

    data = quirk_workbook.read_bytes()
    choices = {
        "Report Parameters": SheetChoice(skip=True),
        "CAD Export": SheetChoice(fields={"call_type_initial": "Call Type"}, all_mh=True),
    }
    loaded = {x.report.sheet: x for x in ingest_upload("upload.xlsx", data, ctx, choices)}
    assert loaded["Report Parameters"].report.note.startswith("Not loaded: you chose")
    calls = loaded["CAD Export"]
    assert calls.report.path == "upload.xlsx"
    assert calls.report.mapping["call_type_initial"] == "Call Type"
    assert "call_type_final" not in calls.report.mapping
    assert (calls.report.rows_in, calls.report.rows_loaded) == (12, 10)
    assert calls.records["mh"].all()

    # Saved to the workspace and read back: the same counts, nothing personal stored.
    file_hash = store.file_hash(data)
    ds, ds_id = save_uploads(
        workspace, [("upload.xlsx", data)], {(file_hash, s): c for s, c in choices.items()}
    )
    assert store.current_id(workspace.datasets_dir) == ds_id
    back = store.load(workspace.datasets_dir, ds_id)
    assert len(back.calls) == len(ds.calls) == 10
    assert [r.rows_rejected for r in back.reports if r.kind] == [2]
    saved = "".join(t.astype(str).to_csv() for t in [back.calls, *back.rejected])
    assert "24-0009" in saved
    assert "Roe" not in saved and "Narrative text" not in saved


def test_repeated_column_name_is_reported_and_the_first_used(write_text, ingest_file):
    rows = [
        ["Inc #", "Date", "Call Type", "Date", "District"],
        ["A1", "2024-01-06", "EDP", "2024-02-01", "N"],
    ]
    (loaded,) = ingest_file(write_text("dup.csv", rows))
    assert loaded.report.repeated_headers == {"Date": [2, 4]}  # 1-based, as Excel shows
    assert "The column name 'Date' appears 2 times (columns 2, 4); the first one is used." in (
        loaded.report.notes
    )
    assert loaded.records["received_at"].tolist() == [pd.Timestamp("2024-01-06")]


def test_load_report_counts_coerced_rows(write_text, ingest_file):
    days = [f"{d}/{m:02d}/2023" for m in range(1, 13) for d in range(13, 29)]
    rows = [["Inc #", "Rcvd Date", "Call Type", "District"]]
    rows += [[f"A{i}", days[i % len(days)], "EDP", "N"] for i in range(1204)]
    (loaded,) = ingest_file(write_text("eu.csv", rows))
    assert loaded.report.rows_loaded == 1204
    assert "Rcvd Date: 1,204 dates read from text, day-first." in loaded.report.notes


def test_legacy_binary_xls_is_read_like_a_workbook(tmp_path, ingest_file):
    """A real BIFF .xls (Excel 97-2003), written with xlwt: title row, typed dates, a
    footer and a second sheet of report parameters."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("CAD")
    sheet.write(0, 0, "Mental health calls, January 2024")
    for j, h in enumerate(
        ["Incident #", "Rcvd Date", "Rcvd Time", "Final Call Type", "District", "Disposition"]
    ):
        sheet.write(2, j, h)
    date = xlwt.easyxf(num_format_str="MM/DD/YYYY")
    rows = [
        ("A1", dt.datetime(2024, 1, 5), "08:10", "SUICIDE THREAT", "North", "Subject Arrested"),
        (
            "A2",
            dt.datetime(2024, 1, 13),
            "22:45",
            "PERSON IN CRISIS",
            "South",
            "Mobile Crisis Team",
        ),
        ("A3", dt.datetime(2024, 1, 20), "03:05", "TRESPASS", "South", "Report Written"),
    ]
    for i, row in enumerate(rows, start=3):
        for j, value in enumerate(row):
            sheet.write(i, j, value, date if j == 1 else xlwt.Style.default_style)
    sheet.write(7, 0, "Total Records: 3")
    book.add_sheet("Parameters").write(0, 0, "Run by: records unit")
    path = tmp_path / "legacy.xls"
    book.save(str(path))

    cad, params = ingest_file(path)
    report = cad.report
    assert (report.kind, report.header_row) == ("calls", 3)
    assert (report.rows_in, report.rows_loaded, report.rows_rejected) == (4, 3, 1)
    assert cad.rejected["reason"].tolist() == ["report footer or totals row"]
    assert cad.records["received_at"].tolist() == [
        pd.Timestamp("2024-01-05 08:10"),
        pd.Timestamp("2024-01-13 22:45"),
        pd.Timestamp("2024-01-20 03:05"),
    ]
    assert cad.records["mh"].tolist() == [True, True, False]
    assert params.report.kind is None and params.report.note
