"""Header detection, column auto-mapping, record kinds and saved mapping profiles."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import VERA, real_file

from pmhc.domain import schema
from pmhc.domain.errors import InputError
from pmhc.ingest import mapping as mp
from pmhc.ingest.profiles import Profile, load_profile, load_profiles, save_profile
from pmhc.ingest.reading import open_tables
from pmhc.storage.uploads import profile_from


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Rcvd Dt/Tm", "received date time"),
        ("Inc #", "incident number"),
        ("Incident No.", "incident number"),
        ("EVENT_ID", "event id"),
        ("EventDate", "event date"),
        ("Ofc Badge #", "officer badge number"),
        ("Subj Injured", "subject injured"),
        ("Disp Code", "disposition code"),
        ("Disp Time", "dispatched time"),
        ("Disp Dt/Tm", "dispatched date time"),
        ("  Call   Type  ", "call type"),
        ("Officer Precinct Desc", "officer precinct description"),
        (None, ""),
    ],
)
def test_normalise_header(header, normalised):
    assert mp.normalise_header(header) == normalised


def fields(headers: list[str], kind=schema.CALLS, rows: list[list[str]] | None = None):
    """field -> (header, confidence) for a header row (with optional rows under it)."""
    samples = mp.column_samples([headers, *(rows or [])], 0)
    matches = mp.match_columns(headers, kind, samples)
    return {name: (m.header, m.confidence) for name, m in matches.items()}


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Rcvd Dt/Tm", "received_at"),
        ("Inc #", "incident_id"),
        ("Incident No.", "incident_id"),
        ("EVENT_ID", "incident_id"),
        ("EventDate", "received_at"),
        ("Disp Code", "disposition"),
        ("Disp", "disposition"),
        ("Ofc Badge #", "officer_id"),
        ("Subj Injured", "person_injury"),
        ("Ofc Injured", "officer_injury"),
        ("UOF", "use_of_force"),
        ("Dist", "district"),
        ("APPREHENSION_MADE", "involuntary_hold"),
        ("MCIT_ATTEND", "mobile_crisis"),
        ("Subject MNI", "person_id"),
    ],
)
def test_abbreviated_headers_map_with_full_confidence(header, field):
    assert fields([header]) == {field: (header, 1.0)}


def test_disp_time_is_not_a_disposition_nor_the_received_time():
    got = fields(["Disp Time", "Disp Code", "Disp Date", "Rcvd Dt"])
    assert got == {"disposition": ("Disp Code", 1.0), "received_at": ("Rcvd Dt", 1.0)}


@pytest.mark.parametrize(
    ("header", "field"),
    [("Date", "received_at"), ("Date/Time", "received_at"), ("Time", "received_time")],
)
def test_bare_date_and_time_headers(header, field):
    assert fields([header]) == {field: (header, 1.0)}


def test_confidence_falls_with_the_quality_of_the_match():
    got = fields(["Date Received", "CIT Officer Requested Flag", "Dispositon"])
    assert got["received_at"] == ("Date Received", 0.95)  # same words, other order
    # contains the synonym 'cit officer requested': 0.55 + 0.35 * 3/4 words
    assert got["cit_requested"] == ("CIT Officer Requested Flag", 0.81)
    header, confidence = got["disposition"]  # a typo: a close spelling
    assert header == "Dispositon" and 0.7 < confidence < 0.8


def test_unrelated_headers_are_not_mapped():
    assert fields(["Priority", "Unit Count", "Zip"]) == {}


SEATTLE = [
    "Template ID",
    "Reported Date",
    "Reported Time",
    "Occurred Date / Time",
    "Call Type",
    "Initial Call Type",
    "Final Call Type",
    "Disposition",
    "Use of Force Indicator",
    "Subject Veteran Indicator",
    "CIT Officer Requested",
    "CIT Officer Dispatched",
    "CIT Officer Arrived",
    "Officer ID",
    "Precinct",
    "Sector",
    "Beat",
]
SEATTLE_ROWS = [
    [
        "T1001",
        "2019-05-01",
        "13:04",
        "2019-05-01 12:50",
        "911",
        "PERSON IN BEHAVIORAL/EMOTIONAL CRISIS",
        "--CRISIS COMPLAINT - GENERAL",
        "Mobile Crisis Team",
        "N",
        "N",
        "Y",
        "Y",
        "Y",
        "7001",
        "NORTH",
        "L",
        "L1",
    ],
    ["T1002", "2019-05-02", "09:30", None, "ONVIEW", "SUICIDE", "SUICIDE", "Subject Arrested"]
    + ["N"] * 5
    + ["7002", "WEST", "K", "K2"],
    ["T1003", "2019-05-02", "22:10", None, "TELEPHONE OTHER, NOT 911", "WELFARE CHECK"]
    + ["--CRISIS COMPLAINT - GENERAL", "Resources Declined"]
    + ["N"] * 5
    + ["7003", "EAST", "E", "E1"],
]


def test_seattle_crisis_data_headers():
    proposal = mp.propose([SEATTLE, *SEATTLE_ROWS])
    assert proposal.kind == "calls" and proposal.header_row == 0
    got = {name: (m.header, m.confidence) for name, m in proposal.matches.items()}
    assert got == {
        "incident_id": ("Template ID", 1.0),
        "received_at": ("Reported Date", 1.0),
        "received_time": ("Reported Time", 1.0),
        "call_type_initial": ("Initial Call Type", 1.0),
        "call_type_final": ("Final Call Type", 1.0),
        # 'Call Type' holds 911 / ONVIEW / TELEPHONE: the call source, told by its values
        "call_source": ("Call Type", mp.SNIFF_CONFIDENCE),
        "disposition": ("Disposition", 1.0),
        "use_of_force": ("Use of Force Indicator", 1.0),
        "veteran": ("Subject Veteran Indicator", 1.0),
        "cit_requested": ("CIT Officer Requested", 1.0),
        "cit_dispatched": ("CIT Officer Dispatched", 1.0),
        "cit_arrived": ("CIT Officer Arrived", 1.0),
        "officer_id": ("Officer ID", 1.0),
        "district": ("Precinct", 1.0),
        "beat": ("Beat", 1.0),
    }


def test_call_type_without_final_call_type_is_still_the_source_when_values_say_so():
    headers = ["Template ID", "Reported Date", "Call Type", "Disposition", "Precinct"]
    rows = [["1", "2019-05-01", "911", "x", "N"], ["2", "2019-05-01", "ONVIEW", "y", "S"]]
    got = {n: m.header for n, m in mp.propose([headers, *rows]).matches.items()}
    assert got["call_source"] == "Call Type"
    assert "call_type_final" not in got


def test_call_type_holding_call_types_stays_the_call_type():
    headers = ["Incident", "Date", "Call Type", "District"]
    rows = [["1", "2024-01-01", "SUICIDE", "N"], ["2", "2024-01-01", "911 HANGUP", "S"]]
    got = {n: m.header for n, m in mp.propose([headers, *rows]).matches.items()}
    assert got["call_type_final"] == "Call Type"
    assert "call_source" not in got


def test_call_source_vocabulary_on_the_real_crosswalk():
    """Seattle's 'Call Type' values (Vera sheet SelfInitiated) read as call sources; the
    call types of the CallTypes sheet do not."""
    tables = {t.sheet: t for t in open_tables(real_file(VERA))}
    sources = tables["SelfInitiated"].load(0, [1, 2])
    seattle = sources.loc[sources[1] == "Call Type", 2].tolist()
    assert len(seattle) == 11
    assert mp.holds_call_sources(seattle)
    calltypes = tables["CallTypes"].load(0, [0, 2])
    for city in ("Seattle", "Charleston", "Dallas", "Detroit", "New Orleans"):
        top = calltypes.loc[calltypes[0] == city, 2].head(40).tolist()
        assert not mp.holds_call_sources(top), city


def test_header_found_past_title_rows_and_spacers():
    peek = [
        ["Riverside Police Department", None, None, None],
        ["Calls for service, 01/01/2024 - 01/31/2024", None, None, None],
        ["Run by: analyst", "Page 1", None, None],
        [None, None, None, None],
        ["Inc #", "Rcvd Dt/Tm", "Call Type", "District"],
        [None, None, None, None],
        ["24-0001", "01/06/2024 13:04", "Suicide", "North"],
    ]
    proposal = mp.propose(peek)
    assert (proposal.kind, proposal.header_row) == ("calls", 4)
    assert proposal.as_sources() == {
        "incident_id": "Inc #",
        "received_at": "Rcvd Dt/Tm",
        "call_type_final": "Call Type",
        "district": "District",
    }


def test_a_data_row_is_never_taken_for_the_header():
    peek = [
        ["2024", "1", "5", "14", "Suicide", "North"],
        ["Year", "Month", "Day", "Hour", "Call Type", "District"],
        ["2024", "1", "6", "15", "Suicide", "South"],
    ]
    assert mp.propose(peek).header_row == 1


def test_split_date_parts():
    headers = ["EVENT_YEAR", "EVENT_MONTH", "EVENT_DOW", "EVENT_HOUR", "EVENT_TYPE", "DIVISION"]
    assert fields(headers) == {
        "received_year": ("EVENT_YEAR", 1.0),
        "received_month": ("EVENT_MONTH", 1.0),
        "received_weekday": ("EVENT_DOW", 1.0),
        "received_hour": ("EVENT_HOUR", 1.0),
        "call_type_final": ("EVENT_TYPE", 1.0),
        "district": ("DIVISION", 1.0),
    }


def test_repeated_column_names_use_the_first_and_are_reported():
    headers = ["Inc #", "Date", "Call Type", "Date", "District", "Disposition", "district"]
    rows = [["1", "2024-01-01", "Suicide", "2024-01-02", "N", "x", "S"]]
    for _ in range(2):  # deterministic: the same answer every time
        proposal = mp.propose([headers, *rows])
        assert proposal.column_of("received_at") == 1
        assert proposal.column_of("district") == 4
        assert proposal.duplicates == {"Date": [1, 3], "District": [4, 6]}


@pytest.mark.parametrize(
    "header",
    [
        "Subject Name",
        "Subj Name",
        "Last Name",
        "DOB",
        "Subj DOB",
        "Date of Birth",
        "Address",
        "Home Address",
        "Narrative",
        "Phone Number",
        "Employee Name",
    ],
)
def test_personal_data_is_never_a_candidate(header):
    assert mp.is_personal_data(header)
    for kind in schema.KINDS.values():
        assert mp.match_columns([header], kind) == {}


@pytest.mark.parametrize("header", ["Subject ID", "Officer ID", "Disposition", "Service Name"])
def test_identifiers_and_plain_fields_are_not_personal_data(header):
    assert not mp.is_personal_data(header)


def test_personal_columns_do_not_steal_a_field():
    got = fields(["Subject Name", "Subject ID", "Officer Name", "Badge #"])
    assert got == {"person_id": ("Subject ID", 1.0), "officer_id": ("Badge #", 1.0)}


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (["Badge #", "Course Title", "Completion Date", "Hours"], "training"),
        (["Badge Number", "Session End Date", "Course"], "training"),
        (["Employee ID", "Employee Name", "Rank", "Assignment", "Shift"], "roster"),
        (["Service Name", "Service Type", "Hours of Operation", "Police Drop-off"], "services"),
        (["EVENT_ID", "EVENT_DATE", "EVENT_TYPE", "DIVISION"], "calls"),
    ],
)
def test_record_kind_is_recognised(headers, kind):
    proposal = mp.propose([["Export"], headers])
    assert (proposal.kind, proposal.header_row) == (kind, 1)


@pytest.mark.parametrize(
    "peek",
    [
        [["Report Parameters"], ["Start Date", "01/01/2024"], ["District", "All"]],
        [["Notes"], ["This export lists calls coded as mental health."], ["Contact: x@y.org"]],
        [  # pivot of counts by district and month
            ["Calls by district and month", None, None, None],
            [None, "Jan", "Feb", "Total"],
            ["North", "10", "12", "22"],
            ["Total", "15", "18", "33"],
        ],
        [["Year", "District", "Calls", "Arrests"], ["2024", "North", "120", "5"]],
        [["Month", "Division", "Event Type", "Number of Calls"], ["January", "D11", "X", "9"]],
    ],
)
def test_sheets_without_records_get_no_kind(peek):
    assert mp.propose(peek) is None


def test_forced_kind_and_overrides():
    peek = [["Badge", "Course", "Date", "Hrs"], ["101", "CIT 40-Hour", "2024-03-01", "40"]]
    proposal = mp.propose(peek, "training")
    assert proposal.kind == "training"
    changed = mp.apply_overrides(proposal, {"hours": "Hrs", "completed_on": None})
    assert changed.as_sources() == {"officer_id": "Badge", "course": "Course", "hours": "Hrs"}
    assert changed.matches["hours"].confidence == 1.0
    with pytest.raises(InputError, match="no column named 'Minutes'"):
        mp.apply_overrides(proposal, {"hours": "Minutes"})


def test_override_moves_a_column_from_one_field_to_another():
    proposal = mp.propose([["Inc #", "Date", "Call Type", "District"]])
    changed = mp.apply_overrides(proposal, {"call_type_initial": "Call Type"})
    assert changed.column_of("call_type_initial") == 2
    assert "call_type_final" not in changed.matches


def test_at_row_and_sample_values():
    peek = [["title"], ["Inc #", "Date", "District"], ["1", "x", "North"], ["2", "y", "North"]]
    mapping = mp.at_row(peek, 1, "calls")
    assert mapping.column_of("district") == 2
    assert mp.sample_values(peek, 1, 2) == ["North"]
    assert mp.sample_values(peek, 1, 0) == ["1", "2"]


def test_columns_signature_ignores_order_case_and_punctuation():
    a = mp.columns_signature(["Inc #", "Rcvd Dt/Tm", "District"])
    assert a == mp.columns_signature(["district", "INC #", "Rcvd Dt / Tm", ""])
    assert a != mp.columns_signature(["Inc #", "Rcvd Dt/Tm", "Beat"])


def test_locate_header_of_a_saved_layout():
    peek = [["title"], [], ["Inc #", "Date", "District", "Extra"]]
    assert mp.locate_header(peek, ["inc #", "Date"]) == 2
    assert mp.locate_header(peek, ["Inc #", "Beat"]) is None


# --- saved profiles ---------------------------------------------------------------------


def test_profile_round_trip_and_validation(tmp_path):
    profile = Profile(
        "Riverside CAD (monthly)", "calls", "abc", ["Inc #"], {"incident_id": "Inc #"}
    )
    path = save_profile(tmp_path, profile)
    assert path.name == "riverside-cad-monthly.json"
    assert load_profile(path) == profile
    assert load_profiles(tmp_path) == [profile]
    assert load_profiles(tmp_path / "none") == []
    with pytest.raises(InputError, match="not a record kind"):
        save_profile(tmp_path, Profile("x", "arrests", "abc", []))
    with pytest.raises(InputError, match="'badge' is not a field of calls"):
        save_profile(tmp_path, Profile("x", "calls", "abc", [], {"badge": "B"}))
    with pytest.raises(InputError, match="needs a name"):
        save_profile(tmp_path, Profile("!!", "calls", "abc", []))
    edited = tmp_path / "edited.json"
    edited.write_text(path.read_text().replace('"calls"', '"arrests"'))
    with pytest.raises(InputError, match="'arrests' is not a record kind"):
        load_profile(edited)
    (tmp_path / "junk.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="not a saved mapping profile"):
        load_profile(tmp_path / "junk.json")
    with pytest.raises(InputError, match="does not exist"):
        load_profile(tmp_path / "missing.json")


def test_profile_is_applied_to_next_months_export(write_xlsx, ctx, ingest_file):
    headers = ["Event #", "Date", "Kind", "Area", "Result"]
    rows = [["E1", "2024-03-01 10:00", "Welfare", "North", "Arrest"]]
    path = write_xlsx("march.xlsx", {"Export": [["March export"], headers, *rows]})
    auto = ingest_file(path)[0]
    # The automatic reading maps 'Kind' nowhere; the user maps it and saves a profile.
    assert "call_type_final" not in auto.report.mapping
    chosen = mp.apply_overrides(auto.proposal, {"call_type_final": "Kind"})
    profile = profile_from("Monthly", chosen, all_mh=True)
    april = write_xlsx("april.xlsx", {"Export": [["April"], [], headers, *rows, *rows]})
    ctx.profiles = [profile]
    (loaded,) = ingest_file(april, ctx)
    assert loaded.report.profile == "Monthly"
    assert loaded.report.header_row == 3
    assert loaded.report.mapping["call_type_final"] == "Kind"
    assert loaded.records["mh"].tolist() == [True, True]  # the profile's "all MH"
    # A file with other columns does not take the profile.
    other = write_xlsx("other.xlsx", {"Export": [[*headers, "Beat"], [*rows[0], "B1"]]})
    assert ingest_file(other, ctx)[0].report.profile is None


def test_mapping_as_sources_is_the_cli_mapping():
    proposal = mp.propose([["Inc #", "Date", "District", "Call Type"]])
    assert isinstance(proposal.as_sources(), dict)
    assert pd.Series(proposal.as_sources()).is_unique
