"""Training and roster indicators (questions 1 and 3): CIT coverage of patrol, of
supervisors and command, in-service currency, and training hours over time.

Standards (docs/indicators.md, question 3): the Memphis-model course is 40 hours;
in-service at least every two years afterwards; about 20-25% of patrol CIT-trained in
large agencies, more in small ones, and CIT officers on every shift."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pmhc.analysis.metrics import with_intervals
from pmhc.analysis.stats import Rate
from pmhc.domain.rules import COURSE_LABELS
from pmhc.storage.dataset import cit_certified_since

IN_SERVICE_MONTHS = 24


def completed(training: pd.DataFrame) -> pd.DataFrame:
    return training[training["completed"].astype(bool)]


def reference_date(
    training: pd.DataFrame | None, calls: pd.DataFrame | None = None
) -> pd.Timestamp:
    """'Now' for currency measures: the latest date in the data, not the wall clock."""
    dates = []
    if training is not None and not training.empty:
        dates.append(training["completed_on"].max())
    if calls is not None and not calls.empty:
        dates.append(calls["received_at"].max())
    return max(dates) if dates else pd.Timestamp.now()


def with_certification(
    roster: pd.DataFrame, training: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Active roster with `cit_trained` (40-hour CIT completed by `as_of`)."""
    since = cit_certified_since(training)
    active = roster[roster["active"].astype(bool)].copy()
    certified = active["officer_id"].map(since)
    active["cit_trained"] = certified.notna() & (certified <= as_of)
    return active


IN_POST_DATES = ("hired_on", "assigned_on")
NOT_IN_POST = (
    "no change against 12 months earlier: the roster has no {dates}, so who was {who} then "
    "is not known (today's roster read back a year counts today's staff, which is not a "
    "trend)"
)


def in_post(
    staff: pd.DataFrame, on: pd.Timestamp, groups: tuple[str, ...] = ("patrol",)
) -> tuple[pd.DataFrame | None, str | None]:
    """(the staff who were in post on a date, None) by the roster's dates, or (None, why
    not). A hire date says who was employed; a supervisor's or commander's role a year
    ago needs an assignment date (a promotion keeps the hire date). A blank date is not
    known to be in post; staff who have left since are not in the roster."""
    dated = [c for c in IN_POST_DATES if c in staff and staff[c].notna().any()]
    ranked = any(g in ("supervisor", "command") for g in groups)
    if ranked and "assigned_on" not in dated:
        return None, NOT_IN_POST.format(dates="assignment dates", who="in the role")
    if not dated:
        return None, NOT_IN_POST.format(dates="hire or assignment dates", who="in post")
    keep = pd.Series(True, index=staff.index)
    for column in dated:
        keep &= (staff[column] <= on).fillna(False).astype(bool)
    return staff[keep.to_numpy(bool)], None


def coverage(staff: pd.DataFrame, groups: tuple[str, ...] = ("patrol",)) -> Rate | None:
    if "role_group" not in staff:
        return None
    pool = staff[staff["role_group"].isin(groups)]
    return Rate(int(pool["cit_trained"].sum()), len(pool))


def coverage_by(
    staff: pd.DataFrame, column: str, groups: tuple[str, ...] = ("patrol",)
) -> pd.DataFrame | None:
    if column not in staff or "role_group" not in staff:
        return None
    pool = staff[staff["role_group"].isin(groups) & staff[column].notna()]
    out = pool.groupby(column, observed=True)["cit_trained"].agg(["sum", "size"]).reset_index()
    out.columns = [column, "numerator", "denominator"]
    return with_intervals(out).sort_values("rate").reset_index(drop=True)


LEADERSHIP_GROUPS = (
    ("Supervisors", ("supervisor",)),
    ("Command staff", ("command",)),
    ("Patrol", ("patrol",)),
)


def leadership_coverage(staff: pd.DataFrame) -> pd.DataFrame | None:
    """CIT coverage for supervisors, command staff and patrol side by side (groups with
    nobody in them are left out)."""
    if "role_group" not in staff:
        return None
    rows = []
    for label, groups in LEADERSHIP_GROUPS:
        r = coverage(staff, groups)
        if r and r.denominator:
            rows.append((label, r.numerator, r.denominator))
    return with_intervals(pd.DataFrame(rows, columns=["group", "numerator", "denominator"]))


def overdue_in_service(
    training: pd.DataFrame, as_of: pd.Timestamp, officers: pd.Series | None = None
) -> pd.DataFrame:
    """CIT-trained officers with no CIT course (basic or in-service) in the last 24 months."""
    done = completed(training)
    # courses after the as-of date do not count (a period ending in the past)
    cit = done[done["course_type"].isin(["cit_40", "in_service"]) & (done["completed_on"] <= as_of)]
    last = cit.groupby("officer_id", observed=True)["completed_on"].max()
    trained = cit_certified_since(training)
    last = last[last.index.isin(trained[trained <= as_of].index)]
    if officers is not None:
        last = last[last.index.isin(officers)]
    cutoff = as_of - pd.DateOffset(months=IN_SERVICE_MONTHS)
    out = last.rename("last_cit_training").reset_index()
    out["overdue"] = out["last_cit_training"] < cutoff
    out["months_since"] = ((as_of - out["last_cit_training"]).dt.days / 30.44).round(1)
    return out


SWORN_GROUPS = ("patrol", "supervisor", "command", "specialist")


@dataclass(frozen=True)
class InService:
    """In-service currency as of a date, the one definition the CLI and the pages share.

    `officers` holds one row per CIT-certified officer counted (last CIT course, overdue,
    months since). The pool is the active sworn officers of the roster (patrol, supervisors,
    command, specialists); without a roster, every officer the training log shows certified.
    """

    officers: pd.DataFrame
    sworn: int | None  # active sworn officers (None: no roster)

    @property
    def overdue(self) -> int:
        return int(self.officers["overdue"].sum())

    @property
    def of_certified(self) -> Rate:
        """Overdue CIT-certified officers, of the CIT-certified officers in the pool."""
        return Rate(self.overdue, len(self.officers))

    @property
    def of_sworn(self) -> Rate | None:
        """Overdue CIT-certified officers, of all active sworn officers."""
        return None if self.sworn is None else Rate(self.overdue, self.sworn)


def sworn_officers(staff: pd.DataFrame) -> pd.Series:
    """Officer ids of the active sworn staff (everyone active when roles are unknown)."""
    if "role_group" in staff:
        staff = staff[staff["role_group"].isin(SWORN_GROUPS)]
    return staff["officer_id"]


def in_service(
    training: pd.DataFrame, as_of: pd.Timestamp, staff: pd.DataFrame | None = None
) -> InService:
    """Who is overdue for CIT in-service as of `as_of`; `staff` is the active roster (as
    from with_certification, already filtered by district or shift), or None."""
    officers = None if staff is None else sworn_officers(staff)
    table = overdue_in_service(training, as_of, officers)
    return InService(table, None if officers is None else int(officers.nunique()))


def hours_by_type(training: pd.DataFrame, freq: str = "Q") -> pd.DataFrame:
    """Training hours by course type per quarter (or year)."""
    done = completed(training)
    hours = done["hours"] if "hours" in done else pd.Series(1.0, index=done.index)
    period = done["completed_on"].dt.to_period(freq).dt.to_timestamp()
    out = hours.groupby([period, done["course_type"]], observed=True).sum().rename("hours")
    out = out.reset_index()
    out.columns = ["period", "course_type", "hours"]
    out["course"] = out["course_type"].map(COURSE_LABELS).astype("str")
    return out


def certified_over_time(training: pd.DataFrame, officers: pd.Series | None = None) -> pd.DataFrame:
    """Cumulative number of officers with 40-hour CIT, by month."""
    since = cit_certified_since(training)
    if officers is not None:
        since = since[since.index.isin(officers)]
    month = since.dt.to_period("M").dt.to_timestamp()
    out = month.value_counts().sort_index().cumsum().rename("officers").reset_index()
    out.columns = ["month", "officers"]
    return out
