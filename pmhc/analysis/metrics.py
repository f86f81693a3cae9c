"""Indicators as pure functions of the canonical tables (defined in docs/indicators.md).

Every function takes frames (incidents one row each, already filtered) and returns
numbers or small aggregated frames ready to chart. A figure whose source field is
missing is None, never 0. Rates count distinct incidents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmhc.analysis.stats import Rate, compare, wilson, wilson_bounds
from pmhc.domain.rules import GROUP_LABELS
from pmhc.ingest.values import any_of
from pmhc.storage.dataset import filled_share as completeness  # noqa: F401 (re-exported)
from pmhc.storage.dataset import mh_incidents

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    column: str  # incident column (or a derived one, see outcome_flags)
    higher_is_better: bool | None
    unlock: str  # the source column that would make it available
    short: str = ""  # for a key-figure card, where long labels are cut

    @property
    def card(self) -> str:
        return self.short or self.label


OUTCOMES = (
    Outcome(
        "connection",
        "Connection to services",
        "is_connection",
        True,
        "a disposition, transport destination or responder-type column",
        "Connected",
    ),
    Outcome("arrest", "Arrest", "is_arrest", False, "a disposition or arrest column", "Arrested"),
    Outcome(
        "involuntary",
        "Involuntary hold",
        "is_involuntary",
        None,
        "a disposition or involuntary-hold (apprehension) column",
    ),
    Outcome(
        "use_of_force", "Use of force", "use_of_force", False, "a use-of-force column", "Force used"
    ),
    Outcome(
        "injury",
        "Injury (person or officer)",
        "is_injury",
        False,
        "a person-injury or officer-injury column",
        "Injured",
    ),
    Outcome(
        "cit_on_scene",
        "CIT officer on scene",
        "cit_on_scene",
        True,
        "a CIT-arrived column or a responder-type column",
    ),
    Outcome(
        "trained_on_scene",
        "CIT-trained officer on scene (from training log)",
        "trained_on_scene",
        True,
        "officer ids on calls plus a training log",
        "CIT-trained on scene",
    ),
)
OUTCOME_BY_KEY = {o.key: o for o in OUTCOMES}
KEY_OUTCOMES = ("connection", "arrest", "use_of_force", "injury")  # the framework's four, plus
# repeat encounters, which are per person (see repeat_encounters)


def outcome_flag(incidents: pd.DataFrame, outcome: Outcome) -> pd.Series | None:
    """The outcome per incident as plain booleans (unknown counts as no); None when the
    data has no field for it. Built datasets carry these ready (see dataset.flags)."""
    if outcome.column in incidents and incidents[outcome.column].dtype == bool:
        return incidents[outcome.column]
    if outcome.key == "injury":
        cols = [c for c in ("person_injury", "officer_injury") if c in incidents]
        if not cols:
            return None
        flag = any_of([incidents[c] for c in cols])
        return None if flag is None else flag.astype(bool)
    if outcome.column not in incidents:
        return None
    return incidents[outcome.column].fillna(False).astype(bool)


def outcome_rate(mh: pd.DataFrame, outcome: Outcome | str) -> Rate | None:
    outcome = OUTCOME_BY_KEY[outcome] if isinstance(outcome, str) else outcome
    flag = outcome_flag(mh, outcome)
    if flag is None:
        return None
    return Rate(int(flag.sum()), len(flag))


def available_outcomes(incidents: pd.DataFrame) -> list[Outcome]:
    return [o for o in OUTCOMES if outcome_flag(incidents.head(0), o) is not None]


# --- counts ----------------------------------------------------------------------------


def counts_by(mh: pd.DataFrame, column: str) -> pd.DataFrame | None:
    if column not in mh:
        return None
    out = mh.groupby(column, observed=True).size().rename("calls").reset_index()
    return out.sort_values("calls", ascending=False, kind="stable").reset_index(drop=True)


def calls_by_year(mh: pd.DataFrame) -> dict[str, int]:
    years = mh["received_at"].dt.year.value_counts().sort_index()
    return {str(int(y)): int(n) for y, n in years.items()}


def period(incidents: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if incidents.empty:
        return None
    return incidents["received_at"].min(), incidents["received_at"].max()


# --- repeat encounters -----------------------------------------------------------------


@dataclass(frozen=True)
class Repeats:
    persons: int
    repeat_2: Rate  # persons with 2+ MH contacts
    repeat_3: Rate  # persons with 3+
    contacts_per_person: float
    identified: Rate  # incidents with a person id


def person_contacts(mh: pd.DataFrame) -> pd.Series:
    """MH contacts per person with a recorded identifier (one count per person)."""
    ids = mh["person_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):  # counting codes beats hashing strings
        codes = ids.cat.codes.to_numpy()
        counts = np.bincount(codes[codes >= 0], minlength=len(ids.cat.categories))
        return pd.Series(counts[counts > 0])
    return ids.dropna().value_counts().reset_index(drop=True)


def repeat_encounters(mh: pd.DataFrame) -> Repeats | None:
    if "person_id" not in mh:
        return None
    contacts = person_contacts(mh)
    persons = len(contacts)
    known = int(contacts.sum())
    return Repeats(
        persons,
        Rate(int((contacts >= 2).sum()), persons),
        Rate(int((contacts >= 3).sum()), persons),
        float(contacts.mean()) if persons else 0.0,
        Rate(known, len(mh)),
    )


def contacts_distribution(mh: pd.DataFrame, top: int = 6) -> pd.DataFrame | None:
    """Persons by number of MH contacts: 1, 2, … top+ ."""
    if "person_id" not in mh:
        return None
    contacts = person_contacts(mh)
    bucket = contacts.clip(upper=top)
    out = bucket.value_counts().sort_index().rename("persons").reset_index()
    out.columns = ["contacts", "persons"]
    out["contacts_label"] = out["contacts"].astype(str)
    out.loc[out["contacts"] == top, "contacts_label"] = f"{top}+"
    out["incidents"] = [int(contacts[bucket == c].sum()) for c in out["contacts"]]
    out["share_of_incidents"] = out["incidents"] / max(1, int(contacts.sum()))
    return out


# --- trends ----------------------------------------------------------------------------


def rate_frame(groups: pd.DataFrame, keys: list[str], outcomes: list[Outcome]) -> pd.DataFrame:
    """Long frame: keys…, outcome, label, numerator, denominator, rate, low, high."""
    flags = {o.key: outcome_flag(groups, o) for o in outcomes}
    flags = {k: v for k, v in flags.items() if v is not None}
    columns = [*keys, "outcome", "label", "numerator", "denominator", "rate", "low", "high"]
    if not flags:
        return pd.DataFrame(columns=columns)
    if len(keys) == 1:
        sums = _sums_by(groups[keys[0]], flags)
    else:
        frame = pd.DataFrame({**{k: groups[k] for k in keys}, **flags})
        grouped = frame.groupby(keys, observed=True, sort=True)
        sums = grouped[list(flags)].sum()
        sums["denominator"] = grouped.size()
        sums = sums.reset_index()
    out = sums.melt(
        id_vars=[*keys, "denominator"],
        value_vars=list(flags),
        var_name="outcome",
        value_name="numerator",
    )
    out["label"] = out["outcome"].map({o.key: o.label for o in outcomes})
    out["numerator"] = out["numerator"].astype(int)
    out["denominator"] = out["denominator"].astype(int)
    return with_intervals(out)[columns]


def _sums_by(key: pd.Series, flags: dict[str, pd.Series]) -> pd.DataFrame:
    """Counts and flag sums per value of one key, by counting integer codes (a group-by
    over a million rows costs far more)."""
    if isinstance(key.dtype, pd.CategoricalDtype):
        codes, labels = key.cat.codes.to_numpy(), key.cat.categories
    else:
        codes, labels = pd.factorize(key, sort=True)
    valid = codes >= 0
    size = np.bincount(codes[valid], minlength=len(labels))
    out = pd.DataFrame({key.name: labels, "denominator": size})
    for name, flag in flags.items():
        out[name] = np.bincount(
            codes[valid], weights=flag.to_numpy(bool)[valid], minlength=len(labels)
        ).astype(int)
    return out[out["denominator"] > 0].reset_index(drop=True)


def split_rates(mh: pd.DataFrame, outcome: Outcome, when: pd.Timestamp) -> tuple[Rate, Rate] | None:
    """The outcome's rate before and from a date, without copying the frame."""
    flag = outcome_flag(mh, outcome)
    if flag is None:
        return None
    hit = flag.to_numpy(bool)
    before = (mh["received_at"] < when).to_numpy(bool)
    return (
        Rate(int(hit[before].sum()), int(before.sum())),
        Rate(int(hit[~before].sum()), int((~before).sum())),
    )


def with_intervals(frame: pd.DataFrame) -> pd.DataFrame:
    k = frame["numerator"].to_numpy(float)
    n = frame["denominator"].to_numpy(float)
    frame = frame.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["rate"] = np.where(n > 0, k / n, np.nan)
    frame["low"], frame["high"] = wilson_bounds(k, n)
    return frame


def monthly_outcomes(mh: pd.DataFrame, outcomes: list[Outcome] | None = None) -> pd.DataFrame:
    """Rates per calendar month for each available outcome."""
    outcomes = outcomes or available_outcomes(mh)
    if "month" in mh:
        return rate_frame(mh, ["month"], outcomes)
    return rate_frame(mh.assign(month=months(mh)), ["month"], outcomes)


def month_start(when: pd.Series) -> pd.Series:
    return pd.Series(
        when.to_numpy().astype("datetime64[M]").astype("datetime64[us]"), index=when.index
    )


def monthly_calls(incidents: pd.DataFrame) -> pd.DataFrame:
    month = months(incidents)
    out = month.value_counts().sort_index().rename("calls").reset_index()
    out.columns = ["month", "calls"]
    return out


def outcomes_by(
    mh: pd.DataFrame, column: str, outcomes: list[Outcome] | None = None
) -> pd.DataFrame | None:
    if column not in mh:
        return None
    return rate_frame(mh, [column], outcomes or available_outcomes(mh))


# --- dispatch and response (question 2) ------------------------------------------------


def cit_funnel(mh: pd.DataFrame) -> pd.DataFrame | None:
    """CIT requested -> dispatched -> arrived, as counts and shares of MH calls."""
    stages = [
        ("CIT requested", "cit_requested"),
        ("CIT dispatched", "cit_dispatched"),
        ("CIT arrived", "cit_arrived"),
    ]
    rows = [(label, int(mh[col].fillna(False).sum())) for label, col in stages if col in mh]
    if not rows:
        return None
    out = pd.DataFrame(rows, columns=["stage", "calls"])
    out.insert(0, "order", range(len(out)))
    out["share_of_mh_calls"] = out["calls"] / max(1, len(mh))
    return out


def months(frame: pd.DataFrame) -> pd.Series:
    """Each incident's calendar month (precomputed on built datasets)."""
    return frame["month"] if "month" in frame else month_start(frame["received_at"])


def identification(incidents: pd.DataFrame) -> pd.DataFrame | None:
    """MH calls identified at dispatch (initial type already MH) vs only at close, by month."""
    if "mh_at_dispatch" not in incidents or "call_type_final" not in incidents:
        return None
    mh = mh_incidents(incidents)
    at_dispatch = mh["mh_at_dispatch"].fillna(False).astype(bool)
    out = at_dispatch.groupby(months(mh)).agg(["sum", "size"])
    out = pd.DataFrame({"At dispatch": out["sum"], "Only at close": out["size"] - out["sum"]})
    out = (
        out.rename_axis("month")
        .reset_index()
        .melt(id_vars="month", var_name="identified", value_name="calls")
    )
    out = out[out["calls"] > 0].sort_values(["month", "identified"]).reset_index(drop=True)
    out["calls"] = out["calls"].astype(int)
    out["share"] = out["calls"] / out.groupby("month")["calls"].transform("sum")
    return out


def response_minutes(mh: pd.DataFrame) -> pd.Series | None:
    if "arrived_at" not in mh:
        return None
    minutes = (mh["arrived_at"] - mh["received_at"]).dt.total_seconds() / 60
    return minutes[(minutes >= 0) & (minutes < 24 * 60)]


def monthly_response(mh: pd.DataFrame) -> pd.DataFrame | None:
    minutes = response_minutes(mh)
    if minutes is None or minutes.empty:
        return None
    month = months(mh).loc[minutes.index]
    out = minutes.groupby(month).agg(["median", "count"])
    out["p90"] = minutes.groupby(month).quantile(0.9)
    return out.rename(columns={"median": "median_minutes", "count": "calls"}).reset_index(
        names="month"
    )


# --- services and gaps (question 4) ----------------------------------------------------


def hour_weekday(mh: pd.DataFrame) -> pd.DataFrame | None:
    """Calls and connection rate per weekday x hour (168 cells)."""
    if "hour" not in mh or "weekday" not in mh or mh["hour"].isna().all():
        return None
    frame = mh.dropna(subset=["hour", "weekday"])
    connection = outcome_flag(frame, OUTCOME_BY_KEY["connection"])
    grouped = pd.DataFrame(
        {
            "weekday": frame["weekday"].astype(int),
            "hour": frame["hour"].astype(int),
            "connected": connection if connection is not None else np.nan,
        }
    )
    out = grouped.groupby(["weekday", "hour"]).agg(
        calls=("hour", "size"), numerator=("connected", "sum")
    )
    full = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    out = out.reindex(full, fill_value=0).reset_index()
    out["weekday_name"] = [WEEKDAY_NAMES[d] for d in out["weekday"]]
    if connection is None:
        out["connection_rate"] = np.nan
    else:
        out["connection_rate"] = np.where(
            out["calls"] > 0, out["numerator"] / out["calls"].clip(lower=1), np.nan
        )
    return (
        out.drop(columns="numerator")
        if connection is None
        else out.rename(columns={"numerator": "connections"})
    )


def disposition_breakdown(mh: pd.DataFrame) -> pd.DataFrame | None:
    if "disposition_group" not in mh:
        return None

    counts = mh["disposition_group"].value_counts(dropna=False)
    out = counts.rename("calls").reset_index()
    out.columns = ["group", "calls"]
    out["label"] = out["group"].map(GROUP_LABELS).astype("object").fillna("Not recorded")
    out["share"] = out["calls"] / max(1, len(mh))
    return out.sort_values("calls", ascending=False).reset_index(drop=True)


def destinations(mh: pd.DataFrame) -> pd.DataFrame | None:
    if "transport_destination" not in mh:
        return None
    out = mh["transport_destination"].value_counts().rename("calls").reset_index()
    out.columns = ["destination", "calls"]
    out["share"] = out["calls"] / max(1, len(mh))
    return out


# --- period comparison -----------------------------------------------------------------


def previous_window(start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period of equal length just before [start, end]."""
    length = end - start
    return start - length - pd.Timedelta(microseconds=1), start - pd.Timedelta(microseconds=1)


def in_window(
    frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, column: str = "received_at"
) -> pd.DataFrame:
    return frame[(frame[column] >= start) & (frame[column] <= end)]


def compare_outcome(before: pd.DataFrame, after: pd.DataFrame, outcome: Outcome):
    a, b = outcome_rate(before, outcome), outcome_rate(after, outcome)
    if a is None or b is None:
        return None
    return compare(a, b, outcome.higher_is_better)


def rate_dict(rate: Rate | None) -> dict | None:
    if rate is None:
        return None
    interval = wilson(rate.numerator, rate.denominator)
    return {
        "numerator": rate.numerator,
        "denominator": rate.denominator,
        "rate": None if rate.value is None else round(rate.value, 4),
        "low": None if interval is None else round(interval[0], 4),
        "high": None if interval is None else round(interval[1], 4),
    }
