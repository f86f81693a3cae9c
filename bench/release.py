"""Time the partner release of the sample data, alone and audited with a history
(issue 18): `python -m bench.release`. Prints the lines of BENCHMARKS.md's "Partner
release" section: seconds (wall clock, and processor time, which a shared machine's load
moves less), the one-minute load average, and cells shown of cells published per table."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from pmhc.analysis import release
from pmhc.analysis.history import Past
from pmhc.ingest import pipeline as ingest
from pmhc.storage import dataset
from pmhc.storage.releases import Release
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


def timed(build):
    wall, cpu = time.perf_counter(), time.process_time()
    out = build()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ds = sample()
    assert ds.mh is not None
    assert ds.calls is not None
    last = ds.mh["month"].max()
    earlier = dataset.Dataset("earlier", calls=ds.calls[ds.calls["month"] < last])
    runs = [
        ("sample without its last month, no history", lambda: release.build(earlier, 10)),
        ("whole sample, no history", lambda: release.build(ds, 10)),
    ]
    built: list[Release] = []
    for label, build in runs:
        rel, wall, cpu = timed(build)
        built.append(rel)
        print(f"- {label}: {wall:.1f} s ({cpu:.1f} s processor); shown: {shown(rel)}")
    rel, wall, cpu = timed(lambda: release.build(ds, 10, history=Past(built[:1])))
    print(
        f"- whole sample after the release without its last month: {wall:.1f} s "
        f"({cpu:.1f} s processor); shown: {shown(rel)}"
    )
    print(f"- load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
