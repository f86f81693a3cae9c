"""Indicators as pure functions of the canonical tables (defined in docs/indicators.md).

Every function takes frames (incidents one row each, already filtered) and returns
numbers or small aggregated frames ready to chart. A figure whose source field is
missing is None, never 0. Rates count distinct incidents.

Unknown is not no: an incident whose outcome is not recorded (a blank flag or disposition)
leaves the rate's denominator; each outcome names what "recorded" means (its registry
entry's `base`), and pages say "of N MH calls with …".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmhc.analysis import indicators
from pmhc.analysis.indicators import Indicator
from pmhc.analysis.stats import Rate, compare, wilson, wilson_bounds
from pmhc.domain.rules import COMPONENT_LABELS, GROUP_LABELS
from pmhc.storage.dataset import filled_share as completeness  # noqa: F401 (re-exported)
from pmhc.storage.dataset import mh_incidents

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# Every outcome is an entry of the indicator registry (pmhc/analysis/indicators.py).
Outcome = Indicator


def __getattr__(name: str):
    """Registry views under their former names, read when asked (tests add entries)."""
    if name == "OUTCOMES":
        return tuple(indicators.outcomes())
    if name == "OUTCOME_BY_KEY":
        return {o.key: o for o in indicators.outcomes()}
    if name == "CONNECTION_WITH_HOLDS":
        return indicators.with_holds(indicators.get("connection"))
    raise AttributeError(name)


def outcome_for(
    key: str, holds_as_connection: bool = False, contact: bool = True, shelter: bool = False
) -> Outcome:
    """The outcome of a key, the connection one following the definition settings."""
    return indicators.with_definitions(indicators.get(key), holds_as_connection, contact, shelter)


def outcome_flag(incidents: pd.DataFrame, outcome: Outcome) -> pd.Series | None:
    """The outcome per incident as nullable booleans (NA: not recorded); None when the
    data has no field for it. Built datasets carry these ready (see dataset.collapse)."""
    return outcome.flag(incidents)


def known_and_hits(flag: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(recorded, yes) as plain boolean arrays."""
    known = flag.notna().to_numpy(bool)
    return known, flag.fillna(False).to_numpy(bool)


def outcome_rate(mh: pd.DataFrame, outcome: Outcome | str) -> Rate | None:
    """Incidents with the outcome, of the incidents where it is recorded."""
    outcome = indicators.get(outcome) if isinstance(outcome, str) else outcome
    flag = outcome_flag(mh, outcome)
    if flag is None:
        return None
    known, hit = known_and_hits(flag)
    return Rate(int(hit.sum()), int(known.sum()))


def connection_components(mh: pd.DataFrame, outcome: Outcome | None = None) -> pd.DataFrame | None:
    """The components behind the connection rate: of the incidents counted as connected,
    how many had each component (an incident may have several)."""
    outcome = outcome or indicators.get("connection")
    flag = outcome_flag(mh, outcome)
    if flag is None:
        return None
    connected = flag.fillna(False).to_numpy(bool)
    rows = [
        (COMPONENT_LABELS[c], int((mh[f"conn_{c}"].fillna(False).to_numpy(bool) & connected).sum()))
        for c in ("referral", "transport", "handoff")
        if f"conn_{c}" in mh
    ]
    out = pd.DataFrame(rows, columns=["component", "calls"])
    out["share_of_connected"] = out["calls"] / max(1, int(connected.sum()))
    return out


# Which outcomes a table's columns can give, by the registry's outcomes and the table's
# columns and their types: asked on every run of several pages, and working it out tries
# every outcome's flag. (The registry's outcomes are kept with the answer, so their ids
# name them while it is kept.)
_AVAILABLE: dict[tuple, tuple[list[Outcome], list[Outcome]]] = {}


def available_outcomes(incidents: pd.DataFrame) -> list[Outcome]:
    """The outcomes these incidents' columns can give, in the registry's order."""
    registered = indicators.outcomes()
    shape = (
        tuple(map(id, registered)),
        tuple((str(c), str(t)) for c, t in incidents.dtypes.items()),
    )
    kept = _AVAILABLE.get(shape)
    if kept is None:
        empty = incidents.head(0)
        kept = (registered, [o for o in registered if o.flag(empty) is not None])
        if len(_AVAILABLE) > 64:  # a few shapes in practice: bounded all the same
            _AVAILABLE.clear()
        _AVAILABLE[shape] = kept
    return list(kept[1])


def control_outcome(incidents: pd.DataFrame, chosen: str | None = None) -> Outcome | None:
    """The outcome of the Review page's control chart, which the page and the meeting pack
    both draw: the one chosen when the data have it, else the first the data have."""
    available = available_outcomes(incidents)
    return next((o for o in available if o.key == chosen), available[0] if available else None)


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


LOOKBACK_MONTHS = 12  # repeat encounters: MH contacts within 12 months of each other


def repeat_encounters(
    mh: pd.DataFrame, history: pd.DataFrame | None = None, months: int = LOOKBACK_MONTHS
) -> Repeats | None:
    """People with an MH contact in `mh` (a window) and how many had 2+ (3+) MH contacts
    within `months` months: a person counts when one of their contacts in the window had 1+
    (2+) other contacts in the `months` months up to it. The look-back reaches before the
    window into `history` (the window's own rows when None; it must contain them), so
    contacts either side of the window's start count, and the CLI and the pages give the
    same figure for the same window."""
    if "person_id" not in mh:
        return None
    window = mh[mh["person_id"].notna().to_numpy(bool)]
    most = lookback_counts(window, history if history is not None else mh, months)
    per_person = most.groupby(window["person_id"].astype("object").to_numpy()).max()
    persons = len(per_person)
    return Repeats(
        persons,
        Rate(int((per_person >= 2).sum()), persons),
        Rate(int((per_person >= 3).sum()), persons),
        len(window) / persons if persons else 0.0,
        Rate(len(window), len(mh)),
    )


def lookback_counts(window: pd.DataFrame, history: pd.DataFrame, months: int) -> pd.Series:
    """For each contact of `window`, the same person's MH contacts in `history` in the
    `months` months up to and including it (itself among them), by sorted search over
    (person, time) keys rather than a per-person loop."""
    hist = history[history["person_id"].notna().to_numpy(bool)]
    ids = pd.concat([hist["person_id"], window["person_id"]]).astype("object")
    codes = pd.factorize(ids)[0]
    code_h, code_w = codes[: len(hist)], codes[len(hist) :]
    t_h = hist["received_at"].to_numpy("datetime64[us]").astype(np.int64)
    when = window["received_at"]
    t_w = when.to_numpy("datetime64[us]").astype(np.int64)
    since = (when - pd.DateOffset(months=months)).to_numpy("datetime64[us]").astype(np.int64)
    times = np.unique(np.concatenate([t_h, t_w, since]))
    span = len(times) + 1
    key_h = np.sort(code_h * span + np.searchsorted(times, t_h))
    upto = np.searchsorted(key_h, code_w * span + np.searchsorted(times, t_w), "right")
    after = np.searchsorted(key_h, code_w * span + np.searchsorted(times, since), "right")
    return pd.Series(upto - after, index=window.index)


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
    """Long frame: keys…, outcome, label, numerator, denominator, rate, low, high.

    Each outcome's denominator is the incidents where it is recorded."""
    flags = {o.key: outcome_flag(groups, o) for o in outcomes}
    flags = {k: v for k, v in flags.items() if v is not None}
    columns = [*keys, "outcome", "label", "numerator", "denominator", "rate", "low", "high"]
    if not flags:
        return pd.DataFrame(columns=columns)
    if len(keys) == 1:
        sums = _sums_by(groups[keys[0]], flags)
    else:
        parts = {}
        for k, f in flags.items():
            known, hit = known_and_hits(f)
            parts[k], parts[f"{k}__n"] = hit, known
        frame = pd.DataFrame({**{k: groups[k] for k in keys}, **parts})
        sums = frame.groupby(keys, observed=True, sort=True)[list(parts)].sum().reset_index()
    long = []
    for k in flags:
        part = sums[[*keys]].copy()
        part["outcome"] = k
        part["numerator"] = sums[k].astype(int).to_numpy()
        part["denominator"] = sums[f"{k}__n"].astype(int).to_numpy()
        long.append(part)
    out = pd.concat(long, ignore_index=True)
    out["label"] = out["outcome"].map({o.key: o.label for o in outcomes})
    return with_intervals(out)[columns]


def _sums_by(key: pd.Series, flags: dict[str, pd.Series]) -> pd.DataFrame:
    """Recorded and yes counts per value of one key, by counting integer codes (a group-by
    over a million rows costs far more)."""
    if isinstance(key.dtype, pd.CategoricalDtype):
        codes, labels = key.cat.codes.to_numpy(), key.cat.categories
    else:
        codes, labels = pd.factorize(key, sort=True)
    valid = codes >= 0
    size = np.bincount(codes[valid], minlength=len(labels))
    out = pd.DataFrame({key.name: labels, "size": size})
    for name, flag in flags.items():
        known, hit = known_and_hits(flag)
        for col, w in ((name, hit), (f"{name}__n", known)):
            out[col] = np.bincount(codes[valid], weights=w[valid], minlength=len(labels))
    return out[out["size"] > 0].reset_index(drop=True)


def split_rates(mh: pd.DataFrame, outcome: Outcome, when: pd.Timestamp) -> tuple[Rate, Rate] | None:
    """The outcome's rate before and from a date, without copying the frame."""
    flag = outcome_flag(mh, outcome)
    if flag is None:
        return None
    known, hit = known_and_hits(flag)
    before = (mh["received_at"] < when).to_numpy(bool)
    return (
        Rate(int(hit[before].sum()), int((known & before).sum())),
        Rate(int(hit[~before].sum()), int((known & ~before).sum())),
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
    rows = [
        (label, int(mh[col].fillna(False).sum()), int(mh[col].notna().sum()))
        for label, col in stages
        if col in mh
    ]
    if not rows:
        return None
    out = pd.DataFrame(rows, columns=["stage", "calls", "recorded"])
    out.insert(0, "order", range(len(out)))
    # of the MH calls where the step is recorded: a blank flag is unknown, not no
    out["share_of_mh_calls"] = out["calls"] / out["recorded"].clip(lower=1)
    return out


def months(frame: pd.DataFrame) -> pd.Series:
    """Each incident's calendar month (precomputed on built datasets)."""
    return frame["month"] if "month" in frame else month_start(frame["received_at"])


def identification(incidents: pd.DataFrame) -> pd.DataFrame | None:
    """MH calls identified at dispatch (initial type already MH) vs only at close, by month."""
    if "mh_at_dispatch" not in incidents or "call_type_final" not in incidents:
        return None
    mh = mh_incidents(incidents)
    recorded = mh["mh_at_dispatch"].notna().to_numpy(bool)  # a blank initial type is unknown
    mh = mh[recorded]
    at_dispatch = mh["mh_at_dispatch"].astype(bool)
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


def hour_weekday(mh: pd.DataFrame, outcome: Outcome | None = None) -> pd.DataFrame | None:
    """Calls and connection rate (of calls with it recorded) per weekday x hour (168 cells)."""
    if "hour" not in mh or "weekday" not in mh or mh["hour"].isna().all():
        return None
    frame = mh.dropna(subset=["hour", "weekday"])
    connection = outcome_flag(frame, outcome or indicators.get("connection"))
    known, hit = known_and_hits(connection) if connection is not None else (np.nan, np.nan)
    grouped = pd.DataFrame(
        {
            "weekday": frame["weekday"].astype(int),
            "hour": frame["hour"].astype(int),
            "connected": hit,
            "recorded": known,
        }
    )
    out = grouped.groupby(["weekday", "hour"]).agg(
        calls=("hour", "size"), numerator=("connected", "sum"), recorded=("recorded", "sum")
    )
    full = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    out = out.reindex(full, fill_value=0).reset_index()
    out["weekday_name"] = [WEEKDAY_NAMES[d] for d in out["weekday"]]
    if connection is None:
        out["connection_rate"] = np.nan
    else:
        out["connection_rate"] = np.where(
            out["recorded"] > 0, out["numerator"] / out["recorded"].clip(lower=1), np.nan
        )
    return (
        out.drop(columns=["numerator", "recorded"])
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
