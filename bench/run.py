"""Run the benchmarks and write BENCHMARKS.md: `python -m bench.run` (see --help).

Every measurement runs in its own process (peak memory is that process's maximum resident
set size, interpreter and libraries included). Reads and ingests repeat `--repeat` times
and report the median; pandas+openpyxl runs once per file (it takes minutes at 1M rows)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from bench import make_files

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results.json"


def task(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.tasks", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {
        **best,
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu_seconds": statistics.median(r.get("cpu_seconds", 0.0) for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "runs": [r["seconds"] for r in runs],
    }


def measure_file(name: str, repeat: int, openpyxl: bool) -> dict:
    path = str(make_files.ensure(name))
    workspace = tempfile.mkdtemp(prefix="pmhc-bench-")
    result: dict[str, Any] = {
        "file": name,
        "rows": make_files.SIZES[name],
        "megabytes": round(Path(path).stat().st_size / 1e6, 1),
    }
    bare = "pandas_csv" if name.endswith(".csv") else "fastexcel"
    result["bare_name"] = "pandas.read_csv (text)" if bare == "pandas_csv" else "fastexcel"
    if openpyxl and bare == "fastexcel":
        result["openpyxl"] = task("openpyxl", path)
    # The bare read, the ingest and the ingest without a reader child take turns, so that
    # the load of this shared machine weighs on each the same; the load average is kept.
    runs: dict[str, list[dict]] = {"bare": [], "ingest": [], "in_process": []}
    result["load_average"] = [os.getloadavg()[0]]
    for _ in range(repeat):
        runs["bare"].append(task(bare, path))
        runs["ingest"].append(task("ingest", path, workspace))
        runs["in_process"].append(task("ingest_in_process", path, workspace))
        result["load_average"].append(os.getloadavg()[0])
    for key, measured in runs.items():
        result[key] = median_of(measured)
    result["ingest"]["child_peak_mb"] = max(r["child_peak_mb"] for r in runs["ingest"])
    result["pages"] = task("pages", workspace)
    result["workspace"] = workspace
    return result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument(
        "--files",
        nargs="*",
        default=list(make_files.SIZES),
        help="which generated files (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-openpyxl", action="store_true", help="skip the slow baseline")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also time filter changes in Chromium on the largest workbook",
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": machine(),
        "files": [],
    }
    for name in args.files:
        print(f"measuring {name}…", file=sys.stderr)
        results["files"].append(measure_file(name, args.repeat, not args.no_openpyxl))
    if args.browser:
        from bench import browser

        largest = max(
            (r for r in results["files"] if r["file"].endswith(".xlsx")), key=lambda r: r["rows"]
        )
        results["browser"] = browser.measure(largest["workspace"])
    for r in results["files"]:
        shutil.rmtree(r.pop("workspace"), ignore_errors=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    from bench import report

    report.write(results)
    print(f"wrote {RESULTS} and BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
