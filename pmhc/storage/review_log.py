"""The review records of a workspace beyond its settings: the action tracker with the history
of every change, and the log of review meetings (date, who attended by role, decisions,
linked actions). Kept in the workspace's database (pmhc.storage.records), merged row by
row: a save never drops what another session saved meanwhile."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from pmhc.storage import records
from pmhc.storage.records import ACTION_COLUMNS, CONTENT
from pmhc.storage.settings import ACTION_STATUSES, actions_from_records

TEXT_COLUMNS = ["recommendation", "owner", "status"]
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
    """The actions with a stable id each and, per row, the version it was read at and who
    changed it last (`version`, `changed_by`, `changed_at`: pass the frame back as `base`
    when saving an edit of it)."""
    ws_folder, ds_id = records.place(folder)
    stored = records.load_actions(ws_folder, ds_id)
    frame = actions_from_records(stored[ACTION_COLUMNS].to_dict(orient="records"))
    frame = frame.astype({c: object for c in TEXT_COLUMNS})
    frame.insert(0, "id", stored["id"].astype(object))
    for column in ("version", "changed_by", "changed_at"):
        frame[column] = stored[column].to_numpy()
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
    """One history entry per action added or removed, and per field changed; `by` is never
    left empty (an unnamed change says so)."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    by = by or "unknown"
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


def save_actions(
    folder: Path,
    frame: pd.DataFrame,
    by: str | None = None,
    *,
    base: pd.DataFrame | dict[str, int] | None = None,
) -> list[dict]:
    """Save an edited tracker and append what changed to its history (who: `by`); the
    entries appended. Merged row by row: rows others added or changed meanwhile survive,
    and a row edited or deleted from a stale copy raises StaleEdit (nothing saved).

    `base` is the frame as loaded (or {id: version}): the rows missing from `frame` were
    deleted by this editor. Without it the frame replaces the whole tracker."""
    ws_folder, ds_id = records.place(folder)
    after = _records(frame)
    versions = records._versions(frame) or {}  # each edited row's version as read
    base_rows = _records(base) if isinstance(base, pd.DataFrame) else None
    return records.save_actions(ws_folder, ds_id, after, versions, base, by, base_rows)


def history(folder: Path) -> pd.DataFrame:
    columns = ["at", "by", "action", "change", "from", "to", "recommendation"]
    frame = pd.DataFrame(records.history(*records.place(folder)))
    for c in columns:
        if c not in frame:
            frame[c] = None
    return frame[columns + [c for c in frame.columns if c not in columns]]


def same_actions(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """True when an edited table holds what is saved (so nothing would be lost)."""
    return _records(a) == _records(b)


# --- review meetings ---------------------------------------------------------------------


def load_meetings(folder: Path) -> list[dict]:
    """Each meeting with its id, version and who logged or changed it last, by date."""
    return records.load_meetings(*records.place(folder))


def _meeting_problems(when: date, roles: list[str], decisions: str) -> list[str]:
    problems = []
    if not roles:
        problems.append("Name at least one role that attended.")
    if not decisions.strip():
        problems.append("Write the decisions taken (one line each).")
    if when > date.today():
        problems.append(f"The meeting date {when:%d %b %Y} is in the future.")
    return problems


def _meeting(when: date, roles: list[str], decisions: str, action_ids: list[str]) -> dict:
    return {
        "date": when.isoformat(),
        "attendees": [r for r in roles if r in ROLES],
        "decisions": decisions.strip(),
        "actions": [str(a) for a in action_ids],
    }


def add_meeting(
    folder: Path,
    when: date,
    roles: list[str],
    decisions: str,
    action_ids: list[str],
    *,
    by: str | None = None,
) -> list[str]:
    """Log a meeting (one new row: two people logging at once both keep theirs); plain
    sentences for what is missing (nothing saved then)."""
    problems = _meeting_problems(when, roles, decisions)
    if not problems:
        ws_folder, ds_id = records.place(folder)
        records.add_meeting(ws_folder, ds_id, _meeting(when, roles, decisions, action_ids), by)
    return problems


def update_meeting(
    folder: Path,
    meeting_id: str,
    when: date,
    roles: list[str],
    decisions: str,
    action_ids: list[str],
    *,
    by: str | None = None,
    expected_version: int,
) -> list[str]:
    """Correct a logged meeting read at `expected_version`; StaleEdit when someone changed
    it since. Plain sentences for what is missing (nothing saved then)."""
    problems = _meeting_problems(when, roles, decisions)
    if not problems:
        ws_folder, ds_id = records.place(folder)
        meeting = _meeting(when, roles, decisions, action_ids)
        records.update_meeting(ws_folder, ds_id, meeting_id, meeting, by, expected_version)
    return problems


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
