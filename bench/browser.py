"""Time a filter change in the browser: Streamlit serving a stored dataset, Chromium
changing the District filter on a page, until the rerun has finished and every chart
has been drawn again."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PAGES = ("outcomes", "services", "policies")
CHANGES = 3  # per page: three districts, each then cleared


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(workspace: str, port: int, **extra_env: str) -> subprocess.Popen:
    env = {**os.environ, "PMHC_DATA_DIR": workspace, **extra_env}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def _settled(page) -> None:
    """Wait until the script has run and every chart on the page is drawn and current."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=300_000
    )
    page.wait_for_function(
        "() => document.querySelectorAll('[data-stale=\"true\"]').length === 0 && "
        "[...document.querySelectorAll('.vega-embed')].length > 0 && "
        "[...document.querySelectorAll('.vega-embed')].every(e => e.querySelector('canvas, svg'))",
        timeout=300_000,
    )


# Counts finished script runs, however short: a cached rerun can start and end between
# two polls of the page.
COUNT_RUNS = """() => {
  if (window.__runs !== undefined) return;
  window.__runs = 0;
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'notRunning') window.__runs += 1;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _change(page, action) -> float:
    """Seconds from a filter change until the page has rerun and redrawn."""
    page.evaluate(COUNT_RUNS)
    before = page.evaluate("() => window.__runs")
    started = time.perf_counter()
    action()
    page.wait_for_function(f"() => window.__runs > {before}", timeout=300_000)
    _settled(page)
    return time.perf_counter() - started


def measure(workspace: str) -> dict:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    server = _serve(workspace, port)
    results: dict[str, Any] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            started = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/outcomes")
            _settled(page)
            results["first_load_seconds"] = time.perf_counter() - started
            for name in PAGES:
                page.goto(f"http://127.0.0.1:{port}/{name}")
                _settled(page)
                new, back = [], []
                for i in range(CHANGES):
                    box = page.get_by_role("combobox", name="District")
                    box.click()
                    names = [
                        o for o in page.get_by_role("option").all_inner_texts() if o != "Select all"
                    ]
                    page.keyboard.press("Escape")
                    district = names[i]

                    def pick(box=box, district=district):
                        box.click()
                        page.get_by_role("option", name=district, exact=True).click()
                        page.keyboard.press("Escape")

                    def remove(district=district):
                        page.get_by_role("button", name=f"Remove {district}").click()

                    new.append(_change(page, pick))  # a district not seen yet: computed
                    back.append(_change(page, remove))  # all districts again: cached
                results[name] = {
                    "new_filter_seconds": statistics.median(new),
                    "new_runs": new,
                    "back_to_all_seconds": statistics.median(back),
                    "back_runs": back,
                }
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results
