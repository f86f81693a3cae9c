"""The partner release on disk: what community partners may see, as a folder of Parquet
tables and one JSON file, under `<workspace>/release/`; and the history of every release
partners were given, under `<workspace>/releases/` (docs/privacy.md).

Each publish writes a new version folder and then swaps the `current` pointer with an
atomic rename, so a partner server never reads half a release. The folder holds only
what the release builder allowed (suppressed aggregates, shared text); the bookkeeping
that names the source dataset is kept apart, never shown to partners: each publish is a
row of the workspace's database (`publications`), the last one also in `publish.json`.

The history keeps each published release as it was given (`releases/NNNN-<version>/`), with
the private counts the next release is audited against (`private.npz`: the calls of the
months already released). Partners keep every release, so a new one is built and audited
together with all of them (`pmhc.analysis.history`). Only the analyst side reads it; its
files are readable by the owner only."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from pmhc.storage import db

KEEP_VERSIONS = 2  # the current release and the one before (a reader may still hold it)


@dataclass
class Release:
    meta: dict  # JSON-safe: threshold, axes, labels, checklist, shared actions, ...
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # never shown to partners, kept in the history only: e.g. the released months' counts
    private: dict = field(default_factory=dict, compare=False, repr=False)

    def fingerprint(self) -> str:
        """A hash of the content: equal releases have equal fingerprints."""
        h = hashlib.sha256(json.dumps(self.meta, sort_keys=True, default=str).encode())
        for name in sorted(self.tables):
            h.update(name.encode())
            h.update(self.tables[name].to_csv(index=False).encode())
        return h.hexdigest()[:16]


def release_dir(workspace_folder: Path) -> Path:
    return Path(workspace_folder) / "release"


def save(workspace_folder: Path, release: Release, source: dict | None = None) -> Path:
    """Write the release as the current one; `source` (dataset id, who, when) goes to
    publish.json beside it. Returns the version folder."""
    root = release_dir(workspace_folder)
    root.mkdir(parents=True, exist_ok=True)
    version = release.fingerprint()
    target = root / version
    if not target.exists():
        tmp = root / f".{version}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, table in release.tables.items():
            table.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "release.json").write_text(
            json.dumps(release.meta, indent=2, ensure_ascii=False, sort_keys=True, default=str)
        )
        try:
            tmp.replace(target)
        except OSError:  # another publish of the same content won the race
            shutil.rmtree(tmp, ignore_errors=True)
    _write_atomic(root / "current", version)
    record = {
        "version": version,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **(source or {}),
    }
    _write_atomic(Path(workspace_folder) / "publish.json", json.dumps(record, indent=2))
    with db.write(workspace_folder) as (conn, ws):
        record = json.loads(json.dumps(record, default=str))
        conn.execute(db.publications.insert().values(ws=ws, record=record))
    _prune(root, version)
    return target


def publish(workspace_folder: Path, release: Release, source: dict | None = None) -> Path:
    """Make the release what partners see and keep it in the history."""
    target = save(workspace_folder, release, source)
    append_history(workspace_folder, release)
    return target


def history_dir(workspace_folder: Path) -> Path:
    return Path(workspace_folder) / "releases"


def append_history(workspace_folder: Path, release: Release) -> Path | None:
    """Keep the release in the history; nothing when it is the last one again."""
    root = history_dir(workspace_folder)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    entries = _entries(root)
    version = release.fingerprint()
    if entries and entries[-1].name.split("-", 1)[1] == version:
        return None
    target = root / f"{len(entries) + 1:04d}-{version}"
    tmp = root / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    for name, table in release.tables.items():
        table.to_parquet(tmp / f"{name}.parquet", index=False)
    (tmp / "release.json").write_text(
        json.dumps(release.meta, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    )
    private = {
        f"{group}:{key}": np.asarray(value)
        for group, parts in release.private.items()
        for key, value in parts.items()
    }
    with open(tmp / "private.npz", "wb") as fh:
        np.savez(fh, **private)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
    for path in tmp.iterdir():
        path.chmod(0o600)
    tmp.replace(target)
    return target


def history_key(workspace_folder: Path) -> str:
    """Names the history as it stands (its last entry), for caches."""
    entries = _entries(history_dir(workspace_folder))
    return entries[-1].name if entries else ""


def history(workspace_folder: Path) -> list[Release]:
    """Every release partners were given, oldest first, with its private counts."""
    out = []
    for folder in _entries(history_dir(workspace_folder)):
        meta = json.loads((folder / "release.json").read_text())
        tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
        private: dict = {}
        with np.load(folder / "private.npz", allow_pickle=False) as npz:
            for name in npz.files:
                group, key = name.split(":", 1)
                private.setdefault(group, {})[key] = npz[name]
        out.append(Release(meta, tables, private))
    return out


def _entries(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name[:4].isdigit())


def current_version(workspace_folder: Path) -> str | None:
    pointer = release_dir(workspace_folder) / "current"
    try:
        version = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    return version if (pointer.parent / version / "release.json").exists() else None


def load(workspace_folder: Path, version: str | None = None) -> Release | None:
    """The published release (or a given version); None when nothing is published."""
    version = version or current_version(workspace_folder)
    if version is None:
        return None
    folder = release_dir(workspace_folder) / version
    meta = json.loads((folder / "release.json").read_text())
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return Release(meta, tables)


def publish_record(workspace_folder: Path) -> dict | None:
    """The last publish: version, when, from which dataset, by whom."""
    listed = publications(workspace_folder)
    if listed:
        return listed[-1]
    try:
        return json.loads((Path(workspace_folder) / "publish.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def publications(workspace_folder: Path) -> list[dict]:
    """Every publish recorded, oldest first."""
    t = db.publications
    with db.read(workspace_folder) as (conn, ws):
        query = sa.select(t.c.record).where(t.c.ws == ws).order_by(t.c.seq)
        return list(conn.execute(query).scalars())


def to_bytes(release: Release) -> bytes:
    """The release as one canonical byte string (tests compare two releases with it)."""
    out = io.BytesIO()
    out.write(json.dumps(release.meta, sort_keys=True, default=str).encode())
    for name in sorted(release.tables):
        out.write(name.encode())
        out.write(release.tables[name].to_csv(index=False).encode())
    return out.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _prune(root: Path, keep: str) -> None:
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [v for v in versions if v.name != keep][KEEP_VERSIONS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
