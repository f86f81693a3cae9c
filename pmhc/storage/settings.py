"""Workspace settings and the review records kept beside the data: programme start date,
suppression threshold, outcome targets, and the action tracker. Plain JSON files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from pmhc.ingest.pipeline import MH_ROUTES

DEFAULTS: dict[str, object] = {
    "programme_start": None,
    "threshold": 10,
    "agency": "",
    "targets": {},
    # a hold that ends in a transport to treatment also counts as a connection
    "holds_as_connection": False,
    # how a call is recognised as a mental-health call (pipeline.MH_ROUTES)
    "mh_routes": ["final", "initial", "flag"],
}
SAMPLE_PROGRAMME_START = "2024-07-01"  # the sample agency's CIT expansion
ANSWERS_FILE = "self_assessment.json"
ACTION_COLUMNS = ["recommendation", "owner", "due", "status", "shared"]  # shared: partners see it
ACTION_STATUSES = ["Not started", "In progress", "Done", "Dropped"]


def _read(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def _write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    tmp.replace(path)


def load_settings(folder: Path) -> dict:
    return {**DEFAULTS, **_read(folder / "settings.json", {})}


def save_settings(folder: Path, **changes) -> dict:
    current = load_settings(folder)
    current.update(changes)
    _write(folder / "settings.json", current)
    return current


def with_sample_defaults(values: dict, is_sample: bool) -> dict:
    """The sample agency's programme start, unless one was saved."""
    if is_sample and not values.get("programme_start"):
        return {**values, "programme_start": SAMPLE_PROGRAMME_START}
    return values


def programme_start(settings: dict) -> pd.Timestamp | None:
    value = settings.get("programme_start")
    try:
        return pd.Timestamp(date.fromisoformat(value)) if value else None
    except ValueError:
        return None


def mh_routes(settings: dict) -> tuple[str, ...]:
    """The MH routes chosen, in their fixed order; all of them when the setting is unusable."""
    chosen = settings.get("mh_routes") or MH_ROUTES
    routes = tuple(r for r in MH_ROUTES if r in chosen)
    return routes or MH_ROUTES


def load_actions(folder: Path) -> pd.DataFrame:
    return actions_from_records(_read(folder / "actions.json", []))


def actions_from_records(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    frame["due"] = pd.to_datetime(frame["due"], errors="coerce").dt.date
    # Not shared unless the analyst ticked it (rows saved before the column existed too).
    frame["shared"] = frame["shared"].astype("object").where(frame["shared"].notna(), False)
    frame["shared"] = frame["shared"].astype(bool)
    return frame


def save_actions(folder: Path, frame: pd.DataFrame) -> None:
    frame = frame.reindex(columns=ACTION_COLUMNS)
    keep = frame.dropna(how="all", subset=ACTION_COLUMNS[:-1])
    keep = keep.assign(shared=keep["shared"].fillna(False).astype(bool))
    keep = keep.assign(due=keep["due"].astype(str).where(keep["due"].notna(), None))
    _write(folder / "actions.json", keep.to_dict(orient="records"))


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
