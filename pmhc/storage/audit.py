"""The audit log: one JSON line per sign-in, upload, publish, partner link created or used,
and edit of rules, settings, answers or actions. Who, when, what: never a cell value, a
file name or anything else from inside an upload (they can hold personal data), only
counts, ids and the kind of change.

`audit.jsonl` in the workspace, 0600, appended to and never rewritten by the app."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pmhc.storage import files

FILE = "audit.jsonl"
COLUMNS = ["at", "who", "role", "action", "details"]

ACTIONS = {
    "sign-in": "Signed in",
    "sign-in-refused": "Sign-in refused",
    "upload": "Uploaded data",
    "dataset-append": "Added an export to a dataset",
    "dataset-switch": "Switched dataset",
    "dataset-rename": "Renamed a dataset",
    "dataset-delete": "Deleted a dataset",
    "publish": "Published a release",
    "share-create": "Created a partner link",
    "share-revoke": "Revoked a partner link",
    "share-use": "Opened a partner link",
    "share-refused": "Refused a partner link",
    "rules-edit": "Edited rules",
    "rules-apply": "Applied the rules again to a dataset",
    "settings-edit": "Edited settings",
    "answers-edit": "Edited self-assessment answers",
    "actions-edit": "Edited the action tracker",
    "meeting-add": "Logged a review meeting",
    "profile-save": "Saved a mapping profile",
    "audit-export": "Exported the audit log",
    "error": "Error shown to a user",
}


def record(folder: Path, who: str, role: str | None, action: str, **details) -> dict:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "who": who,
        "role": role or "",
        "action": action,
        "details": details,
    }
    files.append_line(Path(folder) / FILE, json.dumps(entry, ensure_ascii=False, default=str))
    return entry


def read(folder: Path, limit: int | None = None) -> list[dict]:
    path = Path(folder) / FILE
    if not path.exists():
        return []
    entries = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by a crash: skip it, keep the rest
                continue
    return entries[-limit:] if limit else entries


def frame(entries: list[dict]) -> pd.DataFrame:
    """Newest first, details as compact JSON text (a table for the admin page and export)."""
    rows = [
        {
            "at": e.get("at", ""),
            "who": e.get("who", ""),
            "role": e.get("role", ""),
            "action": ACTIONS.get(e.get("action"), e.get("action", "")),
            "details": json.dumps(e.get("details", {}), ensure_ascii=False, sort_keys=True),
        }
        for e in reversed(entries)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
