"""Deterministic generator of realistic sample workbooks for a fictional agency.

"Riverside Police Department" (six districts, 2023-2025) gets three workbooks shaped like real
exports: a CAD extract of mental-health calls (title rows, a totals footer, several rows per
incident, PII columns the app must drop), a personnel roster with a training log, and a crisis
services inventory. A CIT programme expansion starts on PROGRAMME_START and its effect ramps in
over six months, so before/after views have something to find.

Run ``python -m tools.make_sample [OUT_DIR]``. The same seed gives byte-identical files.
"""

from __future__ import annotations

import bisect
import io
import sys
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

AGENCY = "Riverside Police Department"
PERIOD_START = date(2023, 1, 1)
PERIOD_END = date(2025, 12, 31)
PROGRAMME_START = date(2024, 7, 1)
RAMP_DAYS = 182  # the programme reaches full effect about six months after launch
RUN_DATE = datetime(2026, 1, 5, 6, 0)
DEFAULT_SEED = 20240701
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "pmhc" / "sample_data"

CALLS_FILE = "riverside_cad_mh_calls_2023_2025.xlsx"
PERSONNEL_FILE = "riverside_personnel.xlsx"
SERVICES_FILE = "riverside_crisis_services.xlsx"

# name: (beat prefix, beats, share of calls, connection multiplier, CIT-training multiplier)
DISTRICTS = {
    "Central": ("C", 5, 0.26, 1.10, 1.2),
    "North": ("N", 4, 0.17, 1.05, 1.1),
    "East": ("E", 4, 0.16, 1.00, 1.0),
    "South": ("S", 4, 0.18, 1.00, 1.0),
    "West": ("W", 3, 0.13, 0.95, 0.5),
    "Harbor": ("H", 3, 0.10, 0.70, 0.35),
}
SHIFT_MULT = {"Days": 1.0, "Evenings": 1.0, "Nights": 0.4}  # Nights is under-trained

# Incident-level rates before the programme and once it is fully in effect.
PRE = {"cit_dispatched": 0.25, "on_scene": 0.80, "arrest": 0.09, "connection": 0.30,
       "force": 0.040, "late_id": 0.30}  # fmt: skip
POST = {"cit_dispatched": 0.55, "on_scene": 0.875, "arrest": 0.05, "connection": 0.45,
        "force": 0.025, "late_id": 0.22}  # fmt: skip
HOLD_RATE = 0.10
MULTI_UNIT_RATE = 0.08

MH_CALL_TYPES = {
    "PERSON IN CRISIS": 0.30, "SUICIDE THREAT": 0.15, "SUICIDE ATTEMPT": 0.05,
    "MENTAL HEALTH EVAL": 0.12, "OVERDOSE": 0.10, "EDP - AGITATED": 0.10,
    "CRISIS - WELFARE": 0.13, "5150 EVALUATION": 0.05,
}  # fmt: skip
# Non-MH types must not contain MH words (CRISIS, SUICIDE, MENTAL, OVERDOSE, EDP, 5150, PSYCH).
NON_MH_FINAL = ["DISTURBANCE", "TRESPASS", "SUSPICIOUS PERSON"]
NON_MH_INITIAL = [*NON_MH_FINAL, "WELFARE CHECK", "NOISE COMPLAINT"]
CALL_SOURCES = {"911": 0.78, "PHONE": 0.13, "ON-VIEW": 0.07, "ALARM": 0.02}

# Share of calls by hour: trough 04-07, peak 14-22.
HOUR_WEIGHTS = np.array([3.2, 2.8, 2.4, 2.0, 1.5, 1.3, 1.4, 1.8, 2.6, 3.2, 3.6, 4.0,
                         4.3, 4.5, 5.2, 5.6, 5.8, 6.0, 6.0, 5.9, 5.7, 5.3, 4.6, 3.8])  # fmt: skip

CONNECTIONS = {
    "Voluntary Committal": 0.10, "Mobile Crisis Team": 0.20, "Crisis Clinic": 0.12,
    "DMHP Referral": 0.10, "Drug/Alcohol Treatment Referral": 0.10,
    "Mental Health Agency or Case Manager Notified": 0.16,
    "Geriatric Regional Assessment Team": 0.04, "Transported to ED": 0.18,
}  # fmt: skip
DAYTIME_ONLY = {"Mobile Crisis Team", "Geriatric Regional Assessment Team"}  # closed 23:00-07:00
OTHER_DISPOSITIONS = {
    "Resources Declined": 0.22, "No Action Possible or Necessary": 0.18,
    "Unable to Contact": 0.12, "Chronic Complaint": 0.08,
    "Resolved on Scene - Counseled": 0.34, "Shelter Transport": 0.06,
}  # fmt: skip
CSU, ED = "Crisis Stabilization Unit", "Riverside General ED"
DETOX, JAIL = "Detox Center", "County Jail"
TRANSPORT = {  # disposition: {destination: probability}; the remainder is no transport
    "Subject Arrested": {JAIL: 0.85},
    "Emergent Detention/ITA": {ED: 0.55, CSU: 0.45},
    "Voluntary Committal": {CSU: 0.5, ED: 0.5},
    "Transported to ED": {ED: 1.0},
    "Drug/Alcohol Treatment Referral": {DETOX: 0.5},
    "Crisis Clinic": {CSU: 0.3},
    "Mobile Crisis Team": {CSU: 0.15},
}

LAST_NAMES = [
    "ABBOTT", "ALVAREZ", "BAKER", "BRENNAN", "CALLOWAY", "CHEN", "DELGADO", "DUNMORE", "ELLIS",
    "FARROW", "GARNER", "HALVORSEN", "IBARRA", "JENSEN", "KOWALSKI", "LINDQVIST", "MARCHETTI",
    "NAKAMURA", "OKAFOR", "PEMBERTON", "QUINTERO", "RASMUSSEN", "SALAZAR", "THORNBURY",
    "UMBERGER", "VASQUEZ", "WHITTAKER", "YOUNGBLOOD", "ZELLER", "ASHGROVE", "BELLAMY", "CORRIGAN",
    "DRUMMOND", "FENWICK", "GALLOWAY", "HOLLISTER",
]  # fmt: skip
FIRST_NAMES = [
    "AARON", "ALICIA", "BEN", "CARMEN", "DANIEL", "DEVON", "ELENA", "FRANK", "GRACE", "HECTOR",
    "IRIS", "JAMAL", "KAREN", "LIAM", "MARISOL", "NATHAN", "OLIVIA", "PRIYA", "QUINN", "ROSA",
    "SAMUEL", "TANYA", "VICTOR", "WENDY", "XAVIER", "YOLANDA", "ZACH", "MORGAN", "RILEY",
    "JORDAN",
]  # fmt: skip


def _choice(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    """Draw `size` keys of `weights` with the given (unnormalised) probabilities."""
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(np.array(list(weights), dtype=object), size=size, p=p / p.sum())


def _names(rng: np.random.Generator, n: int) -> list[str]:
    last = rng.choice(LAST_NAMES, n)
    first = rng.choice(FIRST_NAMES, n)
    return [f"{a}, {b}" for a, b in zip(last, first, strict=True)]


def _scaled(rate: np.ndarray, mult: np.ndarray) -> np.ndarray:
    """Apply relative multipliers while keeping the overall rate on target."""
    return np.clip(rate * mult / mult.mean(), 0.0, 1.0)


def _ramp(days: pd.Series) -> np.ndarray:
    """0 before the programme, rising linearly to 1 over RAMP_DAYS."""
    since = (days - pd.Timestamp(PROGRAMME_START)).dt.days.to_numpy()
    return np.clip(since / RAMP_DAYS, 0.0, 1.0)


def _rate(name: str, ramp: np.ndarray) -> np.ndarray:
    return PRE[name] + (POST[name] - PRE[name]) * ramp


def _random_dates(rng: np.random.Generator, lo, hi, n: int | None = None):
    """Uniform random dates in [lo, hi] (scalars or arrays of datetime64[D])."""
    lo, hi = np.datetime64(lo, "D"), np.datetime64(hi, "D")
    span = (hi - lo).astype(int) + 1
    return lo + (rng.random(n) * span).astype(int)


# --------------------------------------------------------------------------- roster

ROSTER_PLAN = [  # rank, assignment, headcount, years of service (min, max)
    ("Chief", "Command", 1, (24, 30)), ("Deputy Chief", "Command", 2, (20, 28)),
    ("Captain", "Command", 4, (16, 26)), ("Lieutenant", "Command", 8, (12, 22)),
    ("Sergeant", "Supervisor", 45, (6, 20)), ("Corporal", "Patrol", 35, (4, 15)),
    ("Officer", "Patrol", 255, (0.5, 18)), ("Dispatcher", "Communications", 30, (0.5, 20)),
    ("Corporal", "Investigations", 2, (6, 15)), ("Officer", "Investigations", 7, (4, 15)),
    ("Officer", "Traffic", 7, (3, 15)), ("Civilian Analyst", "Admin", 4, (1, 10)),
]  # fmt: skip


def build_roster(rng: np.random.Generator) -> pd.DataFrame:
    """About 400 staff. Internal columns (lower case) feed training and call assignment."""
    rows = [(r, a, yrs) for r, a, n, yrs in ROSTER_PLAN for _ in range(n)]
    df = pd.DataFrame(rows, columns=["rank", "assignment", "yrs"])
    n = len(df)
    field = df["assignment"].isin(["Patrol", "Supervisor"])
    weights = {d: v[2] for d, v in DISTRICTS.items()}
    df["district"] = np.where(field, _choice(rng, weights, n), "HQ")
    df.loc[df["assignment"] == "Admin", "district"] = None
    shifts = _choice(rng, {"Days": 0.36, "Evenings": 0.36, "Nights": 0.28}, n)
    df["shift"] = np.where(field | (df["assignment"] == "Communications"), shifts, "Days")
    df.loc[df["assignment"] == "Admin", "shift"] = None
    lo, hi = np.array([y[0] for y in df["yrs"]]), np.array([y[1] for y in df["yrs"]])
    service_days = ((lo + rng.random(n) * (hi - lo)) * 365.25).astype(int)
    df["hire_date"] = pd.Timestamp(PERIOD_END) - pd.to_timedelta(service_days, unit="D")
    df = df.sort_values("hire_date", kind="stable").reset_index(drop=True)
    # Badges are issued in hiring order, so senior staff have low numbers.
    df["badge"] = np.sort(rng.choice(np.arange(1001, 9000), size=n, replace=False))
    df["active"] = (rng.random(n) >= 0.05) | (df["rank"] == "Chief")
    # Inactive staff left at some point; they drop out of training and calls after that.
    left = _random_dates(rng, "2023-03-01", "2025-11-30", n).astype("datetime64[ns]")
    left = np.maximum(left, (df["hire_date"] + pd.Timedelta(days=60)).to_numpy())
    df["active_until"] = np.where(df["active"], np.datetime64(RUN_DATE, "ns"), left)
    df["name"] = _names(rng, n)
    df["sworn"] = ~df["rank"].isin(["Dispatcher", "Civilian Analyst"])
    df["patrol"] = df["assignment"] == "Patrol"
    return df.drop(columns="yrs")


# ------------------------------------------------------------------------- training


def _third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


CIT_BASIC = "Crisis Intervention Team (CIT) 40-Hour Basic"
PRE_SESSIONS = [_third_friday(y, m) for y in range(2019, 2025) for m in (3, 10)][:-1]
POST_SESSIONS = [_third_friday(2024 + (m - 1) // 12, (m - 1) % 12 + 1) for m in range(8, 24)]


def _pick(rng, pool: pd.DataFrame, k: int, weight: pd.Series | None = None) -> pd.Index:
    k = min(k, len(pool))
    p = None if weight is None else (weight / weight.sum()).to_numpy()
    return pd.Index(rng.choice(pool.index.to_numpy(), size=k, replace=False, p=p))


def _session_after(rng, hire: pd.Timestamp, sessions: list[date]) -> date | None:
    """A random session at least a year after hire (new officers finish field training first)."""
    ok = [s for s in sessions if pd.Timestamp(s) >= hire + pd.Timedelta(days=365)]
    return ok[rng.integers(len(ok))] if ok else None


def cit_basic_dates(rng: np.random.Generator, roster: pd.DataFrame) -> pd.Series:
    """Completion date of the 40-hour CIT course per roster row (NaT if never trained).

    Coverage of active patrol is ~18% before the programme and ~38% at the end of 2025;
    Nights and the Harbor/West districts are under-covered, supervisors catch up later.
    """
    out = pd.Series(pd.NaT, index=roster.index, dtype="datetime64[ns]")
    district = roster["district"].map(lambda d: DISTRICTS.get(d, (0, 0, 0, 0, 1.0))[4])
    weight = district * roster["shift"].map(SHIFT_MULT).fillna(1.0)
    active_patrol = roster["patrol"] & roster["active"]
    n_ap = int(active_patrol.sum())
    plans = [  # (who, pre-programme count, total count by end of 2025)
        (active_patrol, round(0.18 * n_ap), round(0.38 * n_ap)),
        (roster["patrol"] & ~roster["active"], 4, 5),
        (roster["rank"] == "Sergeant", 4, 15),
        (roster["assignment"] == "Command", 2, 6),
        (roster["assignment"].isin(["Investigations", "Traffic"]), 1, 2),
    ]
    for who, n_pre, n_total in plans:
        pre_pool = roster[who & (roster["hire_date"] < pd.Timestamp("2023-03-01"))]
        pre = _pick(rng, pre_pool, n_pre, weight[pre_pool.index])
        post_pool = roster[who & (roster["hire_date"] < pd.Timestamp("2024-10-01"))]
        post_pool = post_pool.drop(pre)
        post = _pick(rng, post_pool, n_total - len(pre), weight[post_pool.index])
        for idx, sessions in ((pre, PRE_SESSIONS), (post, POST_SESSIONS)):
            for i in idx:
                out[i] = pd.Timestamp(_session_after(rng, roster.at[i, "hire_date"], sessions))
    return out


def _refresher_dates(rng, basic: pd.Timestamp, overdue: bool) -> list[pd.Timestamp]:
    """In-service every 11-23 months after the 40-hour course; overdue officers stop early."""
    dates: list = []
    when = basic
    while True:
        when = when + pd.Timedelta(days=int(rng.integers(335, 700)))
        if when > pd.Timestamp(PERIOD_END) or (overdue and when >= pd.Timestamp("2023-12-01")):
            return dates
        dates.append(when)


def _cit_rows(rng, roster: pd.DataFrame, basic: pd.Series) -> list[tuple]:
    rows = []
    trained = basic.dropna()
    # ~25% of active CIT officers have had no CIT training in the 24 months to 2025-12-31.
    active_trained = trained[roster.loc[trained.index, "active"]]
    old = active_trained[active_trained < pd.Timestamp("2023-12-01")]
    overdue = set(_pick(rng, old.to_frame(), round(0.25 * len(active_trained))))
    for i, when in trained.items():
        badge = roster.at[i, "badge"]
        rows.append((badge, CIT_BASIC, when, 40, "Complete"))
        for r in _refresher_dates(rng, when, i in overdue):
            rows.append((badge, "CIT In-Service Refresher", r, 8, "Complete"))
    # A few untrained patrol officers signed up and did not finish.
    dropouts = _pick(rng, roster[roster["patrol"] & basic.isna()], 18)
    for i in dropouts:
        when = _session_after(rng, roster.at[i, "hire_date"], PRE_SESSIONS + POST_SESSIONS)
        status, hours = ("No Show", 0) if rng.random() < 0.6 else ("Incomplete", 24)
        if when is not None:
            rows.append((roster.at[i, "badge"], CIT_BASIC, pd.Timestamp(when), hours, status))
    return rows


def _once(rng, badge: int, course: str, hours: int, lo, hi) -> list[tuple]:
    """One completed course on a random date in [lo, hi], if that window exists."""
    if lo > hi:
        return []
    return [(badge, course, pd.Timestamp(_random_dates(rng, lo, hi)), hours, "Complete")]


def _yearly_rows(rng, r, start: pd.Timestamp, end: pd.Timestamp) -> list[tuple]:
    """Firearms every year (a few miss and retake it), defensive tactics every other year."""
    rows = []
    for y in range(start.year, end.year + 1):
        lo, hi = max(start, pd.Timestamp(y, 1, 1)), min(end, pd.Timestamp(y, 12, 31))
        when = pd.Timestamp(_random_dates(rng, lo, hi))
        if rng.random() < 0.03:
            rows.append((r.badge, "Firearms Qualification", when, 0, "No Show"))
            when = min(hi, when + pd.Timedelta(days=int(rng.integers(14, 42))))
        rows.append((r.badge, "Firearms Qualification", when, 4, "Complete"))
        if y % 2 == r.badge % 2:
            rows += _once(rng, r.badge, "Defensive Tactics Update", 8, lo, hi)
    return rows


def _routine_rows(rng, roster: pd.DataFrame) -> list[tuple]:
    """Non-CIT courses: yearly sworn training, de-escalation, dispatcher course, MHFA."""
    launch = pd.Timestamp(PROGRAMME_START)
    rows = []
    for r in roster.itertuples():
        start = max(r.hire_date + pd.Timedelta(days=30), pd.Timestamp("2019-01-01"))
        end = min(r.active_until, pd.Timestamp(PERIOD_END))
        pre, post = (start, min(end, launch - pd.Timedelta(days=1))), (max(start, launch), end)
        u = rng.random()
        if r.sworn:
            rows += _yearly_rows(rng, r, start, end)
            # De-escalation: ~20% before the programme; patrol catches up after it.
            window = pre if u < 0.2 else post if u < (0.6 if r.patrol else 0.3) else None
            rows += _once(rng, r.badge, "ICAT De-escalation", 16, *window) if window else []
        if r.rank == "Dispatcher":
            window = pre if u < 0.6 else post if u < 0.9 else None
            course = "Dispatcher Crisis Call Handling (16 hr)"
            rows += _once(rng, r.badge, course, 16, *window) if window else []
        if rng.random() < 0.25:
            course = "Mental Health First Aid for Public Safety"
            rows += _once(rng, r.badge, course, 8, start, end)
    return rows


def build_training(rng, roster: pd.DataFrame, basic: pd.Series) -> pd.DataFrame:
    rows = _cit_rows(rng, roster, basic) + _routine_rows(rng, roster)
    cols = ["Badge #", "Course Title", "Completion Date", "Hours", "Status"]
    df = pd.DataFrame(rows, columns=cols)
    df["Completion Date"] = pd.to_datetime(df["Completion Date"]).dt.date
    return df.sort_values(["Completion Date", "Badge #", "Course Title"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- calls


def _incident_times(rng: np.random.Generator) -> pd.DataFrame:
    """Received date-times with seasonality (summer), weekday and hour-of-day patterns."""
    days = pd.date_range(PERIOD_START, PERIOD_END, freq="D")
    season = 1 + 0.15 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 196) / 365.25)
    weekday = np.where(days.day_of_week < 5, 1.03, 0.925)
    trend = np.linspace(0.97, 1.03, len(days))
    counts = rng.poisson(23.3 * season * weekday * trend)
    day = np.repeat(days.to_numpy(), counts)
    hour = rng.choice(24, size=len(day), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    minute = rng.integers(0, 60, size=len(day))
    received = day + (hour * 60 + minute).astype("timedelta64[m]")
    inc = pd.DataFrame({"received": np.sort(received)})
    inc["hour"] = inc["received"].dt.hour
    inc["night"] = inc["hour"] < 7
    inc["weekend"] = inc["received"].dt.day_of_week >= 5
    inc["ramp"] = _ramp(inc["received"].dt.normalize())
    return inc


def _incident_numbers(rng, received: pd.Series) -> list[str]:
    """RPDyy-nnnnnn: CAD numbers all calls, so MH incidents are a sparse, rising subsequence."""
    gaps = rng.integers(5, 40, size=len(received))
    seq = pd.Series(gaps).groupby(received.dt.year.to_numpy()).cumsum().to_numpy()
    return [f"RPD{y % 100:02d}-{s:06d}" for y, s in zip(received.dt.year, seq, strict=True)]


def _place(rng, inc: pd.DataFrame) -> None:
    n = len(inc)
    inc["district"] = _choice(rng, {d: v[2] for d, v in DISTRICTS.items()}, n)
    prefix = inc["district"].map(lambda d: DISTRICTS[d][0])
    beats = inc["district"].map(lambda d: DISTRICTS[d][1]).to_numpy()
    # Lower-numbered beats are busier (downtown cores).
    beat_no = np.minimum((rng.random(n) ** 1.4 * beats).astype(int) + 1, beats)
    inc["beat"] = prefix + pd.Series(beat_no, index=inc.index).astype(str)
    inc["source"] = _choice(rng, CALL_SOURCES, n)


def _call_types(rng, inc: pd.DataFrame) -> None:
    """~4% turn out not to be MH; ~30% (falling to ~22%) were only recognised as MH at close."""
    n = len(inc)
    mh_final = _choice(rng, MH_CALL_TYPES, n)
    not_mh = rng.random(n) < 0.04
    inc["final_type"] = np.where(not_mh, rng.choice(NON_MH_FINAL, n), mh_final)
    late = rng.random(n) < _rate("late_id", inc["ramp"].to_numpy())
    initial = np.where(late, rng.choice(NON_MH_INITIAL, n), inc["final_type"])
    inc["initial_type"] = np.where(not_mh, mh_final, initial)  # looked like MH at dispatch


def _cit_response(rng, inc: pd.DataFrame) -> None:
    n, ramp = len(inc), inc["ramp"].to_numpy()
    district = inc["district"].map({"Central": 1.1, "Harbor": 0.8, "West": 0.9}).fillna(1.0)
    mult = np.where(inc["night"], 0.7, 1.0) * district.to_numpy()  # fewer CIT officers at night
    inc["cit_dispatched"] = rng.random(n) < _scaled(_rate("cit_dispatched", ramp), mult)
    self_dispatched = rng.random(n) < 0.08
    unmet_request = rng.random(n) < 0.12
    inc["cit_requested"] = np.where(inc["cit_dispatched"], ~self_dispatched, unmet_request)
    inc["cit_on_scene"] = inc["cit_dispatched"] & (rng.random(n) < _rate("on_scene", ramp))
    coresponder = rng.random(n) < 0.05 + 0.20 * ramp
    cit_unit = np.where(coresponder, "Co-Responder", "CIT Officer")
    inc["unit_type"] = np.where(inc["cit_on_scene"], cit_unit, "Patrol")


def _outcomes(rng, inc: pd.DataFrame) -> None:
    """One outcome group per incident: arrest, involuntary hold, connection or other."""
    n, ramp = len(inc), inc["ramp"].to_numpy()
    inc["weapon"] = rng.random(n) < 0.06
    cit = inc["cit_on_scene"].to_numpy()
    arrest_mult = np.where(inc["weapon"], 3.0, 1.0) * np.where(cit, 0.8, 1.0)
    p_arrest = _scaled(_rate("arrest", ramp), arrest_mult)
    # Services are closed at night and thinner at weekends; trained officers connect more.
    conn_mult = inc["district"].map(lambda d: DISTRICTS[d][3]).to_numpy()
    conn_mult = conn_mult * np.where(inc["night"], 0.6, 1.0) * np.where(inc["weekend"], 0.85, 1.0)
    conn_mult = conn_mult * np.where(cit, 1.15, 1.0)
    p_conn = np.minimum(_scaled(_rate("connection", ramp), conn_mult), 1 - p_arrest - HOLD_RATE)
    u = rng.random(n)
    edges = [u < p_arrest, u < p_arrest + HOLD_RATE, u < p_arrest + HOLD_RATE + p_conn]
    group = np.select(edges, ["arrest", "hold", "connection"], "other")
    closed = (inc["hour"] >= 23) | (inc["hour"] < 7)
    day_conn = _choice(rng, CONNECTIONS, n)
    night_conn = _choice(rng, {k: v for k, v in CONNECTIONS.items() if k not in DAYTIME_ONLY}, n)
    disposition = np.select(
        [group == "arrest", group == "hold", group == "connection"],
        ["Subject Arrested", "Emergent Detention/ITA", np.where(closed, night_conn, day_conn)],
        _choice(rng, OTHER_DISPOSITIONS, n),
    )
    inc["group"], inc["disposition"] = group, disposition
    force_mult = np.select([group == "arrest", group == "hold"], [4.0, 1.5], 0.7)
    inc["force"] = rng.random(n) < _scaled(_rate("force", ramp), force_mult)
    inc["subj_injured"] = rng.random(n) < np.where(inc["force"], 0.25, 0.012)
    inc["ofc_injured"] = rng.random(n) < np.where(inc["force"], 0.15, 0.006)


def _transport(rng, disposition: pd.Series) -> np.ndarray:
    u = rng.random(len(disposition))
    out = np.full(len(disposition), None, dtype=object)
    for dispo, dests in TRANSPORT.items():
        hit = (disposition == dispo).to_numpy()
        edge = 0.0
        for dest, p in dests.items():
            out[hit & (u >= edge) & (u < edge + p)] = dest
            edge += p
    return out


def _persons(rng, inc: pd.DataFrame) -> None:
    """Each district has its own people; ~30% of them appear 2+ times, a few 6-15 times."""
    counts_p = {1: 0.70, 2: 0.18, 3: 0.07, 4: 0.03, 5: 0.016, 6: 0.004}
    inc["mni"] = None
    identified = rng.random(len(inc)) >= 0.05
    next_id = 4000
    for d in DISTRICTS:
        idx = inc.index[identified & (inc["district"] == d).to_numpy()]
        counts = _choice(rng, counts_p, len(idx)).astype(int)
        frequent = counts == 6
        counts[frequent] = rng.integers(6, 16, frequent.sum())
        counts = counts[: np.searchsorted(np.cumsum(counts), len(idx)) + 1]
        ids = next_id + np.cumsum(rng.integers(1, 60, len(counts)))
        next_id = int(ids[-1])
        slots = rng.permutation(np.repeat(ids, counts)[: len(idx)])
        inc.loc[idx, "mni"] = [f"MNI{i:07d}" for i in slots]
    people = pd.Series(inc["mni"].dropna().unique())
    ages = np.clip(rng.normal(38, 14, len(people)), 14, 90)
    dob = pd.Timestamp("2024-07-01") - pd.to_timedelta((ages * 365.25).astype(int), unit="D")
    veteran = _choice(rng, {"Y": 0.07, "N": 0.80, "U": 0.13}, len(people))
    lookup = pd.DataFrame(
        {"name": _names(rng, len(people)), "dob": dob.date, "veteran": veteran}, index=people
    )
    inc[["subj_name", "subj_dob", "veteran"]] = lookup.reindex(inc["mni"]).to_numpy()
    inc["veteran"] = inc["veteran"].fillna("U")


def _expand_units(rng, inc: pd.DataFrame) -> pd.DataFrame:
    """~8% of incidents get a 2nd (and sometimes 3rd) responding unit, one row per unit."""
    n = len(inc)
    extra = (rng.random(n) < MULTI_UNIT_RATE) * np.where(rng.random(n) < 0.2, 2, 1)
    rows = inc.loc[inc.index.repeat(1 + extra)].reset_index(names="incident")
    second = rows.groupby("incident").cumcount().to_numpy() > 0
    serious = rows["group"].isin(["arrest", "hold"]).to_numpy()
    closed = ((rows["hour"] >= 23) | (rows["hour"] < 7)).to_numpy()
    # A backup unit may record its own disposition, e.g. Mobile Crisis beside an arrest.
    u = rng.random(len(rows))
    dispo = np.where(u < 0.6, rows["disposition"], "No Action Possible or Necessary")
    dispo = np.where(serious & ~closed & (u < 0.35), "Mobile Crisis Team", dispo)
    rows.loc[second, "disposition"] = dispo[second]
    rows.loc[second, "cit_on_scene"] = False
    rows.loc[second, ["force", "subj_injured", "ofc_injured"]] = False
    mobile = dispo[second] == "Mobile Crisis Team"
    rows.loc[second, "unit_type"] = np.where(mobile, "Mobile Crisis", "Patrol")
    rows["transport"] = _transport(rng, rows["disposition"])
    rows.loc[second & (rows["disposition"] != "Mobile Crisis Team").to_numpy(), "transport"] = None
    rows["unit"] = second
    return rows


def _unit_times(rng, rows: pd.DataFrame) -> None:
    n = len(rows)
    travel = 5 + 20 * rng.beta(2, 3, n) + np.where(rows["cit_requested"], rng.uniform(2, 8, n), 0)
    travel += np.where(rows["unit"], rng.uniform(2, 15, n), 0)
    on_scene = 20 + 100 * rng.beta(2, 4, n) + np.where(rows["transport"].notna(), 30, 0)
    # Whether any unit arrived is decided once per incident (on its first row).
    no_arrival = rng.random(n) < np.where(rows["disposition"] == "Unable to Contact", 0.5, 0.01)
    no_arrival = pd.Series(no_arrival).groupby(rows["incident"].to_numpy()).transform("first")
    arrived = rows["received"] + pd.to_timedelta(np.round(travel), unit="m")
    cleared = arrived + pd.to_timedelta(np.round(on_scene), unit="m")
    cancelled = rows["received"] + pd.to_timedelta(rng.integers(10, 41, n), unit="m")
    rows["arrived"] = arrived.where(~no_arrival)
    rows["cleared"] = cleared.where(~no_arrival, cancelled)


def _shift_of(hour: int) -> str:
    return "Days" if 7 <= hour < 15 else "Evenings" if 15 <= hour < 23 else "Nights"


def _pools(roster: pd.DataFrame, since: pd.Series, mask: pd.Series) -> dict:
    """(district, shift) / district / None -> (sorted start dates, badges) for quick lookup."""
    df = roster[mask].assign(since=since[mask]).dropna(subset=["since"]).sort_values("since")
    pools = {None: (df["since"].tolist(), df.index.to_numpy())}
    for key, g in df.groupby(["district", "shift"]):
        pools[key] = (g["since"].tolist(), g.index.to_numpy())
    for key, g in df.groupby("district"):
        pools[key] = (g["since"].tolist(), g.index.to_numpy())
    return pools


def _assign_badges(rng, rows: pd.DataFrame, roster: pd.DataFrame, basic: pd.Series) -> list[int]:
    """Officers on duty in the district; CIT-on-scene rows mostly get a trained officer.

    A unit is one officer here, so the rows of one incident carry different badges.
    """
    field = roster["patrol"] | (roster["rank"] == "Sergeant")
    patrol = _pools(roster, roster["hire_date"] + pd.Timedelta(days=120), field)
    cit = _pools(roster, basic, basic.notna() & roster["district"].isin(list(DISTRICTS)))
    until, badge_of = roster["active_until"].tolist(), roster["badge"].tolist()
    badges: list = []
    taken: tuple = (None, set())  # (incident, badges already on it)
    names = ("incident", "received", "district", "hour", "cit_on_scene")
    columns = [rows[c].tolist() for c in names]
    for inc, when, district, hour, on_scene, u in zip(*columns, rng.random(len(rows)), strict=True):
        if taken[0] != inc:
            taken = (inc, set())
        pools = cit if on_scene and u < 0.9 else patrol
        for key in ((district, _shift_of(hour)), district, None):
            dates, idx = pools.get(key, ([], []))
            k = bisect.bisect_right(dates, when)
            tries = idx[rng.integers(k, size=6)] if k else []
            pick = [badge_of[i] for i in tries if until[i] >= when]
            pick = [b for b in pick if b not in taken[1]]
            if pick:
                badges.append(pick[0])
                taken[1].add(pick[0])
                break
        else:
            raise RuntimeError(f"no officer available on {when}")
    return badges


NARRATIVE = (
    ["RP reports", "Family member reports", "Caller states", "Officer observed", "Neighbor says"],
    ["adult male", "adult female", "juvenile", "elderly subject", "subject"],
    ["yelling at passers-by", "making statements of self-harm", "pacing in traffic",
     "refusing to leave", "acting confused", "threatening family members"],
    ["near the transit center.", "in an apartment hallway.", "outside a convenience store.",
     "at a residence.", "in a city park.", "at the waterfront."],
)  # fmt: skip
OUTCOME_TEXT = {
    "arrest": "Subject booked.", "hold": "Subject placed on emergency hold.",
    "connection": "Subject connected with services.", "other": "No further action.",
}  # fmt: skip


def _narratives(rng, rows: pd.DataFrame) -> list[str]:
    parts = [rng.choice(words, len(rows)) for words in NARRATIVE]
    ends = [OUTCOME_TEXT[g] for g in rows["group"]]
    return [" ".join(p) for p in zip(*parts, ends, strict=True)]


def build_calls(rng, roster: pd.DataFrame, basic: pd.Series) -> pd.DataFrame:
    """One row per responding unit, with the CAD export's column names."""
    inc = _incident_times(rng)
    inc["incident_no"] = _incident_numbers(rng, inc["received"])
    _place(rng, inc)
    _call_types(rng, inc)
    _cit_response(rng, inc)
    _outcomes(rng, inc)
    _persons(rng, inc)
    rows = _expand_units(rng, inc)
    _unit_times(rng, rows)
    yn = {True: "Y", False: "N"}
    y_blank = {True: "Y", False: None}
    return pd.DataFrame({
        "Incident #": rows["incident_no"],
        "Rcvd Date": rows["received"].dt.date,
        "Rcvd Time": rows["received"].dt.strftime("%H:%M"),
        "Initial Call Type": rows["initial_type"],
        "Final Call Type": rows["final_type"],
        "Call Source": rows["source"],
        "District": rows["district"],
        "Beat": rows["beat"],
        "Arrived Dt/Tm": rows["arrived"],
        "Cleared Dt/Tm": rows["cleared"],
        "CIT Requested": rows["cit_requested"].map(yn),
        "CIT Dispatched": rows["cit_dispatched"].map(yn),
        "CIT On Scene": rows["cit_on_scene"].map(yn),
        "Primary Unit Type": rows["unit_type"],
        "Disposition": rows["disposition"],
        "Transport Dest": rows["transport"],
        "Use of Force": rows["force"].map(y_blank),
        "Subj Injured": rows["subj_injured"].map(y_blank),
        "Ofc Injured": rows["ofc_injured"].map(y_blank),
        "Weapon Involved": rows["weapon"].map(yn),
        "Veteran": rows["veteran"],
        "Subject MNI": rows["mni"],
        "Ofc Badge #": _assign_badges(rng, rows, roster, basic),
        "Subject Name": rows["subj_name"],
        "Subj DOB": rows["subj_dob"],
        "Narrative": _narratives(rng, rows),
    })  # fmt: skip


# ------------------------------------------------------------------------- services

SERVICES = [  # provider, type, hours, police drop-off, capacity, phone 555-01xx
    ("Riverside Regional 988 Crisis Line", "Crisis Line", "24/7", "No", None, 88),
    ("Riverside County Mobile Crisis Team", "Mobile Crisis", "Daily 7:00-23:00", "No", 3, 41),
    ("Riverside Crisis Stabilization Unit", "Crisis Stabilization", "24/7", "Yes", 16, 52),
    ("Riverside General Hospital ED", "Emergency Department", "24/7", "Yes", None, 10),
    ("St. Brigid Medical Center ED", "Emergency Department", "24/7", "Yes", None, 17),
    ("Riverside Withdrawal Management (Detox)", "Detox", "24/7", "Yes", 20, 63),
    ("Northside Community Mental Health Clinic", "Outpatient", "Mon-Fri 8:00-17:00", "No", 40, 24),
    ("Geriatric Regional Assessment Team", "Outpatient", "Mon-Fri 8:30-16:30", "No", 12, 31),
    ("Riverside Peer Warmline", "Peer Support", "Daily 12:00-22:00", "No", None, 76),
    ("Bridges Peer Respite House", "Peer Support", "24/7", "No", 6, 79),
    ("Harbor Street Emergency Shelter", "Housing", "24/7", "Yes", 60, 90),
    ("Riverside Supportive Housing Program", "Housing", "Mon-Fri 8:00-16:30", "No", 35, 95),
]  # fmt: skip


def build_services() -> pd.DataFrame:
    cols = ["Provider / Program", "Service Type", "Hours", "Accepts Police Drop-off", "Capacity"]
    df = pd.DataFrame([s[:5] for s in SERVICES], columns=cols, dtype=object)
    df["Phone"] = [f"(360) 555-01{s[5]:02d}" for s in SERVICES]  # 555-01xx is reserved for fiction
    return df


# -------------------------------------------------------------------------- writing

DATE_FORMAT, DATETIME_FORMAT = "m/d/yyyy", "m/d/yyyy h:mm"


def _cells(ws, df: pd.DataFrame) -> None:
    """Append a header and data rows; missing values become empty cells, dates real dates."""
    ws.append(list(df.columns))
    columns = []
    for name in df.columns:
        values = df[name].astype(object).where(df[name].notna(), None).tolist()
        if pd.api.types.is_datetime64_any_dtype(df[name]):
            values = [None if v is None else v.to_pydatetime() for v in values]
        columns.append(values)
    for row in zip(*columns, strict=True):
        ws.append([_cell(ws, v) for v in row])


def _cell(ws, value):
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell
    return value.item() if isinstance(value, np.generic) else value


def _save(wb: Workbook, path: Path) -> None:
    """Save with fixed document and zip timestamps, so reruns give byte-identical files."""
    wb.properties.creator = wb.properties.lastModifiedBy = "Riverside PD Records Unit"
    wb.properties.created = wb.properties.modified = RUN_DATE
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=RUN_DATE.timetuple()[:6])
            fixed.external_attr = 0o644 << 16  # rw-r--r-- when unzipped
            dst.writestr(fixed, src.read(info), compress_type=zipfile.ZIP_DEFLATED)


def write_calls(calls: pd.DataFrame, path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("CAD Export")
    ws.append([f"{AGENCY} - Calls for Service with Mental Health Indicators"])
    ws.append(["Run date: 01/05/2026  Period: 01/01/2023 - 12/31/2025"])
    ws.append([])
    _cells(ws, calls)
    ws.append([])
    ws.append([f"Total Records: {len(calls)}"])
    params = wb.create_sheet("Report Parameters")
    for line in [("Report name", "MH Indicator Calls - Unit Detail"),
                 ("Generated by", "CAD Reporting Services (scheduled job)"),
                 ("Run date", "01/05/2026 06:00"), ("Period", "01/01/2023 - 12/31/2025"),
                 ("Filters", "MH Indicator = Y OR Final Call Type IN (MH TYPES)"),
                 ("Sort", "Rcvd Date, Rcvd Time, Incident #")]:  # fmt: skip
        params.append(line)
    _save(wb, path)


def write_personnel(roster: pd.DataFrame, training: pd.DataFrame, path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Roster")
    ws.append(["Riverside PD Personnel Roster as of 12/31/2025"])
    ws.append([])
    table = pd.DataFrame({
        "Badge #": roster["badge"], "Employee Name": roster["name"], "Rank": roster["rank"],
        "Assignment": roster["assignment"], "District": roster["district"],
        "Shift": roster["shift"], "Status": np.where(roster["active"], "Active", "Inactive"),
        "Hire Date": roster["hire_date"].dt.date,
    })  # fmt: skip
    _cells(ws, table)
    _cells(wb.create_sheet("Training Log"), training)
    _save(wb, path)


def write_services(services: pd.DataFrame, path: Path) -> None:
    wb = Workbook(write_only=True)
    _cells(wb.create_sheet("Services"), services)
    _save(wb, path)


def generate(out_dir: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the sample workbooks into out_dir and return their paths."""
    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    roster = build_roster(rng)
    basic = cit_basic_dates(rng, roster)
    training = build_training(rng, roster, basic)
    calls = build_calls(rng, roster, basic)
    paths = [out_dir / CALLS_FILE, out_dir / PERSONNEL_FILE, out_dir / SERVICES_FILE]
    write_calls(calls, paths[0])
    write_personnel(roster, training, paths[1])
    write_services(build_services(), paths[2])
    return paths


if __name__ == "__main__":
    for p in generate(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT):
        print(f"{p}  {p.stat().st_size / 1024:.0f} KB")
