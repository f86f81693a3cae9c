"""Sample workbooks: reproducible from the seed, well-formed, showing the programme effect."""

from __future__ import annotations

import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tools import make_sample as sample

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "pmhc" / "sample_data"
FILES = [sample.CALLS_FILE, sample.PERSONNEL_FILE, sample.SERVICES_FILE]
MH_WORDS = re.compile(r"\b(CRISIS|SUICIDE|MENTAL|OVERDOSE|EDP|5150|PSYCH)\b")


def read_workbooks(folder: Path) -> dict[str, dict[str, list[tuple]]]:
    """file name -> sheet name -> row value tuples, for every sheet of every sample file."""
    out = {}
    for name in FILES:
        wb = openpyxl.load_workbook(folder / name, read_only=True)
        out[name] = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
        wb.close()
    return out


@pytest.fixture(scope="module")
def committed():
    """The committed files, read in a background process while a test regenerates them."""
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(read_workbooks, SAMPLE_DIR)
        yield future
        future.result()


def table(rows: list[tuple], header_at: int, footer_rows: int = 0) -> pd.DataFrame:
    body = rows[header_at + 1 : len(rows) - footer_rows]
    return pd.DataFrame(body, columns=rows[header_at])


def same_members(a: Path, b: Path) -> bool:
    """Two workbooks hold the same files with the same bytes (zip timestamps aside)."""
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names = za.namelist()
        return names == zb.namelist() and all(za.read(n) == zb.read(n) for n in names)


@pytest.mark.slow
def test_regenerating_reproduces_committed_files(tmp_path, committed):
    paths = sample.generate(tmp_path)
    assert [p.name for p in paths] == FILES
    # The generator writes its files deterministically: the same bytes hold the same
    # values, so the rows are read and compared (seconds of openpyxl) only when they differ.
    changed = [n for n in FILES if not same_members(tmp_path / n, SAMPLE_DIR / n)]
    if not changed:
        return
    fresh, old = read_workbooks(tmp_path), committed.result()
    for name in FILES:
        assert list(fresh[name]) == list(old[name]), name
        for sheet, rows in fresh[name].items():
            before = old[name][sheet]
            assert len(rows) == len(before), (name, sheet)
            diff = [i for i, (a, b) in enumerate(zip(rows, before, strict=True)) if a != b]
            assert not diff, f"{name}/{sheet}: {len(diff)} rows differ, first {before[diff[0]]}"


def test_calls_workbook_shape_counts_and_dates(committed):
    sheets = committed.result()[sample.CALLS_FILE]
    assert list(sheets) == ["CAD Export", "Report Parameters"]
    rows = sheets["CAD Export"]
    assert rows[0][0].startswith("Riverside Police Department - Calls for Service")
    assert rows[1][0].startswith("Run date: 01/05/2026")
    assert all(v is None for v in rows[2]) and all(v is None for v in rows[-2])
    calls = table(rows, header_at=3, footer_rows=2)
    assert rows[-1][0] == f"Total Records: {len(calls)}"
    assert calls.columns[-3:].tolist() == ["Subject Name", "Subj DOB", "Narrative"]
    incidents = calls["Incident #"].nunique()
    assert 24_000 <= incidents <= 27_000
    assert len(calls) > incidents
    received = pd.to_datetime(calls["Rcvd Date"])
    assert received.min() >= datetime(2023, 1, 1) and received.max() <= datetime(2025, 12, 31)
    arrived = pd.to_datetime(calls["Arrived Dt/Tm"])
    start = received + pd.to_timedelta(calls["Rcvd Time"] + ":00")
    assert ((arrived - start).dropna() >= pd.Timedelta(minutes=5)).all()
    non_mh = set(sample.NON_MH_INITIAL) | set(sample.NON_MH_FINAL)
    assert not [t for t in non_mh if MH_WORDS.search(t)]
    assert all(MH_WORDS.search(t) for t in sample.MH_CALL_TYPES)


def test_programme_effect_on_cit_dispatch(committed):
    calls = table(committed.result()[sample.CALLS_FILE]["CAD Export"], 3, 2)
    calls["year"] = pd.to_datetime(calls["Rcvd Date"]).dt.year
    calls["dispatched"] = calls["CIT Dispatched"].eq("Y")
    per_incident = calls.groupby("Incident #").agg(
        year=("year", "first"), cit=("dispatched", "max")
    )
    share = per_incident.groupby("year")["cit"].mean()
    assert share[2025] - share[2023] >= 0.20, share.to_dict()


def test_roster_size_and_badges_exist(committed):
    sheets = committed.result()
    personnel = sheets[sample.PERSONNEL_FILE]
    roster = table(personnel["Roster"], header_at=2)
    assert 380 <= len(roster) <= 420
    assert roster["Badge #"].is_unique
    badges = set(roster["Badge #"])
    training = table(personnel["Training Log"], header_at=0)
    assert len(training) > 2_000
    assert set(training["Badge #"]) <= badges
    calls = table(sheets[sample.CALLS_FILE]["CAD Export"], 3, 2)
    assert calls["Ofc Badge #"].notna().all()
    assert set(calls["Ofc Badge #"]) <= badges
