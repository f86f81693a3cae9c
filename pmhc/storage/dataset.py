"""A dataset: the canonical tables built from one set of uploaded files.

Call rows are collapsed to incidents here, once per dataset, by one rule per field
(docs/indicators.md, counting rules):

- outcomes and every yes/no flag: any row (yes if any row says yes, no if some row records no
  and none yes, unknown if no row records it);
- the disposition group: the most serious over the rows, and the disposition text of that row;
- responders: the set of unit types on any row (``unit_*`` flags and the ``responders`` label);
- times: the first received and the first arrived;
- everything else (district, call types, person, officer...): the first received row, so an
  incident's descriptive fields always come from one row.

Connection to resources is decided per incident from its components (referral, transport to
treatment, hand-off): an arrest is never a connection, and a hold is counted apart unless the
setting counts holds that end in a transport to treatment (``is_connection_holds``).
Training and roster are joined to calls to tell whether a CIT-trained officer was on scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from pmhc.domain.rules import DISPOSITION_GROUPS, RESPONDER_LABELS, RESPONDERS
from pmhc.ingest.pipeline import Loaded, SourceReport
from pmhc.ingest.values import any_of

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
    completeness: pd.DataFrame | None = None  # share of incidents with a value, per field

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
        repeated = repeated_rows(rows)
        ds.completeness = completeness(rows, repeated)
        ds.calls = collapse(rows, repeated)
    return ds


def repeated_rows(rows: pd.DataFrame) -> np.ndarray:
    """Rows of incidents that span several rows (hashing a million incident ids once)."""
    return rows["incident_id"].duplicated(keep=False).to_numpy()


def rebuild_calls(ds: Dataset) -> Dataset:
    """Completeness and incidents again from the call rows (after rules were re-applied)."""
    rows = ds.call_rows
    if rows is not None:
        if ds.training is not None and "officer_id" in rows:
            rows["trained_on_scene"] = trained_on_scene(rows, ds.training)
        repeated = repeated_rows(rows)
        ds.completeness = completeness(rows, repeated)
        ds.calls = collapse(rows, repeated)
        ds.__dict__.pop("mh", None)  # the cached MH selection
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


def completeness(rows: pd.DataFrame, repeated: np.ndarray | None = None) -> pd.DataFrame:
    """Share of incidents with a value, per canonical field present (question 5): a field is
    recorded for an incident when any of its rows holds it."""
    fields = [f for f in COMPLETENESS_FIELDS if f in rows and f != "incident_id"]
    if "incident_id" in rows and repeated is None:
        repeated = repeated_rows(rows)
    if repeated is None or not repeated.any():
        return filled_share(rows, ["incident_id", *fields])
    # Incidents on one row count as rows; only the repeated ones go through a group-by.
    ids = rows["incident_id"].to_numpy()[repeated]
    multi = rows.loc[repeated, fields].notna().groupby(ids, sort=False).any()
    filled = rows.loc[~repeated, fields].notna().sum() + multi.sum()
    incidents = int((~repeated).sum()) + len(multi)
    share = [1.0, *(float(filled[f]) / incidents for f in fields)]
    return pd.DataFrame(
        {
            "field": ["incident_id", *fields],
            "filled": share,
            "missing": [1 - x for x in share],
            "records": incidents,
        }
    )


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


def collapse(rows: pd.DataFrame, repeated: np.ndarray | None = None) -> pd.DataFrame:
    """One row per incident by the rules of the module docstring.

    Only incidents spanning several rows go through the group-by (usually under a tenth of
    an export); the rest are one row already."""
    repeated = repeated_rows(rows) if repeated is None else repeated
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
    _incident_outcomes(incidents)
    incidents["time_band"] = time_band(incidents.get("hour"))
    incidents["month"] = (
        incidents["received_at"].to_numpy().astype("datetime64[M]").astype("datetime64[us]")
    )
    if "disposition_group" in incidents:
        incidents["disposition_group"] = pd.Categorical(
            incidents["disposition_group"], categories=DISPOSITION_GROUPS, ordered=True
        )
    return incidents.reset_index(drop=True)


def _flag(incidents: pd.DataFrame, name: str) -> pd.Series:
    """A flag as plain booleans with unknown as no (for masks only, never for counting)."""
    if name not in incidents:
        return pd.Series(False, index=incidents.index)
    return incidents[name].fillna(False).astype(bool)


def _incident_outcomes(incidents: pd.DataFrame) -> None:
    """Connection (both hold settings), injury and the responders label, per incident.

    Flags stay nullable: NA is unknown and leaves the rate's denominator."""
    for c in incidents.columns:
        if incidents[c].dtype == bool:
            incidents[c] = incidents[c].astype("boolean")
    if "conn_any" in incidents:
        # the default definition, and holds included; other settings are computed on demand
        incidents["is_connection"] = connection_flag(incidents)
        incidents["is_connection_holds"] = connection_flag(incidents, holds=True)
    injury = [c for c in ("person_injury", "officer_injury") if c in incidents]
    if injury:
        result = incidents[injury[0]].astype("boolean")
        for c in injury[1:]:
            result = result | incidents[c].astype("boolean")
        incidents["is_injury"] = result
    units = [c for c in RESPONDERS if f"unit_{c}" in incidents]
    if units:
        incidents["responders"] = responders_label(incidents, units)


# Dispositions that record no service contact: a mobile-crisis or co-responder unit on such
# a call attended, but nobody was connected (issue 20; BJA PMHC toolkit, "Measuring
# Performance": a connection is a linkage made, not a unit's presence).
NO_CONTACT_GROUPS = ("resolved", "no_contact")


def connection_flag(
    incidents: pd.DataFrame, holds: bool = False, contact: bool = True, shelter: bool = False
) -> pd.Series | None:
    """Connection to resources per incident under the three definitions (settings):
    `holds` a hold ending in a transport to treatment connects; `contact` a hand-off counts
    only when the disposition does not record no contact (Resolved, No action, Resources
    declined, Unable to contact...); `shelter` a shelter transport connects. An arrest is
    never a connection. None without connection components."""
    if "conn_any" not in incidents:
        return None
    parts = [incidents[f"conn_{c}"] for c in ("referral", "transport") if f"conn_{c}" in incidents]
    if "conn_handoff" in incidents:
        handoff = incidents["conn_handoff"].astype("boolean")
        if contact and "disposition_group" in incidents:
            quiet = incidents["disposition_group"].isin(NO_CONTACT_GROUPS).to_numpy(bool)
            handoff = handoff.mask(quiet, False)
        parts.append(handoff)
    if shelter and "conn_shelter" in incidents:
        parts.append(incidents["conn_shelter"])
    conn = any_of(parts)
    if conn is None:
        conn = incidents["conn_any"].astype("boolean")
    # a component's blank is unknown; the incident stays recorded where conn_any is
    conn = conn.fillna(False).astype("boolean").where(incidents["conn_any"].notna(), conn)
    arrest, held = _flag(incidents, "is_arrest"), _flag(incidents, "is_involuntary")
    conn = conn.mask(arrest, False)  # an arrest is never a connection
    held &= ~arrest
    return conn.mask(held, _flag(incidents, "conn_transport") if holds else False)


def responders_label(incidents: pd.DataFrame, units: list[str]) -> pd.Categorical:
    """The set of unit types on an incident as one label ("Mobile crisis + Patrol")."""
    bits = np.zeros(len(incidents), dtype=np.int64)
    for i, c in enumerate(units):
        bits |= incidents[f"unit_{c}"].fillna(False).to_numpy(bool).astype(np.int64) << i
    labels = {}
    for b in np.unique(bits):
        names = [RESPONDER_LABELS[c] for i, c in enumerate(units) if b >> i & 1]
        labels[b] = " + ".join(names) if names else None
    keys = sorted(k for k, v in labels.items() if v is not None)
    cats = [labels[k] for k in keys]
    lookup = np.full(max(labels) + 1, -1, dtype=np.int64)
    for i, k in enumerate(keys):
        lookup[k] = i
    return pd.Categorical.from_codes(lookup[bits], categories=cats)


def _collapse_repeated(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.iloc[rows["received_at"].to_numpy().argsort(kind="stable")]
    grouped = rows.groupby("incident_id", sort=False, observed=True)
    # The first received row gives every descriptive field (row-consistent), the time of
    # day included.
    # groupby(sort=False) lists incidents in order of first appearance, as drop_duplicates
    # does: values are assigned by position, without aligning a million-string index.
    out = rows.drop_duplicates("incident_id", keep="first").reset_index(drop=True)
    flags = [c for c in rows.columns if str(rows[c].dtype) in ("boolean", "bool")]
    if flags:
        anyrow = grouped[flags].max()  # any row; NA only where no row records it
        for c in flags:
            out[c] = anyrow[c].array
    if "arrived_at" in rows:
        out["arrived_at"] = grouped["arrived_at"].min().to_numpy()  # first arrived
    for column in ("cleared_at", "transferred_at"):  # the incident ends with its last row
        if column in rows:
            out[column] = grouped[column].max().to_numpy()
    if "disposition_group" in rows:
        # The most serious outcome, with the disposition text of that same row.
        codes = pd.Categorical(
            rows["disposition_group"], categories=DISPOSITION_GROUPS
        ).codes.copy()
        codes[codes < 0] = len(DISPOSITION_GROUPS)
        worst = rows.iloc[codes.argsort(kind="stable")].drop_duplicates("incident_id")
        worst = worst.set_index("incident_id")
        for c in ("disposition_group", "disposition"):
            if c in rows:
                out[c] = worst[c].reindex(out["incident_id"]).array
    out["rows"] = grouped.size().to_numpy()
    return out


def time_band(hour: pd.Series | None) -> pd.Series | None:
    if hour is None:
        return None
    # Category codes straight from the hours: no label is written per row.
    h = hour.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    codes = np.full(len(h), -1, dtype=np.int8)  # -1: unknown hour
    codes[(h >= 7) & (h < 15)] = 0
    codes[(h >= 15) & (h < 23)] = 1
    codes[(h >= 23) | (h < 7)] = 2
    return pd.Categorical.from_codes(codes, categories=TIME_BANDS)


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
