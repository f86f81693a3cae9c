"""Time the partner release of the sample data, alone and audited with a history
(issue 18): `python -m bench.release`. Prints the lines of BENCHMARKS.md's "Partner
release" section: seconds, and cells shown of cells published per table."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pmhc.analysis import release
from pmhc.analysis.history import Past
from pmhc.ingest import pipeline as ingest
from pmhc.storage import dataset
from pmhc.storage.workspace import Workspace, sample_files


def sample() -> dataset.Dataset:
    ws = Workspace(Path(tempfile.mkdtemp()))
    ctx = ingest.Context(rules=ws.rules(), key=ws.key)
    loaded = [t for path in sample_files() for t in ingest.ingest_file(path, ctx)]
    return dataset.build(loaded, "Sample data", is_sample=True)


def shown(rel) -> str:
    parts = []
    for name in rel.meta["tables"]:
        values = rel.tables[name]["value"]
        parts.append(f"{name} {int(values.notna().sum()):,} of {len(values):,}")
    return ", ".join(parts)


def main() -> None:
    ds = sample()
    assert ds.mh is not None
    assert ds.calls is not None
    last = ds.mh["month"].max()
    earlier = dataset.Dataset("earlier", calls=ds.calls[ds.calls["month"] < last])
    start = time.perf_counter()
    first = release.build(earlier, 10)
    one = time.perf_counter() - start
    start = time.perf_counter()
    whole = release.build(ds, 10)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    second = release.build(ds, 10, history=Past([first]))
    joint = time.perf_counter() - start
    print(f"- sample without its last month, no history: {one:.1f} s; shown: {shown(first)}")
    print(f"- whole sample, no history: {alone:.1f} s; shown: {shown(whole)}")
    print(
        f"- whole sample after the release without its last month: {joint:.1f} s; "
        f"shown: {shown(second)}"
    )


if __name__ == "__main__":
    main()
