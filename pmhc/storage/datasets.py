"""Saved datasets: canonical tables as Parquet in the workspace, with the load reports.

Only canonical fields are stored: person identifiers already pseudonymised, and no
column the mapper did not map (names, dates of birth, addresses, narratives are never
read, so never written). The uploaded files themselves are not kept."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from pmhc.ingest.pipeline import SourceReport
from pmhc.storage.dataset import Dataset

# Incidents carry what the pages count, and `completeness` what they say about the rows.
# The call rows are written too, but read only to re-apply edited rules (load_call_rows).
TABLES = ("calls", "training", "roster", "services", "completeness")
ROWS = "call_rows"


def dataset_id(file_hashes: list[str], options: str = "") -> str:
    h = hashlib.sha256()
    for part in sorted(file_hashes):
        h.update(part.encode())
    h.update(options.encode())
    return h.hexdigest()[:16]


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save(folder: Path, ds: Dataset, ds_id: str) -> Path:
    target = folder / ds_id
    tmp = folder / f".{ds_id}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in TABLES:
        table = getattr(ds, name)
        if table is not None:
            table.to_parquet(tmp / f"{name}.parquet", index=False)
    if ds.call_rows is not None:
        ds.call_rows.to_parquet(tmp / f"{ROWS}.parquet", index=False)
    for i, rejected in enumerate(ds.rejected):
        if rejected is not None and len(rejected):
            rejected.astype("str").to_parquet(tmp / f"rejected_{i}.parquet", index=False)
    manifest = {
        "label": ds.label,
        "is_sample": ds.is_sample,
        "reports": [asdict(r) for r in ds.reports],
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    (folder / "current").write_text(ds_id)
    return target


def load(folder: Path, ds_id: str) -> Dataset:
    source = folder / ds_id
    manifest = json.loads((source / "manifest.json").read_text())
    reports = [SourceReport(**r) for r in manifest["reports"]]
    ds = Dataset(manifest["label"], reports, is_sample=manifest.get("is_sample", False))
    for name in TABLES:
        path = source / f"{name}.parquet"
        if path.exists():
            setattr(ds, name, pd.read_parquet(path))
    ds.rejected = [
        pd.read_parquet(source / f"rejected_{i}.parquet")
        if (source / f"rejected_{i}.parquet").exists()
        else pd.DataFrame()
        for i in range(len(reports))
    ]
    return ds


def load_call_rows(folder: Path, ds_id: str) -> pd.DataFrame | None:
    """The call rows of a saved dataset (None for datasets saved without them)."""
    path = folder / ds_id / f"{ROWS}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def current_id(folder: Path) -> str | None:
    pointer = folder / "current"
    if not pointer.exists():
        return None
    ds_id = pointer.read_text().strip()
    return ds_id if (folder / ds_id / "manifest.json").exists() else None


def forget_current(folder: Path) -> None:
    (folder / "current").unlink(missing_ok=True)
