"""Generate the large calls exports the benchmarks read: workbooks of 100k, 200k, 250k and
1,048,575 rows (a sheet's limit under one header row) and a 2M-row CSV, 15 columns each,
shaped like the sample CAD export (title-free, one header row). Cached in bench/files/."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

FILES = Path(__file__).parent / "files"
SIZES = {
    "calls_100k.xlsx": 100_000,
    "calls_200k.xlsx": 200_000,
    "calls_250k.xlsx": 250_000,
    "calls_1m.xlsx": 1_048_575,
    "calls_2m.csv": 2_000_000,
}
COLUMNS = [
    "Incident #",
    "Rcvd Date",
    "Rcvd Time",
    "Initial Call Type",
    "Final Call Type",
    "Call Source",
    "District",
    "Beat",
    "CIT Requested",
    "CIT Dispatched",
    "CIT On Scene",
    "Primary Unit Type",
    "Disposition",
    "Use of Force",
    "Subject MNI",
]
MH_TYPES = [
    "PERSON IN CRISIS",
    "SUICIDE THREAT",
    "SUICIDE ATTEMPT",
    "MENTAL HEALTH EVAL",
    "OVERDOSE",
    "EDP - AGITATED",
    "CRISIS - WELFARE",
    "5150 EVALUATION",
]
OTHER_TYPES = ["WELFARE CHECK", "DISTURBANCE", "SUSPICIOUS PERSON", "TRESPASS"]
DISTRICTS = ["Central", "North", "East", "South", "West", "Harbor"]
DISPOSITIONS = [
    "Subject Arrested",
    "Emergent Detention/ITA",
    "Mobile Crisis Team",
    "Crisis Clinic",
    "DMHP Referral",
    "Mental Health Agency or Case Manager Notified",
    "Resources Declined",
    "No Action Possible or Necessary",
    "Unable to Contact",
    "Resolved on Scene - Counseled",
    "Transported to ED",
]
UNITS = ["CIT Officer", "Co-Responder", "Mobile Crisis", "Patrol"]


def frame(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    incidents = np.arange(rows) - (rng.random(rows) < 0.08)  # ~8% share the previous id
    start = np.datetime64("2016-01-01T00:00")
    minutes = np.sort(rng.integers(0, 10 * 365 * 24 * 60, rows))
    when = start + minutes.astype("timedelta64[m]")
    final = rng.choice(MH_TYPES, rows)
    initial = np.where(rng.random(rows) < 0.7, final, rng.choice(OTHER_TYPES, rows))
    yes_no = np.array(["N", "Y"])
    requested = rng.random(rows) < 0.4
    dispatched = requested & (rng.random(rows) < 0.8)
    return pd.DataFrame(
        {
            "Incident #": [f"INC{n:08d}" for n in incidents],
            "Rcvd Date": when.astype("datetime64[D]"),
            "Rcvd Time": pd.to_datetime(when).strftime("%H:%M"),
            "Initial Call Type": initial,
            "Final Call Type": final,
            "Call Source": rng.choice(["911", "PHONE", "ON-VIEW"], rows, p=[0.7, 0.2, 0.1]),
            "District": rng.choice(DISTRICTS, rows),
            "Beat": [f"B{b}" for b in rng.integers(1, 30, rows)],
            "CIT Requested": yes_no[requested.astype(int)],
            "CIT Dispatched": yes_no[dispatched.astype(int)],
            "CIT On Scene": yes_no[(dispatched & (rng.random(rows) < 0.85)).astype(int)],
            "Primary Unit Type": rng.choice(UNITS, rows, p=[0.3, 0.05, 0.05, 0.6]),
            "Disposition": rng.choice(DISPOSITIONS, rows),
            "Use of Force": np.where(rng.random(rows) < 0.03, "Y", ""),
            "Subject MNI": [f"MNI{p:07d}" for p in rng.integers(0, rows // 2, rows)],
        }
    )


def write_xlsx(data: pd.DataFrame, path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("CAD Export")
    date_format = book.add_format({"num_format": "mm/dd/yyyy"})
    sheet.write_row(0, 0, COLUMNS)
    dates = data["Rcvd Date"].dt.to_pydatetime()
    other = data.drop(columns="Rcvd Date")
    rows = other.to_numpy(dtype=object)
    for i in range(len(data)):
        r = i + 1
        values = rows[i]
        sheet.write_string(r, 0, values[0])
        sheet.write_datetime(r, 1, dates[i], date_format)
        for j in range(1, len(values)):
            if values[j] != "":
                sheet.write_string(r, j + 1, values[j])
    book.close()


def write_csv(data: pd.DataFrame, path: Path) -> None:
    out = data.assign(**{"Rcvd Date": data["Rcvd Date"].dt.strftime("%m/%d/%Y")})
    out.to_csv(path, index=False)


def ensure(name: str) -> Path:
    path = FILES / name
    if path.exists():
        return path
    FILES.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = frame(SIZES[name])
    tmp = path.with_suffix(".tmp" + path.suffix)
    (write_csv if name.endswith(".csv") else write_xlsx)(data, tmp)
    tmp.replace(path)
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return path


if __name__ == "__main__":
    for name in sys.argv[1:] or SIZES:
        ensure(name)
