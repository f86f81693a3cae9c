"""Load: N concurrent browser sessions (default 20) on one local server, each uploading its
own export, confirming it, switching to the sample and back, and filtering by district.

Checks, for every session: no error on any page, its sidebar names its own file, and its
district filter offers only its own districts (no session sees another's data). Measures
each step's time and the server's resident memory (sampled every 0.2 s, and after the
sessions close). Run: `python -m bench.sessions [--sessions 20] [--json out.json]`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from openpyxl import Workbook

from bench.browser import CHROMIUM, _free_port, _serve

STEP_MS = 300_000  # per step: 20 Chromium pages and the server share 2 cores
RAMP_SECONDS = 1.0  # between session starts, as people arrive rather than in one instant
CALLS = 400  # rows per session's export


def export(path: Path, n: int) -> tuple[Path, dict[str, int]]:
    """A calls export whose districts are this session's own: S07-North, S07-South."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(["Incident #", "Rcvd Date", "Rcvd Time", "Call Type", "District", "Disposition"])
    districts = {f"S{n:02d}-North": 0, f"S{n:02d}-South": 0}
    names = list(districts)
    for i in range(CALLS):
        district = names[i % 2 if i % 5 else 0]
        districts[district] += 1
        ws.append(
            [
                f"S{n:02d}-{i:05d}",
                dt.date(2025, 1 + i % 12, 1 + i % 28),
                f"{i % 24:02d}:{i % 60:02d}",
                "PERSON IN CRISIS",
                district,
                "Transported to ED",
            ]
        )
    wb.save(path)
    return path, districts


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.samples, self.done = pid, 0.0, [], False

    def run(self) -> None:
        while not self.done:
            mb = rss_mb(self.pid)
            self.peak = max(self.peak, mb)
            self.samples.append(mb)
            time.sleep(0.2)


async def session(browser, url: str, n: int, path: Path, districts: dict) -> dict:
    from playwright.async_api import expect

    await asyncio.sleep(n * RAMP_SECONDS)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_MS)
    page = await context.new_page()
    times, problems = {}, []
    sidebar = page.get_by_test_id("stSidebar")
    nav = page.get_by_test_id("stSidebarNav")

    async def step(name, coro):
        started = time.perf_counter()
        await coro
        times[name] = time.perf_counter() - started

    async def open_and_upload():
        await page.goto(url)
        await sidebar.wait_for()
        await nav.locator("a[href$='/data']").click()
        await (
            page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(path)
        )
        await page.get_by_role("button", name="Use this data").click()
        await expect(sidebar.get_by_text(path.name).first).to_be_visible()

    async def switch(option_text: str, shown: str):
        box = page.get_by_test_id("stSelectbox").filter(has_text="Dataset in view")
        await box.click()
        await page.get_by_role("option").filter(has_text=option_text).first.click()
        await expect(sidebar.get_by_text(shown).first).to_be_visible()

    async def filter_district():
        await nav.locator("a", has_text="Overview").click()
        await expect(page.locator("h1").first).to_have_text("Overview")
        select = sidebar.get_by_test_id("stMultiSelect").filter(has_text="District")
        await select.locator("input").click()
        offered = [t.strip() for t in await page.get_by_role("option").all_inner_texts()]
        offered = [t for t in offered if t and t != "Select all"]
        if sorted(offered) != sorted(districts):
            problems.append(f"session {n} was offered districts {offered}")
        await page.get_by_role("option").filter(has_text=f"S{n:02d}-South").first.click()
        await page.keyboard.press("Escape")
        await page.wait_for_url(f"**district=S{n:02d}-South*")
        await expect(page.get_by_test_id("stMetric").first).to_be_visible()

    try:
        await step("open + upload + confirm", open_and_upload())
        await step("switch to sample", switch("Sample data", "Sample data"))
        await step("switch back", switch(path.name, path.name))
        await step("filter by district", filter_district())
        if await sidebar.get_by_text(path.name).count() == 0:
            problems.append(f"session {n} does not show its own file")
        if await page.get_by_test_id("stException").count():
            problems.append(f"session {n} shows an exception")
    except Exception as error:  # a timeout or a missing element: counted, not raised
        problems.append(f"session {n}: {type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        await context.close()
    return {"session": n, "times": times, "problems": problems}


async def warm_up(browser, url: str) -> None:
    """One visit before the clock starts: the server reads the sample workbooks once, as a
    server that has been up for a while has."""
    from playwright.async_api import expect

    expect.set_options(timeout=STEP_MS)
    page = await browser.new_page()
    await page.goto(url)
    await expect(page.get_by_test_id("stMetric").first).to_be_visible()
    await page.close()


async def run(sessions: int, workdir: Path) -> dict:
    from playwright.async_api import async_playwright

    files = [export(workdir / f"session_{n:02d}.xlsx", n) for n in range(sessions)]
    workspace = workdir / "workspace"
    port = _free_port()
    server = _serve(str(workspace), port)
    url = f"http://127.0.0.1:{port}"
    try:
        idle = rss_mb(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        started = time.perf_counter()
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
            )
            await warm_up(browser, url)
            results = await asyncio.gather(
                *(session(browser, url, n, path, d) for n, (path, d) in enumerate(files))
            )
            await browser.close()
        wall = time.perf_counter() - started
        await asyncio.sleep(5)
        sampler.done = True
        after = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)
    steps = sorted({k for r in results for k in r["times"]})
    return {
        "sessions": sessions,
        "rows_per_upload": CALLS,
        "wall_seconds": round(wall, 1),
        "problems": [p for r in results for p in r["problems"]],
        "completed": sum(1 for r in results if not r["problems"]),
        "steps": {
            s: {
                "median": round(statistics.median(v), 2),
                "max": round(max(v), 2),
            }
            for s in steps
            if (v := [r["times"][s] for r in results if s in r["times"]])
        },
        "server_rss_mb": {
            "idle": round(idle),
            "peak": round(sampler.peak),
            "after": round(after),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmhc-sessions-") as tmp:
        result = asyncio.run(run(args.sessions, Path(tmp)))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0 if not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
