"""`python -m pmhc summarize`: the contract of the Foundation issue, on the real Toronto
file and on small generated exports."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
from conftest import TORONTO, TORONTO_MAPPING, VERA, real_file

from pmhc.ingest import mapping as mp
from pmhc.ingest.profiles import Profile
from pmhc.ingest.reading import open_tables

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FIELDS = [
    "path",
    "sheet",
    "kind",
    "header_row",
    "rows_in",
    "rows_loaded",
    "rows_rejected",
    "mapping",
]


@pytest.fixture(scope="module")
def toronto_summary(tmp_path_factory):
    """One run of the CLI on the real Toronto file, as a separate process."""
    path = real_file(TORONTO)
    ws = tmp_path_factory.mktemp("ws")
    proc = subprocess.run(
        [sys.executable, "-m", "pmhc", "summarize", str(path), "--json", "--data-dir", str(ws)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def test_toronto_counts(toronto_summary):
    calls = toronto_summary["calls"]
    assert calls["total_calls"] == 31944
    assert calls["mh_calls"] == 31944  # every event type is a crisis call
    assert calls["rows"] == 31944
    assert calls["by_district"]["D14"] == 3425  # as the published paper reports
    assert calls["by_district"]["D51"] == 3847
    assert sum(calls["by_district"].values()) == 31944
    assert len(calls["by_district"]) == 17
    assert calls["period"] == {"start": "2014-01-01", "end": "2015-06-30"}


def test_toronto_counts_match_an_independent_read(toronto_summary):
    with open(TORONTO, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    calls = toronto_summary["calls"]
    assert calls["by_district"] == dict(Counter(r["division"] for r in rows))
    assert calls["by_year"] == dict(Counter(r["event_year"] for r in rows))
    # apprehension under the Mental Health Act is an involuntary hold
    yes = sum(r["apprehension_made"] == "Yes" for r in rows)
    assert {r["apprehension_made"] for r in rows} == {"Yes", "No"}
    assert calls["involuntary_rate"] == round(yes / len(rows), 4)
    assert calls["involuntary_rate"] == 0.2199


def test_toronto_figures_without_a_source_field_are_null(toronto_summary):
    calls = toronto_summary["calls"]
    for key in (
        "arrest_rate",  # an apprehension is not an arrest
        "connection_rate",
        "use_of_force_rate",
        "person_injury_rate",  # injury is two figures since issue 20
        "officer_injury_rate",
        "cit_on_scene_rate",
        "persons",
        "repeat_person_share",
    ):
        assert calls[key] is None, key


def test_toronto_source_entry(toronto_summary):
    (source,) = toronto_summary["sources"]
    assert list(source)[: len(SOURCE_FIELDS)] == SOURCE_FIELDS
    assert source["path"] == str(TORONTO)
    assert source["sheet"] is None
    assert (source["kind"], source["header_row"]) == ("calls", 1)
    assert (source["rows_in"], source["rows_loaded"], source["rows_rejected"]) == (31944, 31944, 0)
    assert source["mapping"] == TORONTO_MAPPING
    assert "training" not in toronto_summary and "roster" not in toronto_summary


def test_text_summary(run_cli):
    code, out, err = run_cli(real_file(TORONTO))
    assert (code, err) == (0, "")
    assert "31,944 rows in, 31,944 loaded, 0 rejected." in out
    assert "31,944 mental-health calls of 31,944 incidents, 2014-01-01 to 2015-06-30." in out
    assert "D51 3,847, D14 3,425" in out
    assert "Involuntary hold: 22.0%" in out
    assert "Arrested: not in the data" in out


# --- partner audience --------------------------------------------------------------------


@pytest.fixture
def small_export(write_text):
    """District A has 7 calls, C 20, B 25, D 30; 3 of A's calls and 12 of D's end in arrest."""
    rows = [["Inc #", "Rcvd Dt/Tm", "Call Type", "District", "Disposition"]]
    plan = {"A": (7, 3), "B": (25, 0), "C": (20, 0), "D": (30, 12)}
    n = 0
    for district, (calls, arrests) in plan.items():
        for i in range(calls):
            n += 1
            outcome = "Subject Arrested" if i < arrests else "Crisis Clinic"
            rows.append(
                [f"24-{n:04d}", f"03/{1 + i % 28:02d}/2024 10:00", "EDP", district, outcome]
            )
    return write_text("small.csv", rows)


def test_partner_hides_small_counts_with_complementary_suppression(run_cli, small_export):
    code, internal, _ = run_cli(small_export, "--json")
    assert code == 0
    assert internal["calls"]["by_district"] == {"D": 30, "B": 25, "C": 20, "A": 7}
    assert internal["calls"]["arrest_rate"] == round(15 / 82, 4)

    code, partner, err = run_cli(small_export, "--json", "--audience", "partner")
    assert (code, err) == (0, "")
    calls = partner["calls"]
    # A (7) is pooled as "Other districts" (which small districts exist is not said either)
    # and hidden; C, the next smallest, too, or A = total - B - C - D.
    assert calls["by_district"] == {
        "B": 25,
        "C": "suppressed",
        "D": 30,
        "Other districts": "suppressed",
    }
    # Every incident is an MH call: the 0 other incidents is hidden like 1..10 would be,
    # and so is the total of incidents, or 82 - 82 gives it back.
    assert calls["mh_calls"] == 82
    assert calls["total_calls"] == "suppressed"
    assert calls["by_year"] == {"2024": 82}
    assert calls["arrest_rate"] == round(15 / 82, 4)  # 15 arrests: shown
    assert partner["suppression"]["threshold"] == 10


def test_partner_hides_rates_with_a_small_numerator(run_cli, write_text):
    rows = [["Inc #", "Date", "Call Type", "District", "Disposition"]]
    rows += [
        [f"{i}", "2024-03-01", "EDP", "N", "Subject Arrested" if i < 4 else "Advised"]
        for i in range(40)
    ]
    path = write_text("rates.csv", rows)
    assert run_cli(path, "--json")[1]["calls"]["arrest_rate"] == 0.1
    calls = run_cli(path, "--json", "--audience", "partner")[1]["calls"]
    assert calls["arrest_rate"] == "suppressed"
    assert calls["mh_calls"] == 40
    assert calls["total_calls"] == "suppressed"  # 40 of 40: no other incident (a hidden 0)


def test_partner_hides_a_small_total(run_cli, write_text):
    rows = [["Inc #", "Date", "Call Type", "District"]]
    rows += [[f"{i}", "2024-03-01", "EDP", "N"] for i in range(6)]
    calls = run_cli(write_text("tiny.csv", rows), "--json", "--audience", "partner")[1]["calls"]
    assert calls["total_calls"] == calls["mh_calls"] == "suppressed"
    assert calls["by_district"] == {}  # no month above the threshold: nothing by district


# --- options --------------------------------------------------------------------------------


def test_all_mh_and_mapping_file(run_cli, write_xlsx, tmp_path):
    headers = ["Event #", "Date", "Kind", "Area"]
    rows = [
        [f"E{i}", dt.datetime(2024, 3, 1 + i), "THEFT" if i else "SUICIDE", "N"] for i in range(4)
    ]
    path = write_xlsx("export.xlsx", {"Export": [headers, *rows]})
    code, auto, _ = run_cli(path, "--json")
    assert code == 0
    assert auto["calls"]["mh_calls"] == 4  # no call type mapped: MH unknown, all counted
    assert "call_type_final" not in auto["sources"][0]["mapping"]

    table = open_tables(path)[0]
    chosen = mp.apply_overrides(mp.propose(table.peek), {"call_type_final": "Kind"})
    profile = Profile("x", "calls", chosen.signature, chosen.headers, chosen.as_sources())
    mapping_file = tmp_path / "profile.json"
    mapping_file.write_text(json.dumps(asdict(profile)))
    code, mapped, _ = run_cli(path, "--json", "--mapping", mapping_file)
    assert code == 0
    assert mapped["sources"][0]["mapping"]["call_type_final"] == "Kind"
    assert (mapped["calls"]["total_calls"], mapped["calls"]["mh_calls"]) == (4, 1)
    code, declared, _ = run_cli(path, "--json", "--mapping", mapping_file, "--all-mh")
    assert declared["calls"]["mh_calls"] == 4  # the user's declaration beats the rules


def test_several_files_add_up(run_cli, small_export):
    code, out, _ = run_cli(small_export, real_file(TORONTO), "--json")
    assert code == 0
    assert [s["kind"] for s in out["sources"]] == ["calls", "calls"]
    assert out["calls"]["total_calls"] == 82 + 31944
    assert out["calls"]["period"] == {"start": "2014-01-01", "end": "2024-03-31"}


# --- files it cannot use --------------------------------------------------------------------

SECRET = "Jane Q. Doe 1985-03-02"


def bad_files(tmp_path: Path, write_xlsx) -> dict[str, Path]:
    files = {
        "empty.csv": b"",
        "report.pdf": b"%PDF-1.4 " + SECRET.encode(),
        "broken.xlsx": b"PK\x03\x04" + SECRET.encode(),
        "notes.csv": f"Call notes\n{SECRET}, Narrative\n".encode(),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    paths["no_records.xlsx"] = write_xlsx(
        "no_records.xlsx", {"Notes": [["About this export"], [SECRET]], "Pivot": [["", "Jan"]]}
    )
    return paths


def test_unusable_files_exit_2_with_one_error_line(run_cli, tmp_path, write_xlsx):
    for name, path in bad_files(tmp_path, write_xlsx).items():
        code, out, err = run_cli(path, "--json")
        assert code == 2, name
        assert out == ""
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, err)
        assert name in lines[0]
        assert "Jane" not in err and "1985" not in err, name
        assert "Traceback" not in err


def test_bad_mapping_file_is_an_input_error(run_cli, small_export, tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text('{"name": "x", "kind": "arrests", "signature": "", "headers": []}')
    code, out, err = run_cli(small_export, "--mapping", profile)
    assert (code, out) == (2, "")
    assert err == (
        "error: 'arrests' is not a record kind; use one of calls, training, roster, services.\n"
    )
    code, out, err = run_cli(small_export, "--mapping", tmp_path / "none.json")
    assert code == 2 and err.startswith("error: The mapping file") and err.count("\n") == 1


def test_vera_workbook_has_no_records_for_the_cli(run_cli):
    code, _out, err = run_cli(real_file(VERA), "--json")
    assert code == 2
    assert err.startswith("error: vera_911_call_type_crosswalk.xlsx holds no calls")
    assert err.count("\n") == 1


def test_one_bad_file_among_good_ones_fails_the_run(run_cli, small_export, tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    code, out, err = run_cli(small_export, empty)
    assert (code, out) == (2, "")
    assert err == "error: empty.xlsx is empty; export the data again and upload it.\n"


@pytest.mark.parametrize(
    "args",
    [
        ["summarize"],
        ["summarize", "x.csv", "--audience", "public"],
        ["report", "x.csv"],
        [],
    ],
)
def test_usage_errors_are_one_line(args, capsys):
    from pmhc import cli

    assert cli.main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "--help" in err


def test_bad_input_as_a_process_has_no_traceback(tmp_path):
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4 " + SECRET.encode())
    proc = subprocess.run(
        [sys.executable, "-m", "pmhc", "summarize", str(pdf), "--data-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "error: scan.pdf is a .pdf file; upload an Excel workbook (.xlsx, .xls) or a CSV file.\n"
    )


def test_help_exits_0(capsys):
    from pmhc import cli

    assert cli.main(["summarize", "--help"]) == 0
    assert "--audience" in capsys.readouterr().out


def test_sample_workforce_figures_match_a_count_from_the_workbook(run_cli):
    """Patrol CIT coverage, counted here straight from the sample workbook with pandas:
    active staff assigned to Patrol, and those with a completed 40-hour course."""
    book = Path(__file__).resolve().parents[1] / "pmhc" / "sample_data" / "riverside_personnel.xlsx"
    roster = pd.read_excel(book, sheet_name="Roster", header=2)
    log = pd.read_excel(book, sheet_name="Training Log")
    basic = log[log["Course Title"].str.contains("40-Hour") & (log["Status"] == "Complete")]
    patrol = roster[(roster["Assignment"] == "Patrol") & (roster["Status"] == "Active")]
    trained = patrol["Badge #"].isin(basic["Badge #"])
    nights = patrol["Shift"] == "Nights"

    code, out, err = run_cli(book, "--json")
    assert code == 0, err
    figures = out["roster"]
    assert figures["by_role"]["patrol"] == len(patrol)
    assert figures["patrol_cit_40_share"] == round(trained.mean(), 4)
    assert figures["patrol_cit_40_share_by_shift"]["Nights"] == round(trained[nights].mean(), 4)
    assert out["training"]["cit_40_officers"] == basic["Badge #"].nunique()
