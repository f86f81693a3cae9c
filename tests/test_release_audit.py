"""Leaks found after the partner release landed, and the audit that closes them: no hidden
cell may be solved from the published totals combined (not only line by line); the incidents
total covers the calls' months; the in-service total is not the staff table's hidden cell;
the staff date is no one officer's course date.

The checker here is written independently of pmhc.analysis.audit: an SVD of the equations
restricted to the hidden cells, as an attacker would solve them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
from conftest import examples
from hypothesis import given, settings

from pmhc.analysis import release
from pmhc.analysis.cells import Axis, CellTable, hidden_cells
from pmhc.analysis.release import ALL_CALLS, ALL_DISTRICTS, WHOLE_PERIOD
from pmhc.analysis.released import Released, summary
from pmhc.domain.rules import load_rules
from pmhc.ingest import pipeline as ingest
from pmhc.storage import dataset
from tests import partner_exports as exports
from tests.test_release import tables

T = 10


def solvable(values: np.ndarray, axes: list[Axis]) -> dict[tuple, float]:
    """Every hidden cell (NaN) that the published equations pin down, with its value."""
    flat = values.ravel()
    hidden = np.flatnonzero(np.isnan(flat))
    if not len(hidden):
        return {}
    column = {c: j for j, c in enumerate(hidden)}
    index = np.arange(flat.size).reshape(values.shape)
    rows, rhs = [], []
    for k, axis in enumerate(axes):
        moved = np.moveaxis(index, k, -1)
        for members, total in axis.relations:
            for line in moved.reshape(-1, values.shape[k]):
                row, b = np.zeros(len(hidden)), 0.0
                for cell, sign in [(line[m], 1.0) for m in members] + [(line[total], -1.0)]:
                    if cell in column:
                        row[column[cell]] += sign
                    else:
                        b -= sign * flat[cell]
                if row.any():
                    rows.append(row)
                    rhs.append(b)
    if not rows:
        return {}
    a = np.array(rows)
    _, s, vt = np.linalg.svd(a)
    null = vt[int((s > 1e-9).sum()) :]
    x = np.linalg.lstsq(a, np.array(rhs), rcond=None)[0]
    out = {}
    for j, cell in enumerate(hidden):
        if not len(null) or np.abs(null[:, j]).max() < 1e-9:
            at = np.unravel_index(cell, values.shape)
            out[tuple(ax.labels[i] for ax, i in zip(axes, at, strict=True))] = round(x[j], 6)
    return out


@settings(max_examples=examples(300))
@given(tables())
def test_no_hidden_cell_is_solved_by_the_published_totals_together(table):
    counts, axes, threshold = table
    shown = CellTable.suppress(counts, axes, threshold).values
    assert solvable(shown, axes) == {}
    mask = hidden_cells(counts, axes, threshold)
    assert mask[counts <= threshold].all()
    assert np.array_equal(shown[~mask], counts[~mask])


def test_the_checker_finds_what_the_line_rule_alone_left():
    # Two 2x2 blocks of small cells joined by one: every line has two hidden cells, yet the
    # joining cell (4) is the sum of row and column differences.
    rows = Axis.flat("d", ["A", "B", "C", "D", "E"], "all")
    cols = Axis.flat("m", ["1", "2", "3", "4"], "all")
    counts = np.full((5, 4), 30.0)
    counts[0, :3] = [3, 5, 4]
    counts[1, :2] = [6, 2]
    counts[2, 2:] = [7, 3]
    counts[3, 2:] = [5, 8]
    counts = release.with_totals(np.pad(counts, ((0, 1), (0, 1))), [rows, cols])
    line_only = np.where(counts <= 10, np.nan, counts)
    assert solvable(line_only, [rows, cols]) == {("A", "3"): 4.0}
    assert solvable(CellTable.suppress(counts, [rows, cols], 10).values, [rows, cols]) == {}


# --- the attacker's crafted exports ---------------------------------------------------------


def load(tmp_path, files: dict[str, bytes]):
    ctx = ingest.Context(rules=load_rules(), key=b"k" * 32, now=pd.Timestamp("2026-01-01"))
    loaded = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        loaded.extend(ingest.ingest_file(path, ctx))
    return dataset.build(loaded, "attack")


def bridge_export() -> pd.DataFrame:
    """Five districts, 24 months of 30-38 calls, nine small cells forming two 2x2 blocks
    (Alder/Birch x Feb/Mar 2024, Cedar/Dogwood x Jul/Sep 2024) joined by Alder 2024-07 (4)."""
    small = {("Alder", "2024-02"): 3, ("Alder", "2024-03"): 5, ("Alder", "2024-07"): 4,
             ("Birch", "2024-02"): 6, ("Birch", "2024-03"): 2,
             ("Cedar", "2024-07"): 7, ("Cedar", "2024-09"): 3,
             ("Dogwood", "2024-07"): 5, ("Dogwood", "2024-09"): 8}  # fmt: skip
    rows = []
    for d in ["Alder", "Birch", "Cedar", "Dogwood", "Elm"]:
        for m in exports.MONTHS:
            for i in range(small.get((d, m), 30 + (len(d) * 7 + int(m[5:])) % 9)):
                rows.append(
                    {
                        "Incident #": f"I{len(rows):05d}",
                        "Call Date": f"{m}-{1 + i % 28:02d}",
                        "Call Time": "12:00",
                        "Call Type": "PERSON IN CRISIS",
                        "District": d,
                        "Use of Force": "Y" if i % 2 else "N",
                    }
                )
    return pd.DataFrame(rows)


def test_bridge_between_two_blocks_of_small_cells_is_not_solvable(tmp_path):
    ds = load(tmp_path, {"calls.csv": exports.csv_bytes(bridge_export())})
    calls = Released(release.build(ds, T)).cells["calls"]
    assert calls.get(category=ALL_CALLS, district="Alder", period="2024-07") is None
    assert calls.get(category=ALL_CALLS, district="Alder", period="2024") is not None
    # what the attacker combined: Alder's and Birch's 2024, February's and March's totals
    assert calls.get(category=ALL_CALLS, district=ALL_DISTRICTS, period="2024-02") is not None
    assert solvable(calls.values, calls.axes) == {}  # nor use of force yes/no in that cell


def sparse_month_export() -> pd.DataFrame:
    """The base export's MH calls and four more in a month before the first busy one."""
    frame = exports.base_export()
    frame = frame[frame["Call Type"] != "NOISE COMPLAINT"].reset_index(drop=True)
    early = frame.iloc[:4].assign(
        **{"Incident #": [f"EARLY-{i}" for i in range(4)], "Call Date": "2023-12-10"}
    )
    return pd.concat([frame, early], ignore_index=True)


def test_incidents_total_covers_the_same_months_as_the_calls(tmp_path):
    ds = load(tmp_path, {"calls.csv": exports.csv_bytes(sparse_month_export())})
    assert int(ds.mh["received_at"].lt("2024-01-01").sum()) == 4
    rel = release.build(ds, T)
    calls = summary(rel)["calls"]
    assert calls["period"] == {"start": "2024-01", "end": "2025-12"}
    assert calls["mh_calls"] == len(ds.mh) - 4  # an MH-only export: the 4 early calls out
    # Was 4 more (the dropped month). Over the calls' months this export has no other
    # incident: that 0 is hidden like any small count, and the total with it.
    assert calls["total_calls"] == "suppressed"
    incidents = Released(rel).cells["incidents"]
    whole = (
        Released(rel)
        .cells["calls"]
        .get(category=ALL_CALLS, district=ALL_DISTRICTS, period=WHOLE_PERIOD)
    )
    assert incidents.get(category="mh:yes") == whole == 1247
    assert incidents.get(category="mh:no") is None


def test_incidents_total_is_shown_when_other_incidents_are_many(tmp_path):
    frame = sparse_month_export()
    other = frame.iloc[:40].assign(
        **{"Incident #": [f"N{i}" for i in range(40)], "Call Type": "NOISE COMPLAINT"}
    )
    ds = load(tmp_path, {"calls.csv": exports.csv_bytes(pd.concat([frame, other]))})
    calls = summary(release.build(ds, T))["calls"]
    assert (calls["mh_calls"], calls["total_calls"]) == (1247, 1247 + 40)


def personnel_xlsx(path, untrained=(4, 2, 1)) -> bytes:
    """67 active staff (40 patrol, 15 sergeants, 12 command), 7 without the CIT course; the
    last course in 2025-03-01."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Roster"
    ws.append(["Badge #", "Employee Name", "Rank", "Assignment", "District", "Shift", "Status",
               "Hire Date"])  # fmt: skip
    log = wb.create_sheet("Training Log")
    log.append(["Badge #", "Course Title", "Completion Date", "Hours", "Status"])
    badge, k = 1000, 0
    groups = [("Officer", "Patrol", 40), ("Sergeant", "Patrol", 15), ("Lieutenant", "Command", 12)]
    for (rank, assignment, n), u in zip(groups, untrained, strict=True):
        for i in range(n):
            badge += 1
            ws.append([badge, f"NAME{badge}, X", rank, assignment, "North", "Days", "Active",
                       dt.datetime(2010, 1, 1)])  # fmt: skip
            if i >= u:
                k += 1
                year = 2020 if k % 2 else 2025
                log.append([badge, "CIT 40-Hour Basic", dt.datetime(year, 3, 1), 40, "Complete"])
    wb.save(path)
    return path.read_bytes()


def test_in_service_total_does_not_give_back_the_untrained_staff(tmp_path):
    xlsx = personnel_xlsx(tmp_path / "p.xlsx")
    ds = load(tmp_path, {"personnel.xlsx": xlsx})
    rel = release.build(ds, T)
    view = Released(rel)
    staff, in_service = view.cells["staff"], view.cells["in_service"]
    assert staff.get(category="staff", role="All staff") == 67
    assert staff.get(category="cit_40:no", role="All staff") is None  # 7 untrained
    assert staff.get(category="cit_40:yes", role="All staff") is None  # 60: its complement
    assert in_service.get(category="cit_trained") is None  # was 60 here: 67 - 60 = 7
    assert summary(rel)["roster"]["active"] == 67
    # the staff date is a month's end, not the one last course (2025-03-01)
    assert rel.meta["staff_as_of"] == "2025-03-31"


def test_in_service_total_is_shown_with_the_trained_staff(tmp_path):
    xlsx = personnel_xlsx(tmp_path / "p.xlsx", untrained=(20, 2, 1))
    view = Released(release.build(load(tmp_path, {"personnel.xlsx": xlsx}), T))
    trained = view.cells["staff"].get(category="cit_40:yes", role="All staff")
    assert trained == 67 - 23
    assert view.cells["in_service"].get(category="cit_trained") == trained
