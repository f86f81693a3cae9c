"""The one-time import of a workspace an earlier version kept as JSON files: the dataset
manifests and each user's choice, settings, actions and their history, meeting logs,
self-assessment answers, partner links, the last publish record, edited rule tables and
the audit log. Run by pmhc.storage.db on the workspace's first open, inside the
transaction that marks it imported, so it happens once and whole.

The old files are left where they were (nothing reads them afterwards): a backup until the
administrator removes them (docs/deploy.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa

from pmhc.storage import db

_ID = re.compile(r"^[0-9a-f]{16}$")
IMPORTED_BY = "import"


def _json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def import_workspace(conn: sa.Connection, ws: str, folder: Path) -> dict[str, int]:
    """Counts of what was imported, by kind."""
    found: dict[str, int] = {}
    scopes = {"": folder, "sample": folder / "settings" / "sample"}
    for manifest in sorted((folder / "datasets").glob("*/manifest.json")):
        ds_id = manifest.parent.name
        if _ID.match(ds_id) and _dataset(conn, ws, ds_id, _json(manifest, {})):
            scopes[ds_id] = manifest.parent
            found["datasets"] = found.get("datasets", 0) + 1
    for scope, where in scopes.items():
        found["settings"] = found.get("settings", 0) + _settings(conn, ws, scope, where)
        if scope:
            found["actions"] = found.get("actions", 0) + _actions(conn, ws, scope, where)
            found["meetings"] = found.get("meetings", 0) + _meetings(conn, ws, scope, where)
    found["choices"] = _choices(conn, ws, folder / "datasets" / "choices")
    found["answers"] = _answers(conn, ws, folder / "self_assessment.json")
    found["shares"] = _shares(conn, ws, folder / "shares.json")
    found["audit"] = _audit(conn, ws, folder / "audit.jsonl")
    found["rules"] = _rules(conn, ws, folder / "rules")
    record = _json(folder / "publish.json", None)
    if isinstance(record, dict):
        conn.execute(db.publications.insert().values(ws=ws, record=record))
        found["publications"] = 1
    return {k: v for k, v in found.items() if v}


def _dataset(conn, ws: str, ds_id: str, m: dict) -> bool:
    if not isinstance(m, dict):
        return False
    created = str(m.get("created") or db.now())
    incidents, rows_in = int(m.get("incidents") or 0), int(m.get("rows_in") or 0)
    # Everyone could open every dataset before: they stay the agency's.
    conn.execute(
        db.datasets.insert().values(
            ws=ws,
            id=ds_id,
            name=str(m.get("name") or m.get("label") or ds_id)[:200],
            owner="",
            status="agency",
            created=created,
            current=ds_id,
            version=1,
            changed_by=IMPORTED_BY,
            changed_at=created,
        )
    )
    conn.execute(
        db.dataset_versions.insert().values(
            ws=ws,
            dataset=ds_id,
            n=1,
            tables=ds_id,
            kind="import",
            added=incidents,
            replaced=0,
            rows_in=rows_in,
            incidents=incidents,
            changed_by=IMPORTED_BY,
            changed_at=created,
        )
    )
    return True


def _settings(conn, ws: str, scope: str, where: Path) -> int:
    values = _json(where / "settings.json", {})
    if not isinstance(values, dict):
        return 0
    from pmhc.storage.settings import WORKSPACE_DEFAULTS

    # settings.json at the top holds the workspace's keys, a dataset's its own (as read)
    keep = {k: v for k, v in values.items() if (k in WORKSPACE_DEFAULTS) == (scope == "")}
    for key, value in keep.items():
        conn.execute(
            db.settings.insert().values(
                ws=ws, scope=scope, key=key[:64], value=value, **db.stamp_values(IMPORTED_BY, 1)
            )
        )
    return len(keep)


def _actions(conn, ws: str, scope: str, where: Path) -> int:
    rows = _json(where / "actions.json", [])
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    for n, row in enumerate(rows, 1):
        conn.execute(
            db.actions.insert().values(
                ws=ws,
                scope=scope,
                id=str(row.get("id") or f"row{n}")[:32],
                position=n,
                recommendation=row.get("recommendation"),
                owner=row.get("owner"),
                due=str(row["due"])[:10] if row.get("due") else None,
                status=row.get("status"),
                shared=bool(row.get("shared") or False),
                **db.stamp_values(IMPORTED_BY, 1),
            )
        )
    history = _json(where / "action_history.json", [])
    for entry in history if isinstance(history, list) else []:
        if isinstance(entry, dict):
            entry = {**entry, "by": entry.get("by") or "unknown (before sign-in was recorded)"}
            conn.execute(db.action_history.insert().values(ws=ws, scope=scope, entry=entry))
    return len(rows)


def _meetings(conn, ws: str, scope: str, where: Path) -> int:
    rows = _json(where / "meetings.json", [])
    rows = (
        [r for r in rows if isinstance(r, dict) and r.get("date")] if isinstance(rows, list) else []
    )
    for n, m in enumerate(rows, 1):
        conn.execute(
            db.meetings.insert().values(
                ws=ws,
                scope=scope,
                id=f"m{n}",
                date=str(m["date"])[:10],
                attendees=list(m.get("attendees") or []),
                decisions=str(m.get("decisions") or ""),
                actions=list(m.get("actions") or []),
                **db.stamp_values(IMPORTED_BY, 1),
            )
        )
    return len(rows)


def _choices(conn, ws: str, where: Path) -> int:
    n = 0
    for path in sorted(where.glob("*.json")) if where.exists() else []:
        choice = _json(path, {})
        if isinstance(choice, dict):
            ds = choice.get("dataset")
            ds = ds if isinstance(ds, str) and _ID.match(ds) else None
            conn.execute(db.choices.insert().values(ws=ws, user_key=path.stem[:64], dataset=ds))
            n += 1
    return n


def _answers(conn, ws: str, path: Path) -> int:
    data = _json(path, {})
    rows = {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}
    for item, a in rows.items():
        conn.execute(
            db.answers.insert().values(
                ws=ws,
                item=item[:64],
                answer=str(a.get("answer") or ""),
                note=str(a.get("note") or ""),
                shared=bool(a.get("shared") or False),
                version=1,
                changed_by=IMPORTED_BY,
                changed_at=str(a.get("updated") or db.now()),
            )
        )
    return len(rows)


def _shares(conn, ws: str, path: Path) -> int:
    rows = _json(path, [])
    rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    fields = ("id", "token_hash", "label", "created", "expires", "revoked")
    for r in rows:
        conn.execute(db.shares.insert().values(ws=ws, **{f: r.get(f) for f in fields}))
    return len(rows)


def _audit(conn, ws: str, path: Path) -> int:
    entries = []
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut by a crash: skip it, keep the rest
                continue
            if isinstance(entry, dict):
                entries.append({"ws": ws, "entry": entry})
    if entries:
        conn.execute(db.audit.insert(), entries)
    return len(entries)


def _rules(conn, ws: str, where: Path) -> int:
    from pmhc.domain.rules import ABBREVIATIONS_FILE, RULE_FILES

    names = {**{v: k for k, v in RULE_FILES.items()}, ABBREVIATIONS_FILE: "abbreviations"}
    n = 0
    for name, kind in names.items():
        path = where / name
        if path.is_file():
            body = path.read_text(encoding="utf-8-sig")
            conn.execute(
                db.rules.insert().values(
                    ws=ws, kind=kind, body=body, **db.stamp_values(IMPORTED_BY, 1)
                )
            )
            n += 1
    return n
