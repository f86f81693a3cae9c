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
