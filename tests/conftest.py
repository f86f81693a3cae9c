"""Shared fixtures: a throwaway workspace, a default ingest context, writers of small
"quirk" workbooks and text exports, a runner for the command line, and the browser tests'
Chromium, app server and page. Also the Hypothesis profiles.

Every ingest in the tests goes through `ingest_file` (the fixture), which checks the row
accounting of each table it loads: rows_in == rows_loaded + rows_rejected.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from browsing import CHROMIUM, RUNNING, STEP, Chromium, running_app, unavailable

# The storage tests' `database` (each test on SQLite and on PostgreSQL) and its PostgreSQL
# cluster, defined here once so that a test process starts one cluster, not one per module.
from databases import database, postgres_url  # noqa: F401
from hypothesis import HealthCheck, settings
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from streamlit.components.v2 import manifest_scanner

from pmhc import cli
from pmhc.domain.rules import load_rules
from pmhc.ingest import pipeline as ingest
from pmhc.storage.workspace import Workspace

# Every AppTest scans the installed distributions for Streamlit component manifests
# (0.18 s each, hundreds of AppTests a run); what is installed does not change in a run.
manifest_scanner.scan_component_manifests = functools.cache(
    manifest_scanner.scan_component_manifests
)

# Hypothesis: the same examples on every run, so a failure is reproducible (and its blob is
# printed, for `@reproduce_failure`). "quick" is the default; CI runs "thorough", with more
# examples. Choose with HYPOTHESIS_PROFILE. A test's `max_examples` is scaled by
# `examples(n)`: n in the thorough profile.
_HYPOTHESIS = dict(
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", max_examples=100, **_HYPOTHESIS)
settings.register_profile("quick", max_examples=25, **_HYPOTHESIS)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "thorough" if os.environ.get("CI") else "quick")
settings.load_profile(PROFILE)


def examples(thorough: int) -> int:
    """A test's number of examples: `thorough` in CI, a quarter of it (at least 10) by default."""
    return thorough if PROFILE == "thorough" else max(10, thorough // 4)


# The slowest modules first: xdist hands a worker one module at a time in collection order
# (`--dist loadscope`), so a long module started last would keep the run waiting on it.
SLOW_FIRST = [  # by measured time (pytest --durations=0, summed per module), 2026-12-03
    "test_plain_forms_browser.py",
    "test_release.py",
    "test_accessibility_browser.py",
    "test_partner_app.py",
    "test_walkthrough_browser.py",
    "test_hosting.py",
    "test_partner_browser.py",
    "test_proxy.py",
    "test_hostile_text_browser.py",
    "test_chart_layout.py",
    "test_partner_words.py",
    "test_isolation.py",
    "test_meeting_browser.py",
    "test_identity_browser.py",
    "test_report.py",
    "test_sample.py",
    "test_forged_widgets.py",
    "test_release_audit.py",
    "test_browser.py",
    "test_corpus.py",
    "test_indicators.py",
    "test_one_path.py",
    "test_use_cases.py",
    "test_release_history.py",
    "test_app.py",
    "test_access_app.py",
    "test_measures.py",
    "test_fail_closed.py",
    "test_publish.py",
    "test_cli.py",
    "test_datasets.py",
    "test_packaging.py",
]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable within a module


def _real_data() -> Path:
    """PMHC_REAL_DATA, else the workspace's shared/real-data, else the copies in tests/."""
    if os.environ.get("PMHC_REAL_DATA"):
        return Path(os.environ["PMHC_REAL_DATA"])
    shared = Path(__file__).resolve().parents[2] / "shared" / "real-data"
    return shared if shared.exists() else Path(__file__).resolve().parent / "real_data"


REAL_DATA = _real_data()
TORONTO = REAL_DATA / "toronto_persons_in_crisis_2014_2015.csv"
VERA = REAL_DATA / "vera_911_call_type_crosswalk.xlsx"
VERA_SHEETS = [
    "Vera_Types",
    "CallTypes",
    "SelfInitiated",
    "Disposition",
    "Available fields",
    "Tables for presentation",
]
# How the Toronto file's columns map (year/month/weekday/hour parts, no incident id).
TORONTO_MAPPING = {
    "involuntary_hold": "apprehension_made",
    "received_year": "event_year",
    "received_month": "event_month",
    "received_weekday": "event_dow",
    "received_hour": "event_hour",
    "district": "division",
    "call_type_final": "event_type",
}
KEY = b"test-workspace-secret-0123456789"
NOW = pd.Timestamp("2026-01-01")


def real_file(path: Path) -> Path:
    """The real file, or a skip where it is missing (a failure in CI: tests/real_data
    ships with the checkout, so a missing file there is a broken checkout)."""
    if not path.is_file():
        message = f"real data not found at {path} (set PMHC_REAL_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def assert_accounted(report: ingest.SourceReport) -> None:
    assert report.rows_in == report.rows_loaded + report.rows_rejected, report


def publish(folder: Path, frame: pd.DataFrame) -> Path:
    """`pmhc load` then `pmhc publish` of a calls export into a fresh workspace; its folder."""
    from tests import partner_exports as exports

    folder.mkdir(parents=True)
    path = folder / "calls_export.csv"  # the same file name for every input of a pair
    path.write_bytes(exports.csv_bytes(frame))
    assert cli.main(["load", str(path), "--data-dir", str(folder / "ws")]) == 0
    assert cli.main(["publish", "--data-dir", str(folder / "ws")]) == 0
    return folder / "ws"


@pytest.fixture(scope="session")
def published_export(tmp_path_factory):
    """published_export(name) -> the workspace of a partner test export loaded and published
    (`pmhc load`, `pmhc publish`) once per run: "base" (tests/partner_exports.py) or the
    changed export of a pair in `exports.PAIRS`. A release build takes seconds, and several
    modules publish the same exports. Under xdist the workers share each through their
    common temporary folder, one building while the other waits on a lock. Only read it;
    copy it to change it (`published_base` does for the base)."""
    from tests import partner_exports as exports

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # pytest-N/, shared by the run's workers (popen-gw0/, ...)

    def get(name: str) -> Path:
        frame = exports.base_export()
        frame = frame if name == "base" else exports.PAIRS[name](frame)
        cache = root / f"published-{name}"
        with open(root / f"published-{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not cache.is_dir():  # built aside and renamed: a failed build leaves none
                building = root / f"published-{name}.{os.getpid()}"
                shutil.rmtree(building, ignore_errors=True)
                publish(building, frame)
                building.rename(cache)
        return cache / "ws"

    return get


@pytest.fixture(scope="session")
def published_base_cache(published_export) -> Path:
    """The base export loaded and published, shared by the run (read it only)."""
    return published_export("base")


@pytest.fixture
def published_base(published_base_cache, tmp_path) -> Path:
    """A workspace of its own holding the base export loaded and published (`pmhc load`,
    `pmhc publish`), free to change."""
    return Path(shutil.copytree(published_base_cache, tmp_path / "published-base" / "ws"))


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Workspace:
    """An empty workspace in tmp_path, also named by PMHC_DATA_DIR for code that reads it."""
    folder = tmp_path / "workspace"
    monkeypatch.setenv("PMHC_DATA_DIR", str(folder))
    return Workspace(folder)


@pytest.fixture
def ctx(rules) -> ingest.Context:
    """Default rules, a fixed secret and a fixed 'today' so date checks do not drift."""
    return ingest.Context(rules=rules, key=KEY, now=NOW)


@pytest.fixture
def write_xlsx(tmp_path):
    """write_xlsx(name, {sheet: rows}, date1904=False) -> path. Rows are lists of cell values
    (None for an empty cell); an empty list is a blank row."""

    def write(name: str, sheets: dict[str, list[list]], date1904: bool = False) -> Path:
        wb = openpyxl.Workbook()
        if date1904:
            wb.epoch = CALENDAR_MAC_1904
        wb.remove(wb.active)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None:
                        ws.cell(r, c, value)
        path = tmp_path / name
        wb.save(path)
        return path

    return write


@pytest.fixture
def write_text(tmp_path):
    """write_text(name, rows or text, delimiter=',', encoding='utf-8', bom=False) -> path."""

    def write(
        name: str,
        content: list[list] | str,
        delimiter: str = ",",
        encoding: str = "utf-8",
        bom: bool = False,
    ) -> Path:
        if isinstance(content, str):
            text = content
        else:
            text = "".join(
                delimiter.join(_csv_cell(v, delimiter) for v in row) + "\r\n" for row in content
            )
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
        return path

    return write


def _csv_cell(value, delimiter: str) -> str:
    text = "" if value is None else str(value)
    return f'"{text}"' if delimiter in text or '"' in text else text


@pytest.fixture
def ingest_file(ctx):
    """ingest_file(path, ctx=None) -> list of Loaded, one per table, each accounted for."""

    def run(path: Path, context: ingest.Context | None = None) -> list[ingest.Loaded]:
        loaded = ingest.ingest_file(path, context or ctx)
        for item in loaded:
            assert_accounted(item.report)
            if item.records is not None:
                assert len(item.records) == item.report.rows_loaded
            if item.rejected is not None:
                assert len(item.rejected) == item.report.rows_rejected
        return loaded

    return run


@pytest.fixture
def run_cli(workspace, capsys):
    """run_cli(*args) -> (exit code, stdout, stderr), in process, in the tmp workspace.
    With --json, stdout is parsed: (code, dict, stderr)."""

    def run(*args: str | Path):
        argv = ["summarize", *map(str, args), "--data-dir", str(workspace.folder)]
        code = cli.main(argv)
        out, err = capsys.readouterr()
        if "--json" in argv and code == 0:
            return code, json.loads(out), err
        return code, out, err

    return run


# --- the browser tests (tests/browsing.py) ------------------------------------------------


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium, one per test process, its contexts from a profile on disk
    (browsing.Chromium: the app's scripts compiled once)."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        b = Chromium(p, tmp_path_factory.mktemp("chromium-profile"))
        yield b
        b.close()


@pytest.fixture(scope="module", autouse=True)
def _profile_given_back():
    """A browser module that failed before closing its context leaves the next module the
    Chromium profile all the same (browsing.Chromium)."""
    yield
    for chromium in RUNNING:
        chromium.reclaim()


@pytest.fixture(scope="session")
def server(tmp_path_factory, browser):
    """The app on a free port with an empty workspace of its own (the sample); its URL. One
    per test process, shared by the browser modules that only read it: a start and the
    first view of the sample cost seconds of both cores. (Started only when there is a
    browser to drive it.)"""
    with running_app(tmp_path_factory.mktemp("ws-browser")) as url:
        yield url


@pytest.fixture(scope="module")
def own_server(tmp_path_factory, browser):
    """The app with a workspace of the module's own, for browser modules that change it
    (upload, append, save a form): the shared `server` is read by other modules."""
    with running_app(tmp_path_factory.mktemp("ws-own")) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP)
    page = context.new_page()
    yield page
    context.close()
