"""Issue 22, part 2: the mapper reads values as well as names. A column whose values do not
fit a field's kind is never mapped to it, a mapped one whose values mostly fail says so, an
unmapped one that looks like a field is suggested, CAD abbreviations and records-system
phrasings are known, and the load report says what it read (times, not "dates")."""

from __future__ import annotations

import pandas as pd
import pytest

from pmhc.analysis import metrics as M
from pmhc.analysis.stats import Rate
from pmhc.domain import schema
from pmhc.ingest import mapping as mp
from pmhc.ingest import pipeline as ingest
from pmhc.ingest import value_kinds as vk
from pmhc.ingest.reading import open_tables
from pmhc.storage import dataset

# --------------------------------------------------------------------- value kinds


@pytest.mark.parametrize(
    ("kind", "samples", "bad"),
    [
        ("flag", ["Y", "N", "yes", "No", "TRUE", "0", "Unknown"], ["Unknown"]),
        ("id", ["24-00012", "N", "Y", "A1"], ["N", "Y"]),
        ("latitude", ["40.71", "-33.9", "Y", "91", "0"], ["Y", "91"]),
        ("longitude", ["-74.0", "151.2", "181", "N"], ["181", "N"]),
        ("time", ["13:20", "1:20 PM", "1304", "1899-12-30 13:20:00", "North"], ["North"]),
        ("date", ["2024-01-06", "Jan 6, 2024", "13:20", "71"], ["13:20", "71"]),
        ("datetime", ["2024-01-06 13:04", "13:20", "Y"], ["Y"]),
        ("number", ["8", "1,200", "$40", "eight"], ["eight"]),
        ("hour", ["0", "23", "24", "13:00"], ["24"]),
        ("weekday", ["Monday", "Tue", "Someday"], ["Someday"]),
        # a district may be called N; a column of nothing but yes and no is no category
        ("category", ["North", "N", "2", "13:20"], ["13:20"]),
        ("category", ["Y", "N", "N"], ["Y", "N", "N"]),
        ("text", ["Y", "13:20", "anything"], []),
    ],
)
def test_values_that_do_not_fit_a_kind(kind, samples, bad):
    assert vk.failing(kind, samples) == bad


def test_every_field_declares_a_known_kind_of_values():
    kinds = {f.value_kind for k in schema.KINDS.values() for f in k.fields}
    assert kinds <= set(schema.VALUE_KINDS)
    calls = schema.CALLS
    assert calls.field("incident_id").value_kind == "id"
    assert calls.field("latitude").value_kind == "latitude"
    assert calls.field("use_of_force").value_kind == "flag"
    assert calls.field("received_time").value_kind == "time"
    assert calls.field("use_of_force").label == "Use of force"
    assert calls.field("cit_requested").label == "CIT requested"


def test_a_sample_is_spread_over_the_column_and_skips_blanks():
    column = pd.Series(["", None, *[f"v{i}" for i in range(10_000)]], dtype="object")
    picked = vk.sample(column, n=50)
    assert len(picked) == 50 and "" not in picked
    assert int(picked[0][1:]) < 100 and int(picked[-1][1:]) > 9_800  # from start to end


# --------------------------------------------------------------------- header matching


def fields(headers, samples=None):
    matches = mp.match_columns(headers, schema.CALLS, samples)
    return {m.header: name for name, m in matches.items()}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("CIT Req", "cit_requested"),
        ("CIT Rqst Y/N", "cit_requested"),
        ("CIT Disp", "cit_dispatched"),
        ("CIT Arr", "cit_arrived"),
        ("Taken into Custody", "arrest"),
        ("Booked", "arrest"),
        ("Emergency Commitment", "involuntary_hold"),
        ("EC/Pink slip", "involuntary_hold"),
        ("On Scene", "arrived_at"),
        ("OnScene Time", "arrived_at"),
        ("Arrvd", "arrived_at"),
        ("Unit", "responder_type"),
        ("Unit ID", "responder_type"),
        ("Primary Unit", "responder_type"),
        ("Unit Type", "responder_type"),
        ("Force Y/N", "use_of_force"),
    ],
)
def test_cad_abbreviations_and_records_phrasings(header, field):
    assert fields(["Incident", header]).get(header) == field


@pytest.mark.parametrize(
    "header", ["Unit Count", "EC Number", "Final Disp", "Case Y/N", "Voluntary Commitment"]
)
def test_short_words_do_not_match_inside_other_headers(header):
    got = fields(["Incident", header]).get(header)
    assert got in (None, "disposition") and (got == "disposition") == (header == "Final Disp")


def test_values_rule_out_a_field_whatever_the_name():
    headers = ["Incident Number", "CIT Officer", "Force Y/N", "Patrol District", "Beat"]
    yes_no = ["Y", "N", "N", "Y"]
    samples = {0: ["24-001", "24-002"], 1: yes_no, 2: yes_no, 3: ["North"], 4: ["N1"]}
    # Names alone: the Y/N column is an officer id and Force Y/N's "y" a latitude.
    assert fields(headers)["CIT Officer"] == "officer_id"
    got = fields(headers, samples)
    assert "CIT Officer" not in got
    assert got["Force Y/N"] == "use_of_force"
    assert got["Patrol District"] == "district" and got["Beat"] == "beat"


# --------------------------------------------------------------------- a generated export

TRAP_HEADER = [
    "Incident Number",
    "CIT Officer",
    "Call Received",
    "Call Type",
    "Patrol District",
    "Beat",
    "Force Y/N",
    "CIT Rqst Y/N",
    "CIT Disp",
    "CIT Arr",
    "On Scene",
    "Taken into Custody",
    "EC/Pink slip",
    "Unit",
    "Hold Y/N",
]
N = 48


def trap_rows() -> list[list[str]]:
    """48 mental-health calls in January 2024 carrying every trap of the issue."""
    rows = []
    for i in range(N):
        hour = i * 7 % 24
        minute = 55 if hour == 23 else 10
        received = pd.Timestamp(f"2024-01-{1 + i % 28:02d} {hour:02d}:{minute:02d}")
        arrived = received + pd.Timedelta(minutes=10 + i % 5)  # 10 to 14 minutes later
        rows.append(
            [
                f"24-{i:05d}",
                "N" if i % 3 == 0 else "Y",
                received.strftime("%Y-%m-%d %H:%M"),
                "PERSON IN CRISIS",
                "North" if i % 2 else "South",
                f"B{i % 6}",
                "Y" if i % 8 == 0 else "N",  # 6 of 48
                "Y" if i % 2 == 0 else "N",  # 24
                "Y" if i % 4 == 0 else "N",  # 12
                "Y" if i % 6 == 0 else "N",  # 8
                arrived.strftime("%H:%M"),  # a time alone
                "Y" if i % 12 == 0 else "N",  # 4
                "Y" if i % 16 == 0 else "N",  # 3
                "MCIT 3" if i % 4 == 1 else f"2A1{i % 9}",  # 12 mobile crisis units
                "N",
            ]
        )
    return rows


@pytest.fixture
def trap(write_text, ingest_file) -> ingest.Loaded:
    (loaded,) = ingest_file(write_text("traps.csv", [TRAP_HEADER, *trap_rows()]))
    return loaded


def test_the_traps_map_correctly(trap):
    assert trap.report.mapping == {
        "incident_id": "Incident Number",
        "received_at": "Call Received",
        "call_type_final": "Call Type",
        "district": "Patrol District",
        "beat": "Beat",
        "use_of_force": "Force Y/N",
        "cit_requested": "CIT Rqst Y/N",
        "cit_dispatched": "CIT Disp",
        "cit_arrived": "CIT Arr",
        "arrived_at": "On Scene",
        "arrest": "Taken into Custody",
        "involuntary_hold": "EC/Pink slip",
        "responder_type": "Unit",
    }
    assert trap.report.misfits == []
    assert trap.report.rows_loaded == N


def test_the_figures_of_the_traps_come_out_right(trap):
    ds = dataset.build([trap], "traps")
    mh = ds.mh
    assert len(mh) == N
    assert M.outcome_rate(mh, "use_of_force") == Rate(6, N)
    assert M.outcome_rate(mh, "arrest") == Rate(4, N)
    assert M.outcome_rate(mh, "involuntary") == Rate(3, N)
    assert M.outcome_rate(mh, "cit_on_scene") == Rate(8, N)
    rec = trap.records
    assert int(rec["cit_requested"].sum()) == 24 and int(rec["cit_dispatched"].sum()) == 12
    assert int(rec["conn_handoff"].sum()) == 12  # the MCIT units
    assert mh["district"].value_counts().to_dict() == {"North": 24, "South": 24}
    # Arrival times put on the received date, the two past midnight on the next day.
    minutes = M.response_minutes(mh)
    assert len(minutes) == N
    assert sorted(minutes.unique().tolist()) == [10, 11, 12, 13, 14]
    assert minutes.median() == 12


def test_a_time_only_column_is_reported_as_times(trap):
    notes = " ".join(trap.report.notes)
    assert "On Scene: 48 times of day with no date, each put on its call's received date" in notes
    assert "(2 past midnight, on the next day)" in notes
    assert "written-out" not in notes and "dates read" not in notes


def test_an_unmapped_column_that_looks_like_a_field_is_suggested_not_mapped(trap, write_text, ctx):
    assert trap.report.suggestions == []  # the hold is EC/Pink slip: Hold Y/N is not offered
    keep = [i for i, h in enumerate(TRAP_HEADER) if h != "EC/Pink slip"]
    rows = [[r[i] for i in keep] for r in [TRAP_HEADER, *trap_rows()]]
    (table,) = open_tables(write_text("no_hold.csv", rows))
    loaded = ingest.ingest_table(table, ctx)
    assert "involuntary_hold" not in loaded.report.mapping
    assert loaded.report.suggestions == [
        {
            "column": "Hold Y/N",
            "field": "involuntary_hold",
            "sentence": "'Hold Y/N' looks like Involuntary hold: yes/no values — map it?",
        }
    ]


def test_a_hand_picked_column_whose_values_do_not_fit_says_so(write_text, ctx):
    (table,) = open_tables(write_text("traps.csv", [TRAP_HEADER, *trap_rows()]))
    auto = mp.propose(table.peek)
    chosen = mp.apply_overrides(auto, {"incident_id": "CIT Officer", "latitude": "Beat"})
    loaded = ingest.ingest_table(table, ctx, chosen)
    assert loaded.report.misfits == [
        "The column 'CIT Officer' is mapped to Incident ID, but 48 of the 48 values looked at "
        "are not identifiers (e.g. 'N', 'Y'): check that this is the right column.",
        "The column 'Beat' is mapped to Latitude, but 48 of the 48 values looked at are not "
        "latitudes between -90 and 90 (e.g. 'B0', 'B1', 'B2'): check that this is the right "
        "column.",
    ]
    assert set(loaded.report.misfits) <= set(loaded.report.notes)


# --------------------------------------------------------------------- the Data page


def test_the_data_page_warns_suggests_and_maps_on_request(monkeypatch, tmp_path):
    """A latitude column redacted past its first rows is mapped but warned of; Hold Y/N is
    offered, and mapped when the user clicks Map it."""
    from test_app import assert_clean, open_app, shown  # tests/ is on the path

    keep = [i for i, h in enumerate(TRAP_HEADER) if h != "EC/Pink slip"]
    rows = [[r[i] for i in keep] for r in trap_rows()]
    rows = [[*r, "40.7" if n < 30 else "REDACTED"] for n, r in enumerate(rows * 3)]
    export = pd.DataFrame(rows, columns=[*(TRAP_HEADER[i] for i in keep), "Latitude"])
    export["Incident Number"] = [f"24-{n:05d}" for n in range(len(export))]
    at = open_app(monkeypatch, tmp_path, "data")
    data = export.to_csv(index=False).encode()
    at.file_uploader(key="uploads").set_value([("traps.csv", data, "text/csv")])
    at.run()
    assert_clean(at)
    warnings = [shown(w.value) for w in at.warning]
    assert (
        "The column 'Latitude' is mapped to Latitude, but 114 of the 144 values looked at are "
        "not latitudes between -90 and 90 (e.g. 'REDACTED'): check that this is the right "
        "column."
    ) in warnings
    infos = [shown(i.value) for i in at.info]
    assert "'Hold Y/N' looks like Involuntary hold: yes/no values — map it?" in infos
    at.button(key="suggest-pending-0-0").click().run()
    assert_clean(at)
    new, _ = at.session_state["pending"]
    assert new.reports[0].mapping["involuntary_hold"] == "Hold Y/N"
    assert new.reports[0].suggestions == []


def test_a_date_column_next_to_a_time_column_is_the_date(write_text, ingest_file):
    """'Time Rcvd' reads as 'time received', a name of the received date too: its values
    (times alone) leave the received date to 'Date Rcvd'."""
    rows = [["Event No", "Date Rcvd", "Time Rcvd", "Call Type", "District"]]
    rows += [[f"E{i}", f"01/0{i}/2025", f"0{i}:10", "PERSON IN CRISIS", "Z1"] for i in (1, 2)]
    (loaded,) = ingest_file(write_text("split.csv", rows))
    assert loaded.report.mapping["received_at"] == "Date Rcvd"
    assert loaded.report.mapping["received_time"] == "Time Rcvd"
    assert loaded.records["received_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2025-01-01 01:10",
        "2025-01-02 02:10",
    ]


def test_times_in_a_date_column_are_not_read_as_today():
    from pmhc.ingest import values

    column = pd.Series(["13:20", "Jan 6, 2024", "2:05 PM"], dtype="str")
    when, notes = values.parse_datetime(column, "Received")
    assert when.isna().tolist() == [True, False, True]
    assert notes == [
        "Received: 1 dates read from written-out text (e.g. 'Jan 6, 2024').",
        "Received: 2 values are times of day without a date (e.g. '13:20'), so they give no date.",
    ]


def test_time_cells_of_a_workbook_are_dated_by_their_call(write_xlsx, ingest_file):
    import datetime as dt

    rows = [["Incident #", "Rcvd Dt/Tm", "Call Type", "District", "Arrival Time"]]
    rows += [
        ["A1", dt.datetime(2024, 3, 1, 23, 50), "PERSON IN CRISIS", "North", dt.time(0, 4)],
        ["A2", dt.datetime(2024, 3, 2, 9, 0), "PERSON IN CRISIS", "North", dt.time(9, 11)],
    ]
    (loaded,) = ingest_file(write_xlsx("times.xlsx", {"Calls": rows}))
    assert loaded.report.mapping["arrived_at"] == "Arrival Time"
    arrived = loaded.records["arrived_at"].dt.strftime("%Y-%m-%d %H:%M").tolist()
    assert arrived == ["2024-03-02 00:04", "2024-03-02 09:11"]
    assert M.response_minutes(loaded.records).tolist() == [14.0, 11.0]


def test_commitment_phrasings_of_dispositions_are_holds(rules):
    found = rules.disposition_group(
        pd.Series(["Emergency Commitment", "CIVIL COMMITMENT", "Emerg Committal", "Voluntary"])
    )
    assert found.tolist() == ["involuntary", "involuntary", "involuntary", "connection"]
