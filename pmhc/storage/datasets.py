"""Saved datasets: canonical tables as Parquet in the workspace, with the load reports.

Only canonical fields are stored: person identifiers already pseudonymised, and no
column the mapper did not map (names, dates of birth, addresses, narratives are never
read, so never written). The uploaded files themselves are not kept.

A dataset has a name, an owner, a status (its owner's draft until an analyst makes it
the agency's) and versions: next month's export appended, or the rules applied again,
makes a new version of the same dataset, and the last one can be undone. The registry
is in the workspace's database (pmhc.storage.db); each version's tables are a folder named
by a hash of what made them (files, choices, rules), written whole under a temporary name
and renamed into place: a reader finds complete tables or none. A version shares the
tables it did not change with the one before (hard links). The dataset's id is its first
version's; `Saved.id` is the version shown. There is no workspace-wide "current" dataset:
each session picks one, and each user's last pick is remembered for their next visit."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from pmhc.domain.errors import InputError, StaleEdit
from pmhc.ingest.pipeline import SourceReport
from pmhc.storage import db, files, records
from pmhc.storage.dataset import Dataset, connection_flag

# Incidents carry what the pages count, and `completeness` what they say about the rows.
# The call rows are written too, but read only to re-apply edited rules (load_call_rows).
TABLES = ("calls", "training", "roster", "services", "completeness")
ROWS = "call_rows"
MANIFEST = "manifest.json"
DRAFT, AGENCY = "draft", "agency"
_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Saved:
    id: str  # the tables shown: the dataset's current version (what `load` opens)
    name: str
    created: str
    rows_in: int
    incidents: int
    dataset: str = ""  # the dataset's own id: the same across its versions
    version: int = 1  # its number of versions (the current one is the last)
    owner: str = ""
    status: str = AGENCY  # draft (its owner's) | agency (everyone's)
    stamp: db.Stamp = field(default_factory=db.Stamp)  # the registry record's version, who, when


@dataclass(frozen=True)
class Version:
    n: int
    id: str  # its tables
    kind: str  # upload | append | rules | import
    added: int
    replaced: int
    rows_in: int
    incidents: int
    by: str
    at: str

    def sentence(self) -> str:
        """What this version did, in one sentence."""
        if self.kind == "append":
            return f"Added {self.added:,} incidents, replaced {self.replaced:,}."
        if self.kind == "rules":
            return f"Rules applied again: {self.incidents:,} incidents."
        verb = "Imported" if self.kind == "import" else "Uploaded"
        return f"{verb} {self.incidents:,} incidents."


def dataset_id(file_hashes: list[str], options: str = "") -> str:
    h = hashlib.sha256()
    for part in sorted(file_hashes):
        h.update(part.encode())
    h.update(options.encode())
    return h.hexdigest()[:16]


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _folder_of(folder: Path, ds_id: str) -> Path:
    if not _ID.match(ds_id or ""):  # never let an id from a URL or a session name a path
        raise InputError("That dataset id is not one this workspace makes.")
    return Path(folder) / ds_id


def _workspace(folder: Path) -> Path:
    """The workspace of a datasets folder (`<workspace>/datasets`; any other folder is a
    workspace of its own)."""
    folder = Path(folder)
    return folder.parent if folder.name == "datasets" else folder


def _tables_exist(folder: Path, tables: str) -> bool:
    return (Path(folder) / tables / MANIFEST).exists()


def exists(folder: Path, ds_id: str) -> bool:
    """A saved dataset, or one version of one, whose tables are on disk."""
    if not _ID.match(ds_id or "") or not _tables_exist(folder, ds_id):
        return False
    with db.read(_workspace(folder)) as (conn, ws):
        return records.dataset_row(conn, ws, ds_id) is not None


def save(
    folder: Path,
    ds: Dataset,
    ds_id: str,
    name: str | None = None,
    *,
    by: str | None = None,
) -> Path:
    """Write the dataset whole, then rename it into place and register it: a new dataset
    whose first version it is. The same id is the same data: a second save of it keeps the
    first. `by` owns it as a draft; without one it is the agency's at once."""
    target = write_tables(folder, ds, ds_id, name)
    t = db.datasets
    with db.write(_workspace(folder)) as (conn, ws):
        if records.dataset_row(conn, ws, ds_id) is None:
            created = db.now()
            status = DRAFT if by else AGENCY
            conn.execute(
                t.insert().values(
                    ws=ws,
                    id=ds_id,
                    name=_clean_name(name or ds.label) or ds_id,
                    owner=(by or "")[:200],
                    status=status,
                    created=created,
                    current=ds_id,
                    **db.stamp_values(by, 1),
                )
            )
            _add_version(conn, ws, ds_id, 1, ds_id, ds, by, "upload", _incidents(ds), 0)
    return target


def _incidents(ds: Dataset) -> int:
    return 0 if ds.calls is None else len(ds.calls)


def _add_version(conn, ws, dataset, n, tables, ds, by, kind, added, replaced) -> None:
    conn.execute(
        db.dataset_versions.insert().values(
            ws=ws,
            dataset=dataset,
            n=n,
            tables=tables,
            kind=kind,
            added=added,
            replaced=replaced,
            rows_in=ds.rows_in,
            incidents=_incidents(ds),
            changed_by=(by or "unknown")[:200],
            changed_at=db.now(),
        )
    )


def write_tables(
    folder: Path, ds: Dataset, ds_id: str, name: str | None = None, like: str | None = None
) -> Path:
    """The tables alone, whole or not at all (not registered). `like`: the tables of the
    version this one grows from; a table equal to its copy there is linked, not copied."""
    target = _folder_of(folder, ds_id)
    if _tables_exist(folder, ds_id):
        return target
    files.private_dir(folder)
    tmp = Path(folder) / f".{ds_id}.{secrets.token_hex(6)}.tmp"
    try:
        _write_tables(tmp, ds, name, _folder_of(folder, like) if like else None)
        with files.locked(folder):
            if _tables_exist(folder, ds_id):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                shutil.rmtree(target, ignore_errors=True)  # a folder without a manifest
                tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_tables(tmp: Path, ds: Dataset, name: str | None, like: Path | None = None) -> None:
    files.private_dir(tmp)
    for table_name in TABLES:
        table = getattr(ds, table_name)
        if table is not None:
            _write_one(table, tmp, f"{table_name}.parquet", like)
    if ds.call_rows is not None:
        _write_one(ds.call_rows, tmp, f"{ROWS}.parquet")
    for i, rejected in enumerate(ds.rejected):
        if rejected is not None and len(rejected):
            _write_one(rejected.astype("str"), tmp, f"rejected_{i}.parquet")
    manifest = {
        "label": ds.label,
        "name": name or ds.label,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "is_sample": ds.is_sample,
        "rows_in": ds.rows_in,
        "incidents": 0 if ds.calls is None else len(ds.calls),
        "reports": [asdict(r) for r in ds.reports],
    }
    # The manifest goes last: a folder without one is never read as a dataset.
    files.write_atomic(tmp / MANIFEST, json.dumps(manifest, indent=2, default=str))


def _write_one(table: pd.DataFrame, tmp: Path, name: str, like: Path | None = None) -> None:
    """One table as Parquet, or a link to its copy in `like`. Without column statistics:
    the app reads every table whole, never filtered by them, and computing them for the
    text columns (a distinct incident number per row) was a quarter of the write."""
    if not _linked(table, like, tmp, name):
        table.to_parquet(tmp / name, index=False, write_statistics=False)


def _linked(table: pd.DataFrame, like: Path | None, tmp: Path, name: str) -> bool:
    """Hard-link `like/name` when it holds this very table: versions share unchanged tables
    on disk (a link survives the other version's removal)."""
    if like is None or not (like / name).exists():
        return False
    try:
        if not pd.read_parquet(like / name).equals(table.reset_index(drop=True)):
            return False
        os.link(like / name, tmp / name)
    except (OSError, ValueError):
        return False
    return True


def load(folder: Path, ds_id: str) -> Dataset:
    """The tables `ds_id` names: a version's (a dataset's id is its first version's; the
    current version is `Saved.id`, or use load_dataset)."""
    source = _folder_of(folder, ds_id)
    manifest = json.loads((source / MANIFEST).read_text())
    reports = [SourceReport(**r) for r in manifest["reports"]]
    ds = Dataset(manifest["label"], reports, is_sample=manifest.get("is_sample", False))
    for name in TABLES:
        path = source / f"{name}.parquet"
        if path.exists():
            setattr(ds, name, pd.read_parquet(path))
    _current_connection(ds.calls)
    ds.rejected = [
        pd.read_parquet(source / f"rejected_{i}.parquet")
        if (source / f"rejected_{i}.parquet").exists()
        else pd.DataFrame()
        for i in range(len(reports))
    ]
    return ds


def _current_connection(calls: pd.DataFrame | None) -> None:
    """A dataset saved before hand-offs needed contact (issue 20; it has no shelter
    component) gets its connection flags again from its components, so its figures follow
    today's definition; the shelter split needs the rules applied again (Data page)."""
    if calls is not None and "conn_any" in calls and "conn_shelter" not in calls:
        calls["is_connection"] = connection_flag(calls)
        calls["is_connection_holds"] = connection_flag(calls, holds=True)


def load_call_rows(folder: Path, ds_id: str) -> pd.DataFrame | None:
    """The call rows of a saved dataset (None for datasets saved without them)."""
    path = _folder_of(folder, ds_id) / f"{ROWS}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def _saved(row, last) -> Saved:
    return Saved(
        row.current,
        row.name,
        row.created,
        int(last.rows_in),
        int(last.incidents),
        row.id,
        int(last.n),
        row.owner,
        row.status,
        db.stamp_of(row),
    )


def _listing(conn, ws: str, dataset: str | None = None) -> list[Saved]:
    t, v = db.datasets, db.dataset_versions
    last = (
        sa.select(v.c.dataset, sa.func.max(v.c.n).label("n"))
        .where(v.c.ws == ws)
        .group_by(v.c.dataset)
        .subquery()
    )
    query = (
        sa.select(t, v.c.n, v.c.rows_in, v.c.incidents)
        .join(last, last.c.dataset == t.c.id)
        .join(v, (v.c.ws == ws) & (v.c.dataset == t.c.id) & (v.c.n == last.c.n))
        .where(t.c.ws == ws)
    )
    if dataset:
        query = query.where(t.c.id == dataset)
    return [_saved(r, r) for r in conn.execute(query)]


def list_saved(folder: Path) -> list[Saved]:
    """Every complete dataset, newest first, whoever may see it (see list_datasets)."""
    with db.read(_workspace(folder)) as (conn, ws):
        out = [s for s in _listing(conn, ws) if _tables_exist(folder, s.id)]
    return sorted(out, key=lambda s: (s.created, s.id), reverse=True)


def can_see(saved: Saved, user: str | None, role: str | None) -> bool:
    """Viewers see the agency's datasets; analysts those and their own drafts; admins all."""
    if saved.status == AGENCY:
        return role in ("viewer", "analyst", "admin")
    return role == "admin" or (role == "analyst" and bool(user) and saved.owner == user)


def list_datasets(folder: Path, *, user: str | None, role: str | None) -> list[Saved]:
    """The datasets this user may list and open, newest first."""
    return [s for s in list_saved(folder) if can_see(s, user, role)]


def dataset_record(folder: Path, ds_id: str) -> Saved | None:
    """The dataset `ds_id` names (its id or any version's), as listed; None: not saved."""
    with db.read(_workspace(folder)) as (conn, ws):
        row = records.dataset_row(conn, ws, ds_id)
        found = _listing(conn, ws, row.id) if row is not None else []
    return found[0] if found else None


def load_dataset(folder: Path, ds_id: str) -> tuple[Dataset, Saved]:
    """The current version of the dataset `ds_id` names, with its record."""
    saved = dataset_record(folder, ds_id)
    if saved is None:
        raise InputError("That dataset is no longer in the workspace.")
    return load(folder, saved.id), saved


def versions(folder: Path, ds_id: str) -> list[Version]:
    """The dataset's versions, oldest first: what each added, who and when."""
    v = db.dataset_versions
    with db.read(_workspace(folder)) as (conn, ws):
        row = records.dataset_row(conn, ws, ds_id)
        if row is None:
            return []
        rows = conn.execute(
            sa.select(v).where(v.c.ws == ws, v.c.dataset == row.id).order_by(v.c.n)
        ).all()
    return [
        Version(
            r.n,
            r.tables,
            r.kind,
            r.added,
            r.replaced,
            r.rows_in,
            r.incidents,
            r.changed_by,
            r.changed_at,
        )
        for r in rows
    ]


def name_of(folder: Path, ds_id: str) -> str:
    saved = dataset_record(folder, ds_id) if _ID.match(ds_id or "") else None
    return saved.name if saved else ""


def _clean_name(name: str) -> str:
    return " ".join(str(name).split())[:120]


def _changing(conn, ws: str, ds_id: str, expected_version: int | None):
    """The dataset's registry row, checked against the version the editor read."""
    row = records.dataset_row(conn, ws, ds_id)
    if row is None:
        raise InputError("That dataset is no longer in the workspace.")
    if expected_version is not None and row.version != expected_version:
        raise StaleEdit(row.changed_by, row.changed_at, "dataset")
    return row


def _touch(conn, ws: str, row, by: str | None, **values) -> None:
    t = db.datasets
    conn.execute(
        t.update()
        .where(t.c.ws == ws, t.c.id == row.id)
        .values(**values, **db.stamp_values(by, row.version + 1))
    )


def rename(
    folder: Path,
    ds_id: str,
    name: str,
    *,
    by: str | None = None,
    expected_version: int | None = None,
) -> None:
    name = _clean_name(name)
    if not name:
        raise InputError("A dataset needs a name.")
    with db.write(_workspace(folder)) as (conn, ws):
        row = _changing(conn, ws, ds_id, expected_version)
        _touch(conn, ws, row, by, name=name)


def make_agency(
    folder: Path, ds_id: str, *, by: str | None, expected_version: int | None = None
) -> None:
    """The owner's draft becomes the agency's: every role may list and open it."""
    with db.write(_workspace(folder)) as (conn, ws):
        row = _changing(conn, ws, ds_id, expected_version)
        if row.status != AGENCY:
            _touch(conn, ws, row, by, status=AGENCY)


def add_version(
    folder: Path,
    ds_id: str,
    ds: Dataset,
    tables_id: str,
    *,
    by: str | None,
    kind: str,
    added: int = 0,
    replaced: int = 0,
    expected_version: int | None = None,
) -> Saved:
    """Save `ds` as the next version of the dataset `ds_id` names (appended export, rules
    applied again): its tables written (unchanged ones linked), then made current."""
    base = dataset_record(folder, ds_id)
    if base is None:
        raise InputError("That dataset is no longer in the workspace.")
    write_tables(folder, ds, tables_id, base.name, like=base.id)
    with db.write(_workspace(folder)) as (conn, ws):
        row = _changing(conn, ws, ds_id, expected_version)
        last = _listing(conn, ws, row.id)[0]
        if row.current != tables_id:
            _add_version(
                conn, ws, row.id, last.version + 1, tables_id, ds, by, kind, added, replaced
            )
            _touch(conn, ws, row, by, current=tables_id)
    return _still(folder, ds_id)


def undo_last(
    folder: Path, ds_id: str, *, by: str | None, expected_version: int | None = None
) -> Saved:
    """The dataset's last version removed: the one before is current again. Raises
    InputError (one sentence) when it has only one version."""
    v = db.dataset_versions
    with db.write(_workspace(folder)) as (conn, ws):
        row = _changing(conn, ws, ds_id, expected_version)
        listed = versions_of(conn, ws, row.id)
        if len(listed) < 2:
            raise InputError("This dataset has one version only: there is nothing to undo.")
        last, before = listed[-1], listed[-2]
        conn.execute(v.delete().where(v.c.ws == ws, v.c.dataset == row.id, v.c.n == last.n))
        _touch(conn, ws, row, by, current=before.tables)
        still = conn.execute(sa.select(v.c.n).where(v.c.ws == ws, v.c.tables == last.tables))
        orphan = still.first() is None
        dataset = row.id
    if orphan:
        _remove_tables(folder, last.tables)
    return _still(folder, dataset)


def _still(folder: Path, ds_id: str) -> Saved:
    saved = dataset_record(folder, ds_id)
    if saved is None:  # deleted in another session this very moment
        raise InputError("That dataset is no longer in the workspace.")
    return saved


def versions_of(conn, ws: str, dataset: str) -> list:
    v = db.dataset_versions
    return conn.execute(
        sa.select(v).where(v.c.ws == ws, v.c.dataset == dataset).order_by(v.c.n)
    ).all()


def delete(folder: Path, ds_id: str, *, by: str | None = None) -> None:
    """The dataset, all its versions and its records (settings, actions, meetings) go;
    its tables are moved aside (readers stop finding them at once), then removed."""
    t, v, c = db.datasets, db.dataset_versions, db.choices
    tables = {ds_id} if _ID.match(ds_id or "") else set()
    with db.write(_workspace(folder)) as (conn, ws):
        row = records.dataset_row(conn, ws, ds_id)
        if row is not None:
            tables |= {r.tables for r in versions_of(conn, ws, row.id)}
            conn.execute(v.delete().where(v.c.ws == ws, v.c.dataset == row.id))
            conn.execute(t.delete().where(t.c.ws == ws, t.c.id == row.id))
            conn.execute(
                c.update().where(c.c.ws == ws, c.c.dataset.in_(tables)).values(dataset=None)
            )
            records.drop_scope(conn, ws, row.id)
    for tables_id in tables:
        _remove_tables(folder, tables_id)


def _remove_tables(folder: Path, tables_id: str) -> None:
    with files.locked(folder):
        source = _folder_of(folder, tables_id)
        if not source.exists():
            return
        trash = Path(folder) / f".{tables_id}.{secrets.token_hex(6)}.deleted"
        source.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)


# --- each user's last choice -----------------------------------------------------------


def _user_key(user: str) -> str:
    return hashlib.sha256(user.encode()).hexdigest()[:24]  # no e-mail stored


def remember_choice(folder: Path, user: str, ds_id: str | None) -> None:
    """The user's dataset (whichever version was shown): next time they see it as it is
    then."""
    t = db.choices
    with db.write(_workspace(folder)) as (conn, ws):
        row = records.dataset_row(conn, ws, ds_id)
        key = _user_key(user)
        conn.execute(t.delete().where(t.c.ws == ws, t.c.user_key == key))
        chosen = row.id if row is not None else None
        conn.execute(t.insert().values(ws=ws, user_key=key, dataset=chosen))


def last_choice(folder: Path, user: str) -> str | None:
    """The tables to open for the user's last choice: its dataset's current version (the
    latest month, or the one before after an undo); None: the sample, or it was deleted."""
    t = db.choices
    with db.read(_workspace(folder)) as (conn, ws):
        where = (t.c.ws == ws) & (t.c.user_key == _user_key(user))
        ds_id = conn.execute(sa.select(t.c.dataset).where(where)).scalar()
        row = records.dataset_row(conn, ws, ds_id) if isinstance(ds_id, str) else None
    return row.current if row is not None and exists(folder, row.current) else None
