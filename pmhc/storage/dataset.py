"""A dataset: the canonical tables built from one set of uploaded files.

Call rows are collapsed to incidents here, once per dataset (docs/indicators.md, counting rules:
count distinct incidents; an incident counts toward an outcome if any of its rows does;
for the disposition the most serious outcome wins). Training and roster are joined to
calls to tell whether a CIT-trained officer was on scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from pmhc.domain.rules import DISPOSITION_GROUPS
from pmhc.ingest.pipeline import Loaded, SourceReport

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
    completeness: pd.DataFrame | None = None  # share of call rows with a value, per field

    @property
    def rows_in(self) -> int:
        return sum(r.rows_in for r in self.reports)

    @cached_property
    def mh(self) -> pd.DataFrame | None:
        """The mental-health incidents, selected once per dataset."""

        return None if self.calls is None else mh_incidents(self.calls)


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
        ds.completeness = completeness(rows)
        ds.calls = collapse(rows)
    return ds


COMPLETENESS_FIELDS = (
    "incident_id",
    "received_at",
    "call_type_initial",
    "call_type_final",
    "district",
    "disposition",
    "cit_requested",
    "cit_dispatched",
    "cit_arrived",
    "responder_type",
    "use_of_force",
    "person_injury",
    "person_id",
    "officer_id",
    "arrived_at",
    "transport_destination",
)


def completeness(rows: pd.DataFrame) -> pd.DataFrame:
    """Share of call records with a value, per canonical field present (question 5)."""
    return filled_share(rows, list(COMPLETENESS_FIELDS))


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
    """One row per incident: flags by any(), earliest received time, most serious disposition.

    Only incidents spanning several rows go through the group-by (usually under a tenth of
    an export); the rest are one row already."""
    repeated = rows["incident_id"].duplicated(keep=False).to_numpy()
    if repeated.any():
        single = rows[~repeated].assign(rows=1)
        incidents = pd.concat([single, _collapse_repeated(rows[repeated])], ignore_index=True)
        order = incidents["received_at"].to_numpy().argsort(kind="stable")  # back in time order
        incidents = incidents.iloc[order]
        for c in rows.columns:
            if isinstance(rows[c].dtype, pd.CategoricalDtype):
                incidents[c] = pd.Categorical(incidents[c], categories=rows[c].cat.categories)
    else:
        incidents = rows.assign(rows=1)
    _plain_flags(incidents)
    incidents["time_band"] = time_band(incidents.get("hour"))
    incidents["month"] = (
        incidents["received_at"].to_numpy().astype("datetime64[M]").astype("datetime64[us]")
    )
    if "disposition_group" in incidents:
        incidents["disposition_group"] = pd.Categorical(
            incidents["disposition_group"], categories=DISPOSITION_GROUPS
        )
    return incidents.reset_index(drop=True)


# Counted as yes/no per incident; an unknown value counts as no (completeness reports how
# often a field is blank).
COUNTED_FLAGS = (
    "is_connection",
    "is_arrest",
    "is_involuntary",
    "use_of_force",
    "person_injury",
    "officer_injury",
    "cit_on_scene",
    "trained_on_scene",
    "cit_requested",
    "cit_dispatched",
    "cit_arrived",
    "mh_at_dispatch",
)


def _plain_flags(incidents: pd.DataFrame) -> None:
    for c in COUNTED_FLAGS:
        if c in incidents:
            incidents[c] = incidents[c].fillna(False).astype(bool)
    injury = [c for c in ("person_injury", "officer_injury") if c in incidents]
    if injury:
        incidents["is_injury"] = incidents[injury].any(axis=1)


def _collapse_repeated(rows: pd.DataFrame) -> pd.DataFrame:
    if "disposition_group" in rows:
        # Most serious disposition first, so first() picks it for each incident.
        codes = pd.Categorical(
            rows["disposition_group"], categories=DISPOSITION_GROUPS
        ).codes.copy()
        codes[codes < 0] = len(DISPOSITION_GROUPS)
        rows = rows.iloc[codes.argsort(kind="stable")]
    grouped = rows.groupby("incident_id", sort=False, observed=True)
    flags = [c for c in rows.columns if str(rows[c].dtype) in ("boolean", "bool")]
    other = [c for c in rows.columns if c not in flags and c not in ("incident_id", "received_at")]
    parts = [grouped["received_at"].min()]
    if flags:
        parts.append(grouped[flags].max())
    # The time of day belongs with the earliest row, like received_at, not with the row of
    # the most serious disposition.
    timed = [c for c in ("hour", "weekday") if c in other]
    other = [c for c in other if c not in timed]
    if other:
        parts.append(grouped[other].first())
    if timed:
        earliest = rows.loc[grouped["received_at"].idxmin(), ["incident_id", *timed]]
        parts.append(earliest.set_index("incident_id"))
    parts.append(grouped.size().rename("rows"))
    return pd.concat(parts, axis=1).reset_index()


def time_band(hour: pd.Series | None) -> pd.Series | None:
    if hour is None:
        return None
    h = hour.astype("float64")
    band = pd.Series(pd.NA, index=hour.index, dtype="object")
    band[(h >= 7) & (h < 15)] = TIME_BANDS[0]
    band[(h >= 15) & (h < 23)] = TIME_BANDS[1]
    band[(h >= 23) | (h < 7)] = TIME_BANDS[2]
    return pd.Categorical(band, categories=TIME_BANDS)


def mh_incidents(incidents: pd.DataFrame) -> pd.DataFrame:
    """The mental-health incidents (all of them where the MH flag is unknown)."""
    if "mh" not in incidents or incidents["mh"].isna().all():
        return incidents
    mask = incidents["mh"].fillna(False).to_numpy(bool)
    return incidents if mask.all() else incidents[mask]


def filled_share(rows: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """Share of records with a value, per canonical field present in the data."""
    present = [f for f in fields if f in rows]
    filled = [float(rows[f].notna().mean()) if len(rows) else 0.0 for f in present]
    return pd.DataFrame(
        {
            "field": present,
            "filled": filled,
            "missing": [1 - x for x in filled],
            "records": len(rows),
        }
    )


SYNTHETIC_ID = "row-"  # incident ids the pipeline makes for exports that have none


def append(base: Dataset, new: Dataset, label: str) -> tuple[Dataset, int]:
    """(base + new, incidents replaced): next month's export added to what is loaded.

    An incident in both is taken from `new` (a later export corrects an earlier one);
    ids the pipeline made up for files without incident numbers are never matched."""
    out = Dataset(label, [*base.reports, *new.reports], [*base.rejected, *new.rejected])
    for kind in ("training", "roster", "services"):
        frames = [f for f in (getattr(base, kind), getattr(new, kind)) if f is not None]
        if frames:
            setattr(out, kind, _concat(frames).drop_duplicates(ignore_index=True))
    calls = [f for f in (base.calls, new.calls) if f is not None]
    replaced = 0
    if calls:
        both = _concat(calls)
        ids = both["incident_id"].astype("str")
        real = ids.notna() & ~ids.str.startswith(SYNTHETIC_ID, na=False)
        dup = real & ids.duplicated(keep="last")
        replaced = int(dup.sum())
        both = both[~dup.to_numpy()]
        order = both["received_at"].to_numpy().argsort(kind="stable")
        out.calls = both.iloc[order].reset_index(drop=True)
    out.completeness = _merge_completeness(base.completeness, new.completeness)
    return out, replaced


def _merge_completeness(a: pd.DataFrame | None, b: pd.DataFrame | None) -> pd.DataFrame | None:
    """Shares weighted by each part's record count (the call rows themselves are not kept)."""
    parts = [p for p in (a, b) if p is not None and len(p)]
    if len(parts) < 2:
        return parts[0] if parts else None
    both = pd.concat(parts, ignore_index=True)
    both["filled_n"] = both["filled"] * both["records"]
    total = int(sum(int(p["records"].iloc[0]) for p in parts))
    merged = both.groupby("field", sort=False, as_index=False)["filled_n"].sum()
    merged["filled"] = merged["filled_n"] / total
    merged["missing"] = 1 - merged["filled"]
    merged["records"] = total
    return merged[["field", "filled", "missing", "records"]]
