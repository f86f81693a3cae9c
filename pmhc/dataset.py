"""A dataset: the canonical tables built from one set of uploaded files.

Call rows are collapsed to incidents here, once per dataset (DOMAIN.md counting rules:
count distinct incidents; an incident counts toward an outcome if any of its rows does;
for the disposition the most serious outcome wins). Training and roster are joined to
calls to tell whether a CIT-trained officer was on scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pmhc.ingest import Loaded, SourceReport
from pmhc.rules import DISPOSITION_GROUPS

KINDS = ("calls", "training", "roster", "services")
TIME_BANDS = ("Day 07-15", "Evening 15-23", "Night 23-07")


@dataclass
class Dataset:
    label: str
    reports: list[SourceReport] = field(default_factory=list)
    rejected: list[pd.DataFrame] = field(default_factory=list)  # one per report, aligned
    call_rows: pd.DataFrame | None = None
    calls: pd.DataFrame | None = None  # one row per incident
    training: pd.DataFrame | None = None
    roster: pd.DataFrame | None = None
    services: pd.DataFrame | None = None
    is_sample: bool = False

    def has(self, kind: str, column: str | None = None) -> bool:
        table = getattr(self, kind)
        if table is None or table.empty:
            return False
        return column is None or column in table.columns

    @property
    def rows_in(self) -> int:
        return sum(r.rows_in for r in self.reports)


def build(loaded: list[Loaded], label: str, is_sample: bool = False) -> Dataset:
    ds = Dataset(
        label,
        [x.report for x in loaded],
        [x.rejected if x.rejected is not None else pd.DataFrame() for x in loaded],
        is_sample=is_sample,
    )
    for kind in KINDS:
        frames = [
            x.records
            for x in loaded
            if x.report.kind == kind and x.records is not None and len(x.records)
        ]
        if frames:
            setattr(ds, "call_rows" if kind == "calls" else kind, _concat(frames))
    if ds.call_rows is not None:
        rows = ds.call_rows
        if ds.training is not None and "officer_id" in rows:
            rows["trained_on_scene"] = trained_on_scene(rows, ds.training)
        ds.calls = collapse(rows)
    return ds


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    # Categories differ between files: align them as plain values, then re-categorise.
    out = pd.concat(
        [f.astype({c: "object" for c in f.select_dtypes("category")}) for f in frames],
        ignore_index=True,
    )
    for c in out.columns:
        if any(isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames if c in f):
            out[c] = out[c].astype("category")
    return out


def cit_certified_since(training: pd.DataFrame) -> pd.Series:
    """officer_id -> date of their first completed 40-hour CIT course."""
    done = training[(training["course_type"] == "cit_40") & training["completed"].astype(bool)]
    return done.groupby("officer_id", observed=True)["completed_on"].min()


def trained_on_scene(rows: pd.DataFrame, training: pd.DataFrame) -> pd.Series:
    """A row's officer had completed 40-hour CIT before the call; NA where no officer id."""
    since = cit_certified_since(training)
    certified = rows["officer_id"].map(since)
    trained = (certified.notna() & (certified <= rows["received_at"])).astype("boolean")
    return trained.where(rows["officer_id"].notna())


def collapse(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per incident: flags by any(), earliest received time, most serious disposition."""
    if rows["incident_id"].is_unique:
        incidents = rows.copy()
        incidents["rows"] = 1
    else:
        if "disposition_group" in rows:
            # Most serious disposition first, so first() picks it for each incident.
            codes = pd.Categorical(
                rows["disposition_group"], categories=DISPOSITION_GROUPS
            ).codes.copy()
            codes[codes < 0] = len(DISPOSITION_GROUPS)
            rows = rows.iloc[codes.argsort(kind="stable")]
        grouped = rows.groupby("incident_id", sort=False, observed=True)
        flags = [c for c in rows.columns if str(rows[c].dtype) in ("boolean", "bool")]
        other = [
            c for c in rows.columns if c not in flags and c not in ("incident_id", "received_at")
        ]
        parts = [grouped["received_at"].min()]
        if flags:
            parts.append(grouped[flags].max())
        # The time of day belongs with the earliest row, like received_at, not with the
        # row of the most serious disposition.
        timed = [c for c in ("hour", "weekday") if c in other]
        other = [c for c in other if c not in timed]
        if other:
            parts.append(grouped[other].first())
        if timed:
            earliest = rows.loc[grouped["received_at"].idxmin(), ["incident_id", *timed]]
            parts.append(earliest.set_index("incident_id"))
        parts.append(grouped.size().rename("rows"))
        incidents = pd.concat(parts, axis=1).reset_index()
        incidents = incidents.sort_values("received_at", kind="stable").reset_index(drop=True)
        for c in other:
            if isinstance(rows[c].dtype, pd.CategoricalDtype):
                incidents[c] = pd.Categorical(incidents[c], categories=rows[c].cat.categories)
    incidents["time_band"] = time_band(incidents.get("hour"))
    if "disposition_group" in incidents:
        incidents["disposition_group"] = pd.Categorical(
            incidents["disposition_group"], categories=DISPOSITION_GROUPS
        )
    return incidents.reset_index(drop=True)


def time_band(hour: pd.Series | None) -> pd.Series | None:
    if hour is None:
        return None
    h = hour.astype("float64")
    band = pd.Series(pd.NA, index=hour.index, dtype="object")
    band[(h >= 7) & (h < 15)] = TIME_BANDS[0]
    band[(h >= 15) & (h < 23)] = TIME_BANDS[1]
    band[(h >= 23) | (h < 7)] = TIME_BANDS[2]
    return pd.Categorical(band, categories=TIME_BANDS)
