"""Time the workspace's records in the database (issue 16): `python -m bench.records
[--url postgresql://...]`. One workspace in a temporary folder; each operation repeated,
the median in milliseconds printed as BENCHMARKS.md's "Workspace records" lines. Also the
first open of an old JSON workspace (tests/legacy_workspace: migrate and import)."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pmhc.storage import audit, db, review_log, settings
from pmhc.storage import datasets as store

LEGACY = Path(__file__).resolve().parents[1] / "tests" / "legacy_workspace"


def median_ms(step: Callable[[int], object], times: int = 50) -> float:
    spent = []
    for i in range(times):
        start = time.perf_counter()
        step(i)
        spent.append(time.perf_counter() - start)
    return statistics.median(spent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="PMHC_DATABASE_URL (default: the workspace's SQLite)")
    args = parser.parse_args()
    if args.url:
        os.environ[db.ENV_URL] = args.url
    root = Path(tempfile.mkdtemp())
    legacy = root / "legacy"
    shutil.copytree(LEGACY, legacy)
    start = time.perf_counter()
    store.list_saved(legacy / "datasets")
    print(f"first open of an old workspace (migrate + import): {time.perf_counter() - start:.2f} s")
    ws = root / "ws"
    records = settings.dataset_folder(ws, None)
    settings.save_settings(ws, None, threshold=5)  # the first open, not timed
    rows = pd.DataFrame(
        [{"id": None, "recommendation": f"Action {i}", "owner": "Ops"} for i in range(50)]
    )
    review_log.save_actions(records, rows, by="bench")
    base = review_log.load_actions(records)

    def add_action(i: int) -> None:
        extra = pd.DataFrame([{"recommendation": f"More {i}", "owner": "Ops"}])
        review_log.save_actions(records, pd.concat([base, extra]), by="bench", base=base)

    timings = {
        "load_settings": median_ms(lambda i: settings.load_settings(ws, None)),
        "save_settings (one key)": median_ms(
            lambda i: settings.save_settings(ws, None, by="bench", threshold=5 + i % 3)
        ),
        "load_actions (50 rows)": median_ms(lambda i: review_log.load_actions(records)),
        "save_actions (one row added to 50)": median_ms(add_action),
        "audit.record": median_ms(lambda i: audit.record(ws, "bench", "admin", "sign-in")),
        "list_saved": median_ms(lambda i: store.list_saved(legacy / "datasets")),
    }
    for name, ms in timings.items():
        print(f"{name}: {ms:.2f} ms")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
