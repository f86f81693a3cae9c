"""Settings and the review records kept beside the data.

Workspace-wide: the suppression threshold, the agency's name and how data is read.
Per dataset, because they describe it: programme start, milestones, outcome targets and
the action tracker, shared by all the dataset's versions; the sample's are kept apart.
Each key is a record of the workspace's database with its version, who and when
(pmhc.storage.db), so a save from a stale copy can be refused (StaleEdit)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from pmhc.domain.errors import StaleEdit
from pmhc.ingest.pipeline import MH_ROUTES
from pmhc.storage import db, records
from pmhc.storage.records import ACTION_COLUMNS

# How the workspace reads and counts data: the same for every dataset.
WORKSPACE_DEFAULTS: dict[str, object] = {
    "threshold": 10,
    # partners' feasible range for each hidden count must span at least ±protection
    "protection": 3,
    "agency": "",
    # a hold that ends in a transport to treatment also counts as a connection
    "holds_as_connection": False,
    # a mobile-crisis or co-responder hand-off connects only when there was contact
    "handoff_needs_contact": True,
    # a shelter transport counts as a connection (it is not a transport to treatment)
    "shelter_as_treatment": False,
    # how a call is recognised as a mental-health call (pipeline.MH_ROUTES)
    "mh_routes": ["final", "initial", "flag"],
}
SAMPLE_PROGRAMME_START = "2024-07-01"  # the sample agency's CIT expansion
ANSWERS_FILE = "self_assessment.json"
# What describes one dataset: kept with it.
# data_end: the last day the export covers, when the analyst knows it (a partial last month)
DATASET_DEFAULTS: dict[str, object] = {
    "programme_start": None,
    "targets": {},
    "milestones": [],
    "data_end": None,
}
DEFAULTS = {**WORKSPACE_DEFAULTS, **DATASET_DEFAULTS}
ACTION_STATUSES = ["Not started", "In progress", "Done", "Dropped"]
_STORED_ID = re.compile(r"^[0-9a-f]{16}$")


def dataset_folder(folder: Path, ds_id: str | None) -> Path:
    """The records folder of a dataset, as review_log takes it: `datasets/<id>`, or
    settings/sample for the sample (whose id changes with the rules) and for no dataset.
    Only a name: the records themselves are in the workspace's database."""
    if ds_id and _STORED_ID.match(ds_id):
        return Path(folder) / "datasets" / ds_id
    return Path(folder) / "settings" / "sample"


def _stored(folder: Path, ds_id: str | None) -> tuple[dict, dict[str, db.Stamp]]:
    t = db.settings
    with db.read(folder) as (conn, ws):
        own = records.scope(conn, ws, ds_id)
        rows = conn.execute(sa.select(t).where(t.c.ws == ws, t.c.scope.in_(["", own]))).all()
    shared = {r.key: r for r in rows if r.scope == "" and r.key in WORKSPACE_DEFAULTS}
    mine = {r.key: r for r in rows if r.scope == own and r.key not in WORKSPACE_DEFAULTS}
    values = {**WORKSPACE_DEFAULTS, **{k: r.value for k, r in shared.items()}}
    values = {**values, **DATASET_DEFAULTS, **{k: r.value for k, r in mine.items()}}
    return values, {k: db.stamp_of(r) for k, r in {**shared, **mine}.items()}


def load_settings(folder: Path, ds_id: str | None = None) -> dict:
    return _stored(folder, ds_id)[0]


def settings_stamps(folder: Path, ds_id: str | None = None) -> dict[str, db.Stamp]:
    """key -> (version, who, when) of each saved setting: what an editor read, to pass back
    as `expected_versions` (a key never saved has version 0)."""
    return _stored(folder, ds_id)[1]


def save_settings(folder: Path, ds_id: str | None = None, **changes: Any) -> dict:
    """save_changes with the settings as keywords; `by=` and `expected_versions=` are read
    as save_changes's, never as settings. Every setting after."""
    by = changes.pop("by", None)
    expected = changes.pop("expected_versions", None)
    return save_changes(folder, ds_id, changes, by=by, expected_versions=expected)


def save_changes(
    folder: Path,
    ds_id: str | None,
    changes: dict[str, Any],
    *,
    by: str | None = None,
    expected_versions: dict[str, int] | None = None,
) -> dict:
    """Workspace keys are the workspace's, every other key the dataset's. One transaction;
    each key is its own record, so two people changing different keys both keep theirs.
    A key listed in `expected_versions` (key -> version as read, settings_stamps) that
    someone changed since raises StaleEdit and nothing is saved. Every setting after."""
    t = db.settings
    with db.write(folder) as (conn, ws):
        own = records.scope(conn, ws, ds_id)
        for key, given in changes.items():
            value = json.loads(json.dumps(given, default=str))  # as read back (dates: ISO)
            where = (t.c.ws == ws) & (t.c.key == key)
            where &= t.c.scope == ("" if key in WORKSPACE_DEFAULTS else own)
            row = conn.execute(sa.select(t).where(where)).first()
            expected = (expected_versions or {}).get(key)
            if expected is not None and db.stamp_of(row).version != expected:
                raise StaleEdit(row.changed_by if row else None, row.changed_at if row else None)
            if row is None:
                scope = "" if key in WORKSPACE_DEFAULTS else own
                conn.execute(
                    t.insert().values(
                        ws=ws, scope=scope, key=key, value=value, **db.stamp_values(by, 1)
                    )
                )
            elif row.value != value:
                conn.execute(
                    t.update()
                    .where(where)
                    .values(value=value, **db.stamp_values(by, row.version + 1))
                )
    return load_settings(folder, ds_id)


def copy_dataset_settings(folder: Path, from_id: str | None, to_id: str) -> None:
    """A dataset made from another one keeps its programme start, targets and actions,
    unless it already has its own (versions of one dataset share them anyway)."""
    records.copy_scope(folder, from_id, to_id)


def with_sample_defaults(values: dict, is_sample: bool) -> dict:
    """The sample agency's programme start, unless one was saved."""
    if is_sample and not values.get("programme_start"):
        return {**values, "programme_start": SAMPLE_PROGRAMME_START}
    return values


def programme_start(settings: dict, key: str = "programme_start") -> pd.Timestamp | None:
    value = settings.get(key)
    try:
        return pd.Timestamp(date.fromisoformat(value)) if value else None
    except ValueError:
        return None


def data_end(settings: dict) -> pd.Timestamp | None:
    """The analyst's data end date (None: not set, or unreadable)."""
    return programme_start(settings, "data_end")


def definitions(settings: dict) -> tuple[bool, bool, bool]:
    """The connection's definition settings: (holds, hand-off needs contact, shelter)."""
    return (
        bool(settings.get("holds_as_connection", False)),
        bool(settings.get("handoff_needs_contact", True)),
        bool(settings.get("shelter_as_treatment", False)),
    )


def mh_routes(settings: dict) -> tuple[str, ...]:
    """The MH routes chosen, in their fixed order; all of them when the setting is unusable."""
    chosen = settings.get("mh_routes") or MH_ROUTES
    routes = tuple(r for r in MH_ROUTES if r in chosen)
    return routes or MH_ROUTES


def actions_from_records(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    frame["due"] = pd.to_datetime(frame["due"], errors="coerce").dt.date
    # Not shared unless the analyst ticked it (rows saved before the column existed too).
    frame["shared"] = frame["shared"].astype("object").where(frame["shared"].notna(), False)
    frame["shared"] = frame["shared"].astype(bool)
    return frame


# --- milestones --------------------------------------------------------------------------

MILESTONE_COLUMNS = ["date", "label"]
MAX_LABEL = 80  # characters: a label is drawn on the chart


def milestones(values: dict) -> tuple[tuple[pd.Timestamp, str], ...]:
    """The saved milestones as (date, label), by date; unreadable entries are skipped."""
    out = []
    for item in values.get("milestones") or []:
        try:
            when = pd.Timestamp(date.fromisoformat(str(item["date"])))
        except (KeyError, TypeError, ValueError):
            continue
        label = str(item.get("label") or "").strip()[:MAX_LABEL]
        if label:
            out.append((when, label))
    return tuple(sorted(out))


def milestones_frame(values: dict) -> pd.DataFrame:
    rows = [{"date": when.date(), "label": label} for when, label in milestones(values)]
    return pd.DataFrame(rows, columns=MILESTONE_COLUMNS)


def check_milestones(frame: pd.DataFrame) -> tuple[list[dict], list[str]]:
    """(rows to save, problems): every row needs a date and a label; blank rows are dropped."""
    rows, problems = [], []
    for i, row in enumerate(frame[MILESTONE_COLUMNS].itertuples(index=False), start=1):
        when, label = row.date, "" if pd.isna(row.label) else str(row.label).strip()
        if pd.isna(when) and not label:
            continue
        if pd.isna(when):
            problems.append(f"Milestone {i} ({label[:30]}) has no date.")
        elif not label:
            problems.append(f"Milestone {i} ({pd.Timestamp(when):%d %b %Y}) has no label.")
        else:
            rows.append({"date": pd.Timestamp(when).date().isoformat(), "label": label[:MAX_LABEL]})
    return rows, problems
