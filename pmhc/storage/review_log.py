"""The review records of a workspace beyond its settings: the action tracker with the history
of every change, and the log of review meetings (date, who attended by role, decisions,
linked actions). Plain JSON files, written atomically."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from pmhc.storage.settings import (
    ACTION_COLUMNS,
    ACTION_STATUSES,
    _read,
    _write,
    actions_from_records,
)

ACTIONS_FILE, HISTORY_FILE, MEETINGS_FILE = "actions.json", "action_history.json", "meetings.json"
TEXT_COLUMNS = ["recommendation", "owner", "status"]
CONTENT = [c for c in ACTION_COLUMNS if c != "shared"]  # a row with none of these is empty
EARLIEST_DUE = date(2000, 1, 1)
LATEST_YEARS = 10  # a due date more than this many years ahead is a typing slip
ROLES = [
    "Police leadership",
    "CIT coordinator",
    "Patrol supervisor",
    "Dispatch",
    "Mental-health partner",
    "Crisis services",
    "Data analyst",
    "Person with lived experience",
    "Community member",
    "Other",
]


# --- actions ---------------------------------------------------------------------------


def load_actions(folder: Path) -> pd.DataFrame:
    """The actions (as settings reads them) with a stable id each; rows saved before ids
    existed get one from their position, the same on every load."""
    rows = _read(folder / ACTIONS_FILE, [])
    frame = actions_from_records(rows).astype({c: object for c in TEXT_COLUMNS})
    ids = [r.get("id") if isinstance(r, dict) else None for r in rows]
    frame.insert(
        0, "id", [i if isinstance(i, str) and i else f"row{n}" for n, i in enumerate(ids, 1)]
    )
    return frame


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


def check_actions(frame: pd.DataFrame, today: date | None = None) -> list[str]:
    """Plain sentences for each row that cannot be saved; none when all can."""
    today = today or date.today()
    latest = date(today.year + LATEST_YEARS, today.month, min(today.day, 28))
    problems = []
    for n, row in enumerate(frame.itertuples(index=False), start=1):
        text = "" if pd.isna(row.recommendation) else str(row.recommendation).strip()
        due = None if pd.isna(row.due) else pd.Timestamp(row.due).date()
        if not text and (due is not None or not pd.isna(row.owner)):
            problems.append(f"Action {n} has no recommendation: write one or delete the row.")
        if due is not None and not EARLIEST_DUE <= due <= latest:
            problems.append(
                f"Action {n} is due on {due:%d %b %Y}; a due date between "
                f"{EARLIEST_DUE:%Y} and {latest:%Y} was expected (a typing slip?)."
            )
        if not pd.isna(row.status) and row.status not in ACTION_STATUSES:
            problems.append(f"Action {n} has an unknown status; pick one from the list.")
    return problems


def _records(frame: pd.DataFrame) -> dict[str, dict]:
    out = {}
    for row in frame.to_dict(orient="records"):
        if all(pd.isna(row.get(c)) or row.get(c) == "" for c in CONTENT):
            continue  # an empty row the editor left behind
        key = row.get("id") if isinstance(row.get("id"), str) and row.get("id") else _new_id()
        out[key] = {c: _plain(row.get(c)) for c in ACTION_COLUMNS}
        if "shared" in out[key]:  # not shared unless ticked
            out[key]["shared"] = bool(out[key]["shared"] or False)
    return out


def _plain(value):
    if isinstance(value, bool):
        return value
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, date | pd.Timestamp):
        return pd.Timestamp(value).date().isoformat()
    return str(value).strip()


def changes(before: dict[str, dict], after: dict[str, dict], by: str | None) -> list[dict]:
    """One history entry per action added or removed, and per field changed."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    out = []
    for key in after.keys() - before.keys():
        out.append({"at": at, "by": by, "action": key, "change": "added", **after[key]})
    for key in before.keys() - after.keys():
        out.append({"at": at, "by": by, "action": key, "change": "removed", **before[key]})
    for key in before.keys() & after.keys():
        for field in ACTION_COLUMNS:
            old, new = before[key][field], after[key][field]
            if old != new:
                out.append(
                    {
                        "at": at,
                        "by": by,
                        "action": key,
                        "change": field,
                        "from": old,
                        "to": new,
                        "recommendation": after[key]["recommendation"],
                    }
                )
    return out


def save_actions(folder: Path, frame: pd.DataFrame, by: str | None = None) -> list[dict]:
    """Save the tracker and append what changed to its history; the entries appended."""
    before = _records(load_actions(folder))
    after = _records(frame)
    entries = changes(before, after, by)
    _write(folder / ACTIONS_FILE, [{"id": k, **v} for k, v in after.items()])
    if entries:
        _write(folder / HISTORY_FILE, _read(folder / HISTORY_FILE, []) + entries)
    return entries


def history(folder: Path) -> pd.DataFrame:
    columns = ["at", "by", "action", "change", "from", "to", "recommendation"]
    rows = _read(folder / HISTORY_FILE, [])
    frame = pd.DataFrame(rows)
    for c in columns:
        if c not in frame:
            frame[c] = None
    return frame[columns + [c for c in frame.columns if c not in columns]]


def same_actions(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """True when an edited table holds what is saved (so nothing would be lost)."""
    return _records(a) == _records(b)


# --- review meetings ---------------------------------------------------------------------


def load_meetings(folder: Path) -> list[dict]:
    return sorted(_read(folder / MEETINGS_FILE, []), key=lambda m: m.get("date", ""))


def add_meeting(
    folder: Path, when: date, roles: list[str], decisions: str, action_ids: list[str]
) -> list[str]:
    """Log a meeting; plain sentences for what is missing (nothing saved then)."""
    problems = []
    if not roles:
        problems.append("Name at least one role that attended.")
    if not decisions.strip():
        problems.append("Write the decisions taken (one line each).")
    if when > date.today():
        problems.append(f"The meeting date {when:%d %b %Y} is in the future.")
    if problems:
        return problems
    meeting = {
        "date": when.isoformat(),
        "attendees": [r for r in roles if r in ROLES],
        "decisions": decisions.strip(),
        "actions": list(action_ids),
    }
    _write(folder / MEETINGS_FILE, [*load_meetings(folder), meeting])
    return []


def meetings_frame(folder: Path, actions: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(actions["id"], actions["recommendation"], strict=True))
    rows = [
        {
            "date": m["date"],
            "attended": ", ".join(m.get("attendees", [])),
            "decisions": m.get("decisions", ""),
            "linked actions": "; ".join(str(names.get(a, "(removed)")) for a in m["actions"]),
        }
        for m in load_meetings(folder)
    ]
    return pd.DataFrame(rows, columns=["date", "attended", "decisions", "linked actions"])
