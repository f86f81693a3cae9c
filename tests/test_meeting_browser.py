"""Meeting mode on a projector (1280 x 800) in Chromium: chart titles of 20 px and more,
axis labels and titles of 16 px and more, read from the SVG the browser drew; legends not
cut short; values written on bars; the sidebar out of the way with the pages at the top
and a way back. And the same pages on a phone (390 x 844) outside meeting mode.

Set PMHC_SHOTS=DIR to keep a screenshot of each page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browsing import FIRST_LOAD, charts_settled, open_menu_for

from tests.test_chart_layout import settle

pytestmark = pytest.mark.browser

PAGES = ["overview", "training", "services", "outcomes", "review"]

SIZES = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"] svg'))
  .map(svg => {
    const px = sel => Array.from(svg.querySelectorAll(sel))
      .map(t => parseFloat(getComputedStyle(t).fontSize));
    return {
      title: svg.querySelector('.role-title-text')?.textContent || '',
      titles: px('.role-title-text text'),
      axisLabels: px('.role-axis-label text'),
      axisTitles: px('.role-axis-title text'),
      legendLabels: Array.from(svg.querySelectorAll('.role-legend-label text'))
        .map(t => t.textContent),
      legendPx: px('.role-legend-label text'),
      barLabels: svg.querySelectorAll('.hbars_marks').length
        ? svg.querySelectorAll('.mark-text.role-mark text').length : -1,
    };
  })"""


def shoot(page, name: str) -> None:
    folder = os.environ.get("PMHC_SHOTS")
    if folder:  # the page scrolls inside Streamlit's main block: a tall viewport holds it
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": 5000})
        charts_settled(page)  # drawn and still at the tall viewport (only its height changed)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
        page.set_viewport_size(size)


def too_small(chart: dict) -> list[str]:
    found = []
    for kind, least in (("titles", 20), ("axisLabels", 16), ("axisTitles", 16), ("legendPx", 16)):
        small = [px for px in chart[kind] if px < least]
        if small:
            found.append(f"{kind} at {min(small)} px (under {least})")
    cut = [label for label in chart["legendLabels"] if label.endswith("…")]
    if cut:
        found.append(f"legend cut: {cut}")
    if chart["barLabels"] == 0:
        found.append("bars without their values")
    return found


def test_meeting_mode_sizes_charts_for_a_projector(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        settle(page, server)
        runs = page.script_runs  # heard since settle() opened the app
        before = runs.finished
        page.get_by_test_id("stSidebar").get_by_text("Meeting mode").click()
        leave = page.get_by_role("button", name="Leave meeting mode")
        leave.wait_for(timeout=FIRST_LOAD)
        assert not page.get_by_test_id("stSidebar").is_visible()
        bad, measured = {}, 0
        for name in PAGES:
            if name != "overview":  # the pages are at the top while the sidebar is hidden
                link = page.locator(f"[data-testid='stTopNavDropdownLink'][href$='/{name}']")
                open_menu_for(page, link, "The six questions")
                before = runs.finished
                link.click()
                page.wait_for_url(f"**/{name}")
            # This page's run finished and drawn (not the last page's), then its charts
            # titled and at the same size twice in a row.
            runs.wait(before, timeout=FIRST_LOAD / 1000)
            page.get_by_test_id("stMetric").first.wait_for(timeout=FIRST_LOAD)
            charts_settled(page)
            charts = page.evaluate(SIZES)
            measured += len(charts)
            for chart in charts:
                found = too_small(chart)
                if found:
                    bad[f"{name}: {chart['title'][:50]}"] = found
            shoot(page, f"meeting-{name}-1280")
        assert measured >= 10, measured
        assert not bad, bad
        leave.click()
        page.get_by_test_id("stSidebar").wait_for(state="visible")
    finally:
        context.close()


def test_phone_pages_draw_without_cut_controls(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        for name in PAGES:
            charts = settle(page, f"{server}/{'' if name == 'overview' else name}")
            assert charts, name
            shoot(page, f"phone-{name}-390")
    finally:
        context.close()


def test_self_assessment_answers_fit_at_1280(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        settle(page, f"{server}/training")
        box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first
        box.scroll_into_view_if_needed()
        answer = box.locator("input").first
        assert answer.input_value() == "Not answered"  # not "Choose an opti…"
        assert answer.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # not cut
    finally:
        context.close()
