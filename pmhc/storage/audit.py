"""The audit log: one JSON line per sign-in, upload, publish, partner link created or used,
and edit of rules, settings, answers or actions. Who, when, what: never a cell value, a
file name or anything else from inside an upload (they can hold personal data), only
counts, ids and the kind of change.

A table of the workspace's database (pmhc.storage.db): rows are added, never changed
or removed by the app. A workspace's old `audit.jsonl` is imported on its first start."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from pmhc.storage import db

COLUMNS = ["at", "who", "role", "action", "details"]

ACTIONS = {
    "sign-in": "Signed in",
    "sign-in-refused": "Sign-in refused",
    "upload": "Uploaded data",
    "dataset-append": "Added an export to a dataset",
    "dataset-switch": "Switched dataset",
    "dataset-rename": "Renamed a dataset",
    "dataset-agency": "Made a dataset the agency's",
    "dataset-undo": "Undid a dataset's last version",
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
    "meeting-edit": "Corrected a review meeting",
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
    entry = json.loads(json.dumps(entry, ensure_ascii=False, default=str))  # as read back
    with db.write(folder) as (conn, ws):
        conn.execute(db.audit.insert().values(ws=ws, entry=entry))
    return entry


def read(folder: Path, limit: int | None = None) -> list[dict]:
    """The entries, oldest first (the last `limit` of them)."""
    t = db.audit
    with db.read(folder) as (conn, ws):
        query = sa.select(t.c.entry).where(t.c.ws == ws).order_by(t.c.seq.desc())
        rows = conn.execute(query.limit(limit) if limit else query).scalars().all()
    return list(reversed(rows))


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
