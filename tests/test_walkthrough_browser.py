"""Someone new to the product, in Chromium at 1280 x 800 and on a phone at 390 x 844:
uploads November's export, loads it, appends December's as the next month, runs the review
meeting in meeting mode (an action agreed, the meeting logged) and downloads the pack as a
handout. The exports are the sample's own CAD export split by month. Asserted with real
figures: the append's row accounting against the two files, the period the filters move
to, and the pack's headline figures against the Overview's cards.

Set PMHC_SHOTS=DIR to keep a screenshot of each step."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from browsing import FIRST_LOAD, ROOT, STEP, ScriptRuns, charts_settled, expect

from tests.test_accessibility_browser import meeting_goto
from tests.test_chart_layout import settle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(own_server):
    """This module's own app: the walks load, append and record, which the shared
    server's readers must not see."""
    return own_server


SAMPLE = ROOT / "pmhc" / "sample_data" / "riverside_cad_mh_calls_2023_2025.xlsx"


# Each walk its own two months: the walks share the module's app server and workspace.
MONTHS = {1280: (("november", "2025-11"), ("december", "2025-12")),
          390: (("september", "2025-09"), ("october", "2025-10"))}  # fmt: skip


def month_files(folder: Path, months) -> dict[str, tuple[Path, set]]:
    """Two months of the sample's CAD export as two CSV exports, first and second; each
    file's path and its incident numbers."""
    calls = pd.read_excel(SAMPLE, sheet_name="CAD Export", header=3, dtype=str)
    when = pd.to_datetime(calls["Rcvd Date"], errors="coerce")
    out = {}
    for name, month in months:
        part = calls[when.dt.strftime("%Y-%m") == month]
        path = folder / f"riverside_{name}_2025.csv"
        part.to_csv(path, index=False)
        out["first" if not out else "second"] = (path, set(part["Incident #"].dropna()))
    return out


def shot(page, name: str) -> None:
    folder = os.environ.get("PMHC_SHOTS")
    if folder:
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": 4000})
        charts_settled(page)  # drawn and still at the tall viewport (only its height changed)
        page.screenshot(path=str(Path(folder) / f"walk-{name}-{size['width']}.png"))
        page.set_viewport_size(size)


def upload(page, runs: ScriptRuns, path: Path) -> None:
    before = runs.finished
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    runs.wait(before, timeout=FIRST_LOAD / 1000)
    expect(page.get_by_text("Check before loading")).to_be_visible()


def click(page, runs: ScriptRuns, locator) -> None:
    before = runs.finished
    locator.click()
    runs.wait(before, timeout=FIRST_LOAD / 1000)


def numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


def cards(page) -> dict[str, str]:
    """The Overview's cards: label -> value as shown."""
    out = {}
    for card in page.get_by_test_id("stMetric").all():
        label = card.get_by_test_id("stMetricLabel").inner_text().strip()
        out[label] = card.get_by_test_id("stMetricValue").inner_text().strip()
    return out


def pack_figures(text: str) -> dict[str, str]:
    """The handout's headline figures: 'Key figure' -> 'Value' from its first table."""
    summary = text.split("Headline figures", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", summary, flags=re.S)
    out = {}
    for row in rows:
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(
            r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)]  # fmt: skip
        if len(cells) >= 2 and cells[0] != "Key figure":
            out[cells[0]] = cells[1]
    return out


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["1280", "390"])
def test_a_new_user_loads_two_months_runs_a_meeting_and_hands_out_the_pack(
    server, browser, tmp_path, size
):
    months = MONTHS[size[0]]
    files = month_files(tmp_path, months)
    nov, dec = files["first"][1], files["second"][1]
    first, second = (pd.Timestamp(m + "-01") for _, m in months)
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(STEP)
    page = context.new_page()
    try:
        settle(page, f"{server}/data")
        runs = page.script_runs
        upload(page, runs, files["first"][0])
        shot(page, "1-checked")
        rows = len(pd.read_csv(files["first"][0], dtype=str))
        report = f"{files['first'][0].name} — calls: {rows:,} loaded, 0 rejected"
        expect(page.locator("summary").filter(has_text=report).first).to_be_visible()
        click(page, runs, page.get_by_role("button", name="Use this data"))
        note = page.get_by_test_id("stSidebar").get_by_text("Now showing").first
        expect(note).to_contain_text(f"{first:%b %Y}")
        shot(page, "2-loaded")

        upload(page, runs, files["second"][0])
        append = page.get_by_role("button", name="Add to the loaded dataset (next month's export)")
        click(page, runs, append)
        done = page.get_by_test_id("stAlert").filter(has_text="incidents now")
        expect(done).to_be_visible()
        said = done.inner_text()
        added, replaced, total = len(dec - nov), len(dec & nov), len(nov | dec)
        assert f"Added {added:,} incidents, replaced {replaced:,} already loaded" in said, said
        assert f"{total:,} incidents now" in said, said
        expect(note).to_contain_text(f"{second:%b %Y}")
        shot(page, "3-appended")

        go(page, runs, "Overview")
        shown = cards(page)
        assert shown, "the Overview shows its cards"
        if size[0] >= 1000:  # meeting mode is for the projector
            before = runs.finished
            page.get_by_test_id("stSidebar").get_by_text("Meeting mode").click()
            runs.wait(before)
            shot(page, "4-meeting-overview")
            meeting_goto(page, runs, "review")
        else:  # on a phone the same records are kept from the page itself
            go(page, runs, "6 · Review")
        shot(page, "5-meeting-review")
        record_in_meeting(page, runs)
        shot(page, "6-recorded")

        with page.expect_download() as info:
            page.get_by_role("button", name="Meeting pack (HTML)").click()
        text = Path(info.value.path()).read_text(encoding="utf-8")
        assert f"{first:%B} to {second:%B %Y}" in text
        figures = pack_figures(text)
        common = set(figures) & set(shown)
        assert len(common) >= 3, (figures, shown)
        assert {k: figures[k] for k in common} == {k: shown[k] for k in common}
        assert "Send the monthly figures to the crisis line" in text
        assert "answer the checklist" not in text.lower()
    finally:
        context.close()


def go(page, runs: ScriptRuns, link: str) -> None:
    """Another page through the sidebar, in this session (a new URL would start another
    session); on a phone the sidebar is opened first."""
    sidebar = page.get_by_test_id("stSidebar")
    target = sidebar.get_by_role("link", name=link)
    phone = page.viewport_size["width"] < 1000
    expand = page.get_by_test_id("stExpandSidebarButton")
    if phone and expand.is_visible():  # collapsed: drawn off the screen, not hidden
        expand.click()
        expect(target).to_be_in_viewport()  # slid in (the click below waits for it to stop)
    before = runs.finished
    target.click()
    runs.wait(before, timeout=FIRST_LOAD / 1000)
    page.locator("h1").first.wait_for(timeout=FIRST_LOAD)
    collapse = page.get_by_test_id("stSidebarCollapseButton").locator("button")
    if phone and expand.count() == 0 and collapse.count():  # the open sidebar covers the page
        collapse.first.click(force=True)
        expand.wait_for()


def record_in_meeting(page, runs: ScriptRuns) -> None:
    """An action agreed and the meeting logged, in meeting mode."""
    box = page.get_by_test_id("stExpander").filter(
        has_text=re.compile("Record an action agreed|Actions as a plain table")
    )
    if box.locator("details").get_attribute("open") is None:
        box.locator("summary").click()
    box.get_by_label("Recommendation", exact=True).fill(
        "Send the monthly figures to the crisis line"
    )
    box.get_by_label("Owner", exact=True).fill("Data analyst")
    click(page, runs, box.get_by_role("button", name="Add this action"))
    expect(page.get_by_text("Action added.")).to_be_visible()
    log = page.get_by_test_id("stExpander").filter(has_text="Log a review meeting")
    log.locator("summary").click()
    log.get_by_role("combobox", name="Who attended (by role)").click()
    page.keyboard.type("CIT coordinator")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    log.get_by_label("Decisions (one a line)").fill("Share the figures monthly")
    click(page, runs, log.get_by_role("button", name="Log the meeting"))
