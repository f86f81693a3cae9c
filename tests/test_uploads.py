"""The Data page's path without the page: the user's mapping choices applied to an
upload, saved as a profile, and applied by themselves to next month's export."""

from __future__ import annotations

import json

import pandas as pd

from pmhc.analysis import metrics
from pmhc.analysis.stats import Rate
from pmhc.domain.rules import save_rule_table
from pmhc.ingest import mapping as mp
from pmhc.ingest import profiles
from pmhc.ingest.reading import open_tables
from pmhc.storage import datasets as store
from pmhc.storage import uploads

# An export whose column names the mapper cannot read: "Nat" is the call type and "Zn"
# the district, and nothing says the calls are mental-health calls.
HEADER = "Event No,Date Rcvd,Time Rcvd,Nat,Zn,Outcome Text\n"
ROWS = [
    "E1,01/05/2025,08:10,WELFARE CHECK,Z1,Subject Arrested",
    "E2,01/06/2025,09:20,WELFARE CHECK,Z1,Mobile Crisis Team",
    "E3,01/07/2025,10:30,DISTURBANCE,Z2,Resources Declined",
    "E4,02/01/2025,11:40,DISTURBANCE,Z2,Crisis Clinic",
]


def export(rows: list[str]) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_the_users_mapping_and_all_mh_declaration_are_applied(workspace):
    data = export(ROWS)
    auto, _ = uploads.save_uploads(workspace, [("jan.csv", data)], {})
    assert auto.reports[0].mapping.get("district") is None  # "Zn" means nothing to the mapper

    choice = uploads.SheetChoice(
        "calls", 0, {"call_type_final": "Nat", "district": "Zn"}, all_mh=True
    )
    ds, ds_id = uploads.save_uploads(
        workspace, [("jan.csv", data)], {(store.file_hash(data), None): choice}
    )
    report = ds.reports[0]
    assert report.mapping["call_type_final"] == "Nat" and report.mapping["district"] == "Zn"
    assert report.rows_in == report.rows_loaded == 4
    assert ds.calls["mh"].all()  # declared, though WELFARE CHECK is not an MH call type
    assert sorted(ds.calls["district"].astype(str)) == ["Z1", "Z1", "Z2", "Z2"]
    assert ds.calls["is_arrest"].sum() == 1 and ds.calls["is_connection"].sum() == 2
    assert store.exists(workspace.datasets_dir, ds_id)


def test_a_saved_profile_maps_next_months_export_by_itself(workspace):
    data = export(ROWS)
    table = open_tables(data, "jan.csv")[0]
    proposal = mp.apply_overrides(
        mp.at_row(table.peek, 0, "calls"), {"call_type_final": "Nat", "district": "Zn"}
    )
    path = profiles.save_profile(
        workspace.profiles_dir, uploads.profile_from("CAD monthly", proposal, all_mh=True)
    )
    saved = json.loads(path.read_text())
    assert saved["overrides"]["district"] == "Zn" and saved["all_mh"] is True

    february = export([r.replace("01/", "02/", 1) for r in ROWS])
    ds, _ = uploads.save_uploads(workspace, [("feb.csv", february)], {})
    report = ds.reports[0]
    assert report.profile == "CAD monthly"
    assert report.mapping["district"] == "Zn"
    assert ds.calls["mh"].all() and len(ds.calls) == 4


def test_the_cli_takes_the_same_profile(workspace, tmp_path, run_cli):
    data = export(ROWS)
    table = open_tables(data, "jan.csv")[0]
    proposal = mp.apply_overrides(
        mp.at_row(table.peek, 0, "calls"), {"call_type_final": "Nat", "district": "Zn"}
    )
    profile = profiles.save_profile(
        tmp_path / "elsewhere", uploads.profile_from("CAD", proposal, all_mh=True)
    )
    csv = tmp_path / "march.csv"
    csv.write_bytes(data)
    code, out, err = run_cli(csv, "--mapping", profile, "--json")
    assert code == 0, err
    calls = out["calls"]
    assert calls["mh_calls"] == 4
    assert calls["by_district"] == {"Z1": 2, "Z2": 2}
    assert calls["arrest_rate"] == 0.25


def test_a_sheet_left_out_is_reported_not_loaded(workspace):
    data = export(ROWS)
    choice = uploads.SheetChoice(skip=True)
    ds, _ = uploads.save_uploads(
        workspace, [("jan.csv", data)], {(store.file_hash(data), None): choice}
    )
    assert ds.calls is None
    assert ds.reports[0].kind is None and "leave this sheet out" in ds.reports[0].note
    assert pd.isna(ds.reports[0].header_row)


def test_saving_a_rule_reapplies_the_rules_to_the_loaded_dataset(workspace):
    """Issue 11: editing a rule used to change nothing until the file was uploaded again."""
    rows = [
        "E1,01/05/2025,08:10,PERSON IN CRISIS,Z1,TRANSP TO HAVEN HOUSE",
        "E2,01/06/2025,09:20,PERSON IN CRISIS,Z1,TRANSP TO HAVEN HOUSE",
        "E3,01/07/2025,10:30,WELFARE CHECK,Z2,Resources Declined",
        "E4,02/01/2025,11:40,HEARING VOICES,Z2,Crisis Clinic",
    ]
    data = export(rows)
    choice = uploads.SheetChoice("calls", 0, {"call_type_final": "Nat", "district": "Zn"})
    ds, ds_id = uploads.save_uploads(
        workspace, [("jan.csv", data)], {(store.file_hash(data), None): choice}
    )
    assert ds.mh["incident_id"].tolist() == ["E1", "E2"]  # HEARING VOICES is no rule yet
    rules = workspace.rules()
    assert rules.unmatched(ds.calls["disposition"], "disposition")["value"].tolist() == [
        "TRANSP TO HAVEN HOUSE"
    ]
    save_rule_table(
        workspace.rules_dir,
        "mh_terms",
        pd.concat([rules.mh_terms, pd.DataFrame([{"term": "HEARING VOICES", "kind": "include"}])]),
    )
    save_rule_table(
        workspace.rules_dir,
        "dispositions",
        pd.concat(
            [rules.dispositions, pd.DataFrame([{"pattern": "HAVEN HOUSE", "group": "connection"}])]
        ),
    )
    again, new_id = uploads.reapply_rules(workspace, ds_id)
    assert new_id != ds_id and store.exists(workspace.datasets_dir, new_id)
    assert again.mh["incident_id"].tolist() == ["E1", "E2", "E4"]
    # E1, E2: TRANSP (transported) to a place the new row calls a connection: a transport;
    # E4: Crisis Clinic, a referral. 3 of the 3 MH calls with a recorded disposition.
    assert again.mh["is_connection"].tolist() == [True, True, True]
    assert again.mh["conn_transport"].tolist() == [True, True, False]
    reloaded = store.load(workspace.datasets_dir, new_id)
    assert reloaded.calls["is_connection"].sum() == 3


def test_top_unmatched_values_are_listed_and_assigned_in_one_step(workspace):
    rows = [
        "E1,01/05/2025,08:10,PERSON IN CRISIS,Z1,TO HAVEN HOUSE",
        "E2,01/06/2025,09:20,PERSON IN CRISIS,Z1,TO HAVEN HOUSE",
        "E3,01/07/2025,10:30,PIC,Z2,LEFT W/ FAMILY",
        "E4,02/01/2025,11:40,PIC,Z2,Crisis Clinic",
    ]
    data = export(rows)
    choice = uploads.SheetChoice("calls", 0, {"call_type_final": "Nat", "district": "Zn"})
    ds, ds_id = uploads.save_uploads(
        workspace, [("jan.csv", data)], {(store.file_hash(data), None): choice}
    )
    rules = workspace.rules()
    top = uploads.unmatched_values(rules, ds.calls, "dispositions")
    assert top[["value", "count"]].values.tolist() == [["TO HAVEN HOUSE", 2], ["LEFT W/ FAMILY", 1]]
    types = uploads.unmatched_values(rules, ds.calls, "mh_terms")
    assert types[["value", "count"]].values.tolist() == [["PIC", 2]]
    assert uploads.assign_values(workspace, "mh_terms", {"PIC": "include"}) == 1
    assert (
        uploads.assign_values(
            workspace, "dispositions", {"TO HAVEN HOUSE": "connection", "LEFT W/ FAMILY": ""}
        )
        == 1
    )  # a blank choice adds nothing
    again, _ = uploads.reapply_rules(workspace, ds_id)
    assert len(again.mh) == 4
    assert uploads.unmatched_values(workspace.rules(), again.calls, "dispositions")[
        "value"
    ].tolist() == ["LEFT W/ FAMILY"]
    # 2 transports to Haven House (by the new row: a connection, matching no component row, so
    # counted as a referral) + Crisis Clinic (a referral), of 4 calls with a disposition.
    assert metrics.outcome_rate(again.mh, "connection") == Rate(3, 4)


def test_the_sources_table_says_when_a_sheet_had_no_header():
    """A sheet that was not loaded has no header row: the table says so, never "None"."""
    from pmhc.ingest.pipeline import SourceReport
    from pmhc.storage.uploads import sources_table

    table = sources_table(
        [
            SourceReport("/x/calls.xlsx", "CAD", "calls", header_row=4, rows_in=9, rows_loaded=9),
            SourceReport("/x/calls.xlsx", "Notes", None),
        ]
    )
    assert table["header row"].tolist() == ["4", "none found"]
    assert table["kind"].tolist() == ["calls", "not loaded"]
