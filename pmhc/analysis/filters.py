"""The shared filters (period, district, time of day, shift, call type, responder type):
what the loaded data supports and how they apply to incidents. The sidebar binds each
filter to the URL's query string (keys below), so a copied link reopens the same view."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import pandas as pd

from pmhc.domain.rules import RESPONDER_LABELS

# query-string key -> incident column; the order is the sidebar's order
DIMENSIONS = {
    "district": "district",
    "time": "time_band",
    "shift": "shift",
    "type": "call_type_final",
    "responder": "responder_type",
}
LABELS = {
    "district": "District",
    "time": "Time of day",
    "shift": "Shift",
    "type": "Call type",
    "responder": "Any unit was",
}
MAX_OPTIONS = 400  # a column with more distinct values is not offered as a filter
# Responder filter: "any unit on the incident was …" (an incident has a set of unit types).
UNIT_BY_LABEL = {label: f"unit_{key}" for key, label in RESPONDER_LABELS.items()}


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    district: tuple[str, ...] = ()
    time: tuple[str, ...] = ()
    shift: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    responder: tuple[str, ...] = ()

    def selections(self) -> dict[str, tuple[str, ...]]:
        return {k: getattr(self, k) for k in DIMENSIONS}

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


def options(incidents: pd.DataFrame) -> dict[str, list[str]]:
    """The filters this data supports, with their values (hidden when it cannot)."""
    out = {}
    for key, column in DIMENSIONS.items():
        if key == "responder" and any(c in incidents for c in UNIT_BY_LABEL.values()):
            units = [
                label
                for label, c in UNIT_BY_LABEL.items()
                if c in incidents and incidents[c].fillna(False).any()
            ]
            if len(units) >= 2:
                out[key] = units
            continue
        if column not in incidents:
            continue
        values = incidents[column].dropna()
        distinct = values.unique()
        if 2 <= len(distinct) <= MAX_OPTIONS:
            if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
                out[key] = [str(v) for v in values.cat.categories if v in set(distinct)]
            else:
                out[key] = sorted(str(v) for v in distinct)
    return out


def _any_unit(incidents: pd.DataFrame, labels: tuple[str, ...]) -> pd.Series:
    """Incidents on which any unit was one of the chosen types."""
    hit = pd.Series(False, index=incidents.index)
    for label in labels:
        column = UNIT_BY_LABEL.get(label)
        if column in incidents:
            hit |= incidents[column].fillna(False).astype(bool)
    return hit


def apply(incidents: pd.DataFrame, f: Filters) -> pd.DataFrame:
    mask = pd.Series(True, index=incidents.index)
    if f.start is not None:
        mask &= incidents["received_at"] >= pd.Timestamp(f.start)
    if f.end is not None:
        mask &= incidents["received_at"] < pd.Timestamp(f.end) + pd.Timedelta(days=1)
    for key, column in DIMENSIONS.items():
        chosen = getattr(f, key)
        if chosen and key == "responder" and any(c in incidents for c in UNIT_BY_LABEL.values()):
            mask &= _any_unit(incidents, chosen)
        elif chosen and column in incidents:
            mask &= incidents[column].isin(chosen).to_numpy()
    return incidents if mask.all() else incidents[mask]


# --- filters that follow the data --------------------------------------------------------


def refit_period(
    picked: tuple[date, ...] | None, old: tuple[date, date], new: tuple[date, date]
) -> tuple[date, date]:
    """The period to show when the data in view changes from span `old` to span `new`.

    A period that covered the whole old span meant "everything": it becomes the new span
    (next month's export appended shows next month). A narrower period keeps the part of it
    the new data cover; one the new data do not reach at all becomes the new span."""
    if not picked:
        return new
    start = picked[0]
    end = picked[1] if len(picked) > 1 else old[1]
    if start <= old[0] and end >= old[1]:
        return new
    start, end = max(start, new[0]), min(end, new[1])
    return (start, end) if start <= end else new


def refit_choices(chosen: dict[str, list[str]], offered: dict[str, list[str]]) -> dict:
    """Each filter's chosen values that the new data still offer (the rest are dropped)."""
    return {key: [v for v in chosen.get(key, []) if v in offered[key]] for key in offered}


def describe_view(period: tuple[date, date], districts: int) -> str:
    """One line for the sidebar: 'Now showing 1 Mar - 30 Apr 2026, 2 districts'."""
    start, end = period
    first = f"{start.day} {start:%b}" + ("" if start.year == end.year else f" {start.year}")
    span = f"{first} – {end.day} {end:%b} {end.year}"
    if districts:
        span += f", {districts} district" + ("" if districts == 1 else "s")
    return f"Now showing {span}."
