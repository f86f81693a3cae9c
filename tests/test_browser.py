"""End to end: `streamlit run app.py` driven by headless Chromium through Playwright.

Needs Chromium at /usr/bin/chromium (or PMHC_CHROMIUM). Without it these tests skip, but
fail when CI=1 or PMHC_REQUIRE_BROWSER=1 is set (`.ci/run` and `make test` set it), so CI
never passes without running them."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from openpyxl import Workbook

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PMHC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REQUIRED = any(
    os.environ.get(v, "").lower() not in ("", "0", "false") for v in ("CI", "PMHC_REQUIRE_BROWSER")
)
STARTUP = 60  # seconds for the server to answer its health check
FIRST_LOAD = 90_000  # ms: the first page view reads the sample workbooks
STEP = 30_000  # ms for any later step
UPLOAD_NAME = "cad_calls_small.xlsx"
OUTCOMES = "Do we collect and analyze data to measure the PMHC against the four key outcomes?"


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (browser tests are required: CI or PMHC_REQUIRE_BROWSER is set)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(workspace: Path, port: int | None = None, args: tuple = (), **env_extra: str):
    """`streamlit run app.py` on a free port with the given workspace; yields its URL and
    stops the server on exit. The log must hold no traceback."""
    port = port or free_port()
    log_path = workspace.parent / f"streamlit-{workspace.name}-{port}.log"
    env = {**os.environ, "PMHC_DATA_DIR": str(workspace), **env_extra}
    if "PMHC_AUDIENCE" not in env_extra:
        env.pop("PMHC_AUDIENCE", None)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        *args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + STARTUP
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer in {STARTUP} s:\n{log_path.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log_path.read_text(), log_path.read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    """The app on a free port with an empty workspace; its URL. Stopped at teardown.
    (Started only when there is a browser to drive it.)"""
    with running_app(tmp_path_factory.mktemp("ws-browser")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP)
    page = context.new_page()
    yield page
    context.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("stSidebar").wait_for(timeout=FIRST_LOAD)
    expect(page.locator("h1").first).to_be_visible(timeout=FIRST_LOAD)


def sidebar_link(page, text: str):
    return page.get_by_test_id("stSidebarNav").locator("a", has_text=text)


def metric_value(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def small_workbook(path: Path) -> Path:
    """A calls-only export: a title row, then 40 calls in three districts."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(["Metro PD calls for service, January 2025"])
    ws.append(["Incident #", "Rcvd Date", "Rcvd Time", "Call Type", "District", "Disposition"])
    types = ["PERSON IN CRISIS", "SUICIDE THREAT", "OVERDOSE", "NOISE COMPLAINT"]
    dispositions = ["Transported to ED", "Subject Arrested", "Resolved on Scene"]
    for i in range(40):
        ws.append(
            [
                f"M25-{i:04d}",
                dt.date(2025, 1, 1 + i % 28),
                f"{i % 24:02d}:{5 * i % 60:02d}",
                types[i % 4],
                ("Alpha", "Bravo", "Charlie")[i % 3],
                dispositions[i % 3],
            ]
        )
    wb.save(path)
    return path


def test_overview_shows_the_sample_with_charts(server, page):
    open_app(page, server)
    expect(page.locator("h1").first).to_have_text("Overview")
    expect(page.get_by_test_id("stMain").get_by_text("Sample data").first).to_be_visible()
    expect(metric_value(page, "MH calls")).to_have_text(re.compile(r"^\d[\d,]*$"))
    chart = page.locator(".vega-embed canvas, .vega-embed svg").first
    chart.wait_for(state="visible")
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100


def test_district_filter_lives_in_the_url(server, page):
    open_app(page, server)
    before = metric_value(page, "MH calls")
    expect(before).to_have_text(re.compile(r"\d"))
    total = before.inner_text()

    district = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect")
    district = district.filter(has_text="District")
    district.locator("input").click()
    option = page.get_by_role("option").filter(has_not_text="Select all").first
    name = option.inner_text().strip()
    option.click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"[?&]district="))
    assert f"district={name}" in page.url.replace("+", " ").replace("%20", " ")
    expect(metric_value(page, "MH calls")).not_to_have_text(total)
    filtered = metric_value(page, "MH calls").inner_text()

    # The copied link reopens the same view in a new session.
    link = page.url
    page.goto("about:blank")
    open_app(page, link)
    expect(district.get_by_text(name, exact=True)).to_be_visible()
    expect(metric_value(page, "MH calls")).to_have_text(filtered)
    assert re.search(r"[?&]district=", page.url)


def test_upload_a_workbook_then_switch_pages(server, page, tmp_path):
    workbook = small_workbook(tmp_path / UPLOAD_NAME)
    open_app(page, server)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Sample data").first).to_be_visible()

    page.get_by_test_id("stSidebarNav").locator("a[href$='/data']").click()
    expect(page.locator("h1").first).to_have_text("Data")
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(workbook)
    # Read and shown for checking; the sample stays until the upload is confirmed.
    expect(page.get_by_role("heading", name="Check before loading")).to_be_visible(timeout=60_000)
    expect(sidebar.get_by_text("Sample data").first).to_be_visible()
    page.get_by_role("button", name="Use this data").click()

    # Loaded: the sidebar names the file instead of the sample, and every row is counted.
    expect(sidebar.get_by_text(UPLOAD_NAME).first).to_be_visible(timeout=60_000)
    expect(sidebar.get_by_text("Sample data")).to_have_count(0)
    expect(page.get_by_text("calls: 40 loaded, 0 rejected").first).to_be_visible()

    sidebar_link(page, "5 · Data & outcomes").click()
    page.wait_for_url(re.compile(r"/outcomes"))
    expect(page.locator("h1").first).to_contain_text(OUTCOMES)
    expect(page.get_by_test_id("stMain").get_by_text(UPLOAD_NAME).first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_deep_link_on_a_fresh_server_runs_inside_the_frame(browser, tmp_path):
    """The first request a new server gets is a deep link to a page with a filter. The page
    must still run inside app.py: sidebar, navigation and the filter from the URL. (With a
    top-level pages/ folder Streamlit ran the page alone until some session had called
    st.navigation, which is why the pages live in app_pages/.)"""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP)
    page = context.new_page()
    try:
        with running_app(tmp_path / "ws-deep-link") as url:
            page.goto(f"{url}/outcomes?district=Harbor")
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.wait_for(timeout=FIRST_LOAD)
            expect(page.locator("h1").first).to_contain_text(OUTCOMES, timeout=FIRST_LOAD)
            expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
            district = sidebar.get_by_test_id("stMultiSelect").filter(has_text="District")
            expect(district.get_by_text("Harbor", exact=True)).to_be_visible()
            assert re.search(r"[?&]district=Harbor", page.url)
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        context.close()
