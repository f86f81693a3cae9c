"""End to end: `streamlit run app.py` driven by headless Chromium through Playwright: the
overview, a filter kept in the URL, and a deep link on a fresh server. (The upload flow is
driven in a browser by tests/test_hosting.py, signed in as an analyst.)

The server, browser and page fixtures are in conftest.py, the helpers in browsing.py."""

from __future__ import annotations

import re

import pytest
from browsing import FIRST_LOAD, STEP, expect, running_app

pytestmark = pytest.mark.browser

OUTCOMES = "Do we collect and analyze data to measure the PMHC against the four key outcomes?"


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("stSidebar").wait_for(timeout=FIRST_LOAD)
    expect(page.locator("h1").first).to_be_visible(timeout=FIRST_LOAD)


def metric_value(page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


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
            expect(page.locator(".st-key-page_links")).to_be_visible()
            district = sidebar.get_by_test_id("stMultiSelect").filter(has_text="District")
            expect(district.get_by_text("Harbor", exact=True)).to_be_visible()
            assert re.search(r"[?&]district=Harbor", page.url)
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        context.close()
