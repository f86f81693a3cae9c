"""Saved datasets: canonical tables as Parquet in the workspace, with the load reports.

Only canonical fields are stored: person identifiers already pseudonymised, and no
column the mapper did not map (names, dates of birth, addresses, narratives are never
read, so never written). The uploaded files themselves are not kept.

A dataset's folder is named by a hash of what made it (files, choices, rules), written
whole under a temporary name and renamed into place under the workspace lock: a reader
finds a complete dataset or none. There is no workspace-wide "current" dataset: each
session picks one, and each user's last pick is remembered for their next visit."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pmhc.domain.errors import InputError
from pmhc.ingest.pipeline import SourceReport
from pmhc.storage import files
from pmhc.storage.dataset import Dataset, connection_flag

# Incidents carry what the pages count, and `completeness` what they say about the rows.
# The call rows are written too, but read only to re-apply edited rules (load_call_rows).
TABLES = ("calls", "training", "roster", "services", "completeness")
ROWS = "call_rows"
MANIFEST = "manifest.json"
_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Saved:
    id: str
    name: str
    created: str
    rows_in: int
    incidents: int


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


def exists(folder: Path, ds_id: str) -> bool:
    return bool(_ID.match(ds_id or "")) and (Path(folder) / ds_id / MANIFEST).exists()


def save(folder: Path, ds: Dataset, ds_id: str, name: str | None = None) -> Path:
    """Write the dataset whole, then rename it into place. The same id is the same data:
    a second save of it keeps the first."""
    target = _folder_of(folder, ds_id)
    if exists(folder, ds_id):
        return target
    files.private_dir(folder)
    tmp = Path(folder) / f".{ds_id}.{secrets.token_hex(6)}.tmp"
    try:
        _write_tables(tmp, ds, name)
        with files.locked(folder):
            if exists(folder, ds_id):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_tables(tmp: Path, ds: Dataset, name: str | None) -> None:
    files.private_dir(tmp)
    for table_name in TABLES:
        table = getattr(ds, table_name)
        if table is not None:
            table.to_parquet(tmp / f"{table_name}.parquet", index=False)
    if ds.call_rows is not None:
        ds.call_rows.to_parquet(tmp / f"{ROWS}.parquet", index=False)
    for i, rejected in enumerate(ds.rejected):
        if rejected is not None and len(rejected):
            rejected.astype("str").to_parquet(tmp / f"rejected_{i}.parquet", index=False)
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


def load(folder: Path, ds_id: str) -> Dataset:
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


def list_saved(folder: Path) -> list[Saved]:
    """Every complete dataset, newest first."""
    out = []
    for path in Path(folder).glob("*/" + MANIFEST) if Path(folder).exists() else []:
        if not _ID.match(path.parent.name):
            continue
        try:
            m = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        out.append(
            Saved(
                path.parent.name,
                m.get("name") or m.get("label", ""),
                m.get("created", ""),
                int(m.get("rows_in") or 0),
                int(m.get("incidents") or 0),
            )
        )
    return sorted(out, key=lambda s: (s.created, s.id), reverse=True)


def name_of(folder: Path, ds_id: str) -> str:
    return next((s.name for s in list_saved(folder) if s.id == ds_id), "")


def rename(folder: Path, ds_id: str, name: str) -> None:
    name = " ".join(str(name).split())[:120]
    if not name:
        raise InputError("A dataset needs a name.")
    with files.locked(folder):
        path = _folder_of(folder, ds_id) / MANIFEST
        if not path.exists():
            raise InputError("That dataset is no longer in the workspace.")
        manifest = json.loads(path.read_text())
        manifest["name"] = name
        files.write_atomic(path, json.dumps(manifest, indent=2, default=str))


def delete(folder: Path, ds_id: str) -> None:
    """Moved aside under the lock (readers stop finding it at once), then removed."""
    with files.locked(folder):
        source = _folder_of(folder, ds_id)
        if not source.exists():
            return
        trash = Path(folder) / f".{ds_id}.{secrets.token_hex(6)}.deleted"
        source.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)


# --- each user's last choice -----------------------------------------------------------


def _choice_path(folder: Path, user: str) -> Path:
    key = hashlib.sha256(user.encode()).hexdigest()[:24]  # no e-mail in a file name
    return Path(folder) / "choices" / f"{key}.json"


def remember_choice(folder: Path, user: str, ds_id: str | None) -> None:
    files.write_atomic(_choice_path(folder, user), json.dumps({"dataset": ds_id}))


def last_choice(folder: Path, user: str) -> str | None:
    try:
        ds_id = json.loads(_choice_path(folder, user).read_text()).get("dataset")
    except (FileNotFoundError, json.JSONDecodeError, AttributeError):
        return None
    return ds_id if isinstance(ds_id, str) and exists(folder, ds_id) else None
