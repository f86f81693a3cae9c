"""The review records in the database, row by row: the action tracker with the history of
every change, and the log of review meetings. settings and review_log read and write them
through here; each save is one transaction that merges the rows it changed and refuses a
row edited from a stale copy (StaleEdit).

Records belong to a scope: a dataset (its stable id, whichever of its versions is shown),
or "sample" for the sample data and for no dataset at all."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from pmhc.domain.errors import StaleEdit
from pmhc.storage import db

ACTION_COLUMNS = ["recommendation", "owner", "due", "status", "shared"]  # shared: partners see it
CONTENT = [c for c in ACTION_COLUMNS if c != "shared"]  # a row with none of these is empty
SAMPLE = "sample"
_ID = re.compile(r"^[0-9a-f]{16}$")


def dataset_row(conn: sa.Connection, ws: str, any_id: str | None):
    """The registry row of the dataset `any_id` names: its own id or one of its versions'."""
    if not any_id or not _ID.match(any_id):
        return None
    t, v = db.datasets, db.dataset_versions
    row = conn.execute(sa.select(t).where(t.c.ws == ws, t.c.id == any_id)).first()
    if row is None:
        owner = sa.select(v.c.dataset).where(v.c.ws == ws, v.c.tables == any_id).limit(1)
        row = conn.execute(
            sa.select(t).where(t.c.ws == ws, t.c.id == owner.scalar_subquery())
        ).first()
    return row


def scope(conn: sa.Connection, ws: str, ds_id: str | None) -> str:
    if not ds_id or not _ID.match(ds_id):
        return SAMPLE
    row = dataset_row(conn, ws, ds_id)
    return row.id if row is not None else ds_id


def place(folder: Path) -> tuple[Path, str | None]:
    """(workspace folder, dataset id) of a records folder as settings.dataset_folder names
    it (`<ws>/datasets/<id>` or `<ws>/settings/sample`); any other folder is a workspace
    of its own, with the sample's records."""
    folder = Path(folder)
    if folder.parent.name == "datasets" and _ID.match(folder.name):
        return folder.parent.parent, folder.name
    if folder.name == SAMPLE and folder.parent.name == "settings":
        return folder.parent.parent, None
    return folder, None


# --- actions ---------------------------------------------------------------------------


def load_actions(folder: Path, ds_id: str | None) -> pd.DataFrame:
    """id, the action columns, version, changed_by, changed_at: in the order saved."""
    t = db.actions
    with db.read(folder) as (conn, ws):
        where = (t.c.ws == ws) & (t.c.scope == scope(conn, ws, ds_id))
        rows = conn.execute(sa.select(t).where(where).order_by(t.c.position)).mappings().all()
    columns = ["id", *ACTION_COLUMNS, "version", "changed_by", "changed_at"]
    return pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


def _blank(value) -> bool:
    return value is None or value == "" or (not isinstance(value, str) and pd.isna(value))


def _versions(frame: pd.DataFrame | dict | None) -> dict[str, int] | None:
    if frame is None:
        return None
    if isinstance(frame, dict):
        return {str(k): int(v) for k, v in frame.items()}
    if "id" not in frame or "version" not in frame:
        return {}
    known = frame.dropna(subset=["id", "version"])
    return {str(i): int(v) for i, v in zip(known["id"], known["version"], strict=True)}


def save_actions(
    folder: Path,
    ds_id: str | None,
    after: dict[str, dict],
    versions: dict[str, int],
    base: pd.DataFrame | dict | None,
    by: str | None,
    base_rows: dict[str, dict] | None = None,
) -> list[dict]:
    """Merge an edited tracker row by row; the history entries written.

    `after`: id -> values of every row the editor shows; `versions`: id -> the version each
    row was read at; `base`: the rows the editor started from (a frame with id and version,
    or {id: version}): a row of it missing from `after` was deleted; `base_rows`: their
    values, so rows the editor left as they were keep what others saved since. Without a
    base, `after` replaces the whole tracker (the old behaviour). A row this editor changed
    or deleted that someone else changed since raises StaleEdit and nothing is saved."""
    t = db.actions
    base_versions = _versions(base)
    expected = {**(base_versions or {}), **versions}
    # an ISO date fits its column whatever the editor sent (check_actions says the rest)
    after = {
        k: {**v, "due": str(v["due"])[:10] if v.get("due") else None} for k, v in after.items()
    }
    touched = {k for k, v in after.items() if base_rows is None or base_rows.get(k) != v}
    from pmhc.storage.review_log import changes  # the history's format lives there

    with db.write(folder) as (conn, ws):
        sc = scope(conn, ws, ds_id)
        where = (t.c.ws == ws) & (t.c.scope == sc)
        stored = {r.id: r for r in conn.execute(sa.select(t).where(where))}
        before = {k: {c: getattr(r, c) for c in ACTION_COLUMNS} for k, r in stored.items()}
        gone = set(stored if base_versions is None else base_versions) - set(after)
        for key in (gone & set(stored)) | touched:
            _check(stored.get(key), expected.get(key))
        merged = {k: v for k, v in before.items() if k not in gone}
        merged.update({k: after[k] for k in touched})
        order = [k for k in after if k in merged] + [k for k in merged if k not in after]
        for key in gone & set(stored):
            conn.execute(t.delete().where(where & (t.c.id == key)))
        for n, key in enumerate(order):
            _put(
                conn,
                t,
                where,
                stored.get(key),
                before.get(key),
                merged[key],
                n,
                by,
                {"ws": ws, "scope": sc, "id": key},
            )
        entries = changes(before, merged, by)
        if entries:
            rows = [{"ws": ws, "scope": sc, "entry": e} for e in entries]
            conn.execute(db.action_history.insert(), rows)
    return entries


def _put(conn, t, where, row, old, values, position, by, key) -> None:
    """Insert or update one action row; its version moves only when its values change."""
    if row is None:
        conn.execute(
            t.insert().values(**key, position=position, **values, **db.stamp_values(by, 1))
        )
    elif values != old:
        stamp = db.stamp_values(by, row.version + 1)
        conn.execute(
            t.update()
            .where(where & (t.c.id == key["id"]))
            .values(position=position, **values, **stamp)
        )
    elif row.position != position:
        conn.execute(t.update().where(where & (t.c.id == key["id"])).values(position=position))


def _check(row, expected: int | None) -> None:
    if expected is None:
        return
    if row is None:
        raise StaleEdit(None, None, "action")  # deleted by someone else meanwhile
    if int(row.version) != int(expected):
        raise StaleEdit(row.changed_by, row.changed_at, "action")


def history(folder: Path, ds_id: str | None) -> list[dict]:
    h = db.action_history
    with db.read(folder) as (conn, ws):
        where = (h.c.ws == ws) & (h.c.scope == scope(conn, ws, ds_id))
        return [r.entry for r in conn.execute(sa.select(h.c.entry).where(where).order_by(h.c.seq))]


# --- meetings ----------------------------------------------------------------------------


def load_meetings(folder: Path, ds_id: str | None) -> list[dict]:
    m = db.meetings
    with db.read(folder) as (conn, ws):
        where = (m.c.ws == ws) & (m.c.scope == scope(conn, ws, ds_id))
        rows = conn.execute(sa.select(m).where(where)).mappings().all()
    out = [
        {
            "id": r["id"],
            "date": r["date"],
            "attendees": list(r["attendees"]),
            "decisions": r["decisions"],
            "actions": list(r["actions"]),
            "version": r["version"],
            "by": r["changed_by"],
            "at": r["changed_at"],
        }
        for r in rows
    ]
    return sorted(out, key=lambda x: (x["date"], x["at"], x["id"]))


def add_meeting(folder: Path, ds_id: str | None, meeting: dict, by: str | None) -> str:
    """Insert one meeting (others' entries are untouched); its id."""
    key = _new_id()
    with db.write(folder) as (conn, ws):
        conn.execute(
            db.meetings.insert().values(
                ws=ws, scope=scope(conn, ws, ds_id), id=key, **meeting, **db.stamp_values(by, 1)
            )
        )
    return key


def update_meeting(
    folder: Path, ds_id: str | None, key: str, meeting: dict, by: str | None, expected: int
) -> None:
    """Change one meeting read at version `expected`; StaleEdit when it changed since."""
    m = db.meetings
    with db.write(folder) as (conn, ws):
        where = (m.c.ws == ws) & (m.c.scope == scope(conn, ws, ds_id)) & (m.c.id == key)
        row = conn.execute(sa.select(m).where(where)).first()
        _check(row, expected)
        conn.execute(m.update().where(where).values(**meeting, **db.stamp_values(by, expected + 1)))


def copy_scope(folder: Path, from_id: str | None, to_id: str) -> None:
    """A dataset made from another keeps its settings and actions unless it has its own."""
    s, a = db.settings, db.actions
    with db.write(folder) as (conn, ws):
        source, target = scope(conn, ws, from_id), scope(conn, ws, to_id)
        if source == target:
            return
        for t in (s, a):
            if conn.execute(sa.select(t).where(t.c.ws == ws, t.c.scope == target).limit(1)).first():
                continue
            rows = conn.execute(sa.select(t).where(t.c.ws == ws, t.c.scope == source)).mappings()
            copied = [{**r, "scope": target} for r in rows]
            if copied:
                conn.execute(t.insert(), copied)


def drop_scope(conn: sa.Connection, ws: str, sc: str) -> None:
    """A deleted dataset's settings, actions, history and meetings go with it."""
    for t in (db.settings, db.actions, db.action_history, db.meetings):
        conn.execute(t.delete().where(t.c.ws == ws, t.c.scope == sc))
