"""One measured task per process, so each peak memory figure is its own:
`python -m bench.tasks TASK FILE [WORKSPACE]` prints one JSON line.

Tasks: `fastexcel` (bare read of the whole sheet to Arrow), `openpyxl`
(pandas.read_excel with its default engine), `pandas_csv` (pandas.read_csv, all text),
`ingest` (read, map, normalise, validate, collapse, store: what an upload costs),
`ingest_in_process` (the same with the readers in this process, not in a child),
`pages` (each page's compute from the stored dataset: filters -> metrics -> chart data)."""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path

from pmhc.analysis import filters as flt

REPEAT_PAGES = 5


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """Processor time of this process and of the reader children it has heard from."""
    from pmhc.ingest import isolation

    return time.process_time() + isolation.child_cpu_seconds


def bare_fastexcel(path: str) -> dict:
    import fastexcel

    started, cpu = time.perf_counter(), cpu_seconds()
    table = fastexcel.read_excel(path).load_sheet(0).to_arrow()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu,
        "rows": table.num_rows,
    }


def bare_openpyxl(path: str) -> dict:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_excel(path, engine="openpyxl")
    return {"seconds": time.perf_counter() - started, "rows": len(frame)}


def bare_pandas_csv(path: str) -> dict:
    import pandas as pd

    started, cpu = time.perf_counter(), cpu_seconds()
    frame = pd.read_csv(path, dtype="str", keep_default_na=False)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu,
        "rows": len(frame),
    }


def full_ingest(path: str, workspace: str, in_process: bool = False) -> dict:
    """The upload path. Reads run in reader children (pmhc.ingest.isolation), whose fork
    server is started and ready before the clock starts, as on a server that has read a
    file before; its start (once per process, a command-line run pays it) is reported
    apart. `in_process` reads in this process instead, to measure what isolation costs."""
    from pmhc.ingest import isolation
    from pmhc.ingest import pipeline as ingest
    from pmhc.storage import dataset
    from pmhc.storage import datasets as store
    from pmhc.storage.workspace import Workspace

    ws = Workspace(Path(workspace))
    ctx = ingest.Context(rules=ws.rules(), key=ws.key)
    stages: dict[str, float] = {}
    isolation.in_process = in_process
    server_start = time.perf_counter()
    isolation.warm_up(wait=True)
    server_seconds = time.perf_counter() - server_start
    started, cpu = time.perf_counter(), cpu_seconds()
    loaded = ingest.ingest_file(path, ctx, timings=stages)
    mark = time.perf_counter()
    ds = dataset.build(loaded, Path(path).name)
    stages["collapse"] = time.perf_counter() - mark
    mark = time.perf_counter()
    bench_id = store.dataset_id(["bench", str(time.time_ns())])  # a fresh save each run
    store.save(ws.datasets_dir, ds, bench_id)
    stages["store"] = time.perf_counter() - mark
    store.remember_choice(ws.datasets_dir, "local", bench_id)  # what the app opens on
    report = loaded[0].report
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu,
        "rows": report.rows_in,
        "rows_loaded": report.rows_loaded,
        "incidents": 0 if ds.calls is None else len(ds.calls),
        "stages": stages,
        "reader_server_seconds": None if in_process else server_seconds,
        "child_peak_mb": isolation.peak_child_kib / 1024,
    }


SCENARIOS = {
    "all data": lambda calls: flt.Filters(),
    "one district": lambda calls: flt.Filters(district=(str(calls["district"].iloc[0]),)),
    "last year, night": lambda calls: flt.Filters(
        start=(calls["received_at"].max() - __import__("pandas").DateOffset(years=1)).date(),
        time=("Night 23-07",),
    ),
}


def page_compute(workspace: str) -> dict:
    import pandas as pd

    from pmhc.present import views
    from pmhc.storage import datasets as store
    from pmhc.storage.workspace import Workspace

    ws = Workspace(Path(workspace))
    started = time.perf_counter()
    ds = store.load(ws.datasets_dir, store.last_choice(ws.datasets_dir, "local") or "")
    load_seconds = time.perf_counter() - started
    results = {}
    for page, compute in views.PAGES.items():
        for scenario, make in SCENARIOS.items():
            f = make(ds.calls)
            times = []
            for _ in range(REPEAT_PAGES):
                scope = views.Scope(ds, f, pd.Timestamp("2020-01-01"))
                t = time.perf_counter()
                view = compute(scope)
                times.append(time.perf_counter() - t)
            specs = [c.chart.to_json() for c in view.charts]
            results[f"{page} | {scenario}"] = {
                "median_ms": 1000 * statistics.median(times),
                "charts": len(view.charts),
                "max_chart_rows": max((len(c.data) for c in view.charts), default=0),
                "chart_bytes": sum(len(s.encode()) for s in specs),
            }
    return {"seconds": load_seconds, "load_seconds": load_seconds, "pages": results}


def main(argv: list[str]) -> None:
    task = argv[0]
    if task == "fastexcel":
        out = bare_fastexcel(argv[1])
    elif task == "openpyxl":
        out = bare_openpyxl(argv[1])
    elif task == "pandas_csv":
        out = bare_pandas_csv(argv[1])
    elif task == "ingest":
        out = full_ingest(argv[1], argv[2])
    elif task == "ingest_in_process":
        out = full_ingest(argv[1], argv[2], in_process=True)
    elif task == "pages":
        out = page_compute(argv[1])
    else:
        raise SystemExit(f"error: unknown task {task!r}")
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
