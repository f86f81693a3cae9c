"""Settings and the review records kept beside the data.

Workspace-wide: the suppression threshold and the agency's name (`settings.json`).
Per dataset, because they describe it: programme start, milestones, outcome targets and
the action tracker, kept in the dataset's own folder (`datasets/<id>/settings.json`,
`actions.json`), or under `settings/sample/` for the sample. A dataset made from another
(next month's export appended, a mapping changed) starts with a copy of them.
Plain JSON files, written atomically."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd

from pmhc.ingest.pipeline import MH_ROUTES
from pmhc.storage import files

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
ACTION_COLUMNS = ["recommendation", "owner", "due", "status", "shared"]  # shared: partners see it
ACTION_STATUSES = ["Not started", "In progress", "Done", "Dropped"]
_STORED_ID = re.compile(r"^[0-9a-f]{16}$")


def _read(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def _write(path: Path, data) -> None:
    files.write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str))


def dataset_folder(folder: Path, ds_id: str | None) -> Path:
    """Where a dataset's own settings live: its folder, or settings/sample for the sample
    (whose id changes with the rules) and for no dataset at all."""
    if ds_id and _STORED_ID.match(ds_id):
        return Path(folder) / "datasets" / ds_id
    return Path(folder) / "settings" / "sample"


def load_settings(folder: Path, ds_id: str | None = None) -> dict:
    shared = _read(Path(folder) / "settings.json", {})
    own = _read(dataset_folder(folder, ds_id) / "settings.json", {})
    shared = {k: v for k, v in shared.items() if k in WORKSPACE_DEFAULTS}
    own = {k: v for k, v in own.items() if k not in WORKSPACE_DEFAULTS}
    return {**WORKSPACE_DEFAULTS, **shared, **DATASET_DEFAULTS, **own}


def save_settings(folder: Path, ds_id: str | None = None, **changes) -> dict:
    """Workspace keys go to settings.json, every other key to the dataset's settings."""
    shared = {k: v for k, v in changes.items() if k in WORKSPACE_DEFAULTS}
    own = {k: v for k, v in changes.items() if k not in WORKSPACE_DEFAULTS}
    with files.locked(Path(folder)):
        if shared:
            path = Path(folder) / "settings.json"
            _write(path, {**_read(path, {}), **shared})
        if own:
            path = dataset_folder(folder, ds_id) / "settings.json"
            _write(path, {**_read(path, {}), **own})
    return load_settings(folder, ds_id)


def copy_dataset_settings(folder: Path, from_id: str | None, to_id: str) -> None:
    """A dataset made from another one keeps its programme start, targets and actions,
    unless it already has its own."""
    source, target = dataset_folder(folder, from_id), dataset_folder(folder, to_id)
    if source == target:
        return
    for name in ("settings.json", "actions.json"):
        if (source / name).exists() and not (target / name).exists():
            files.write_atomic(target / name, (source / name).read_bytes())


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
