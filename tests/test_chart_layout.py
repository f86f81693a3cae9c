"""Every chart on every page, measured in Chromium at a desktop width (1280 px) and a phone
width (390 px): horizontal bars at least 14 px thick, titles and legends inside the chart's
own box, the chart no wider than its column, its accessible name its description, and no
"NaN" anywhere. Charts are drawn as SVG (charts.py asks for it), so the marks are measured
as the browser laid them out, not as the spec asked. The same visit of each page (the Data
and Access pages too) runs axe-core on it (tests/test_accessibility_browser.py has the
rules): one walk through the app per width, not two.

Set PMHC_SHOTS=DIR to keep a screenshot of each page at each width."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest
from browsing import charts_settled, visit

from tests.test_accessibility_browser import icon_names, report, serious

pytestmark = pytest.mark.browser

PAGES = ["", "leadership", "policies", "training", "services", "outcomes", "review"]
INTERNAL = ["", "data", "admin", *PAGES[1:]]  # every page staff see, in the menu's order
WIDTHS = [1280, 390]
HEIGHTS = {1280: 800, 390: 844}  # a laptop and a phone
MIN_BAR = 14  # px
SLACK = 1.5  # px of rounding

MEASURE = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
  .map(chart => {
    const box = el => { const b = el.getBoundingClientRect();
      return {left: b.left, top: b.top, right: b.right, bottom: b.bottom,
              width: b.width, height: b.height}; };
    const svg = chart.querySelector('svg');
    const title = chart.querySelector('.role-title-text');
    return {
      name: chart.getAttribute('aria-label') || '',
      title: title ? title.textContent : '',
      chart: box(chart),
      column: box(chart.closest('[data-testid="stVerticalBlock"]')),
      svg: svg ? box(svg) : null,
      titles: Array.from(chart.querySelectorAll('.role-title')).map(box),
      legends: Array.from(chart.querySelectorAll('.role-legend')).map(box),
      bars: Array.from(chart.querySelectorAll('g.hbars_marks path')).map(p => box(p).height),
      text: svg ? svg.textContent : '',
    };
  })"""


A11Y = """() => ({
  title: document.title,
  levels: Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'))
    .filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1])),
  controls: Array.from(document.querySelectorAll(
      '[data-testid="stMain"] [data-testid="stSelectbox"] input'))
    .map(i => i.getAttribute('aria-label') || ''),
})"""


def settle(page, url: str) -> list[dict]:
    """Open a page and wait until its script run has finished and every chart has its SVG
    at its final size."""
    visit(page, url)
    return page.evaluate(MEASURE)


def inside(inner: dict, outer: dict) -> bool:
    return (
        inner["left"] >= outer["left"] - SLACK
        and inner["right"] <= outer["right"] + SLACK
        and inner["top"] >= outer["top"] - SLACK
        and inner["bottom"] <= outer["bottom"] + SLACK
    )


def problems(chart: dict) -> list[str]:
    found = []
    svg = chart["svg"]
    if svg is None:
        return ["no SVG drawn"]
    if svg["right"] > chart["column"]["right"] + SLACK or svg["width"] < 150:
        found.append(f"{svg['width']:.0f} px wide in a {chart['column']['width']:.0f} px column")
    for kind in ("titles", "legends"):
        for box in chart[kind]:
            if not inside(box, svg):
                found.append(f"{kind[:-1]} clipped: {box} outside {svg}")
    if chart["bars"] and min(chart["bars"]) < MIN_BAR:
        found.append(f"bars {min(chart['bars']):.1f} px thick (under {MIN_BAR})")
    if not chart["name"] or chart["name"].strip() == chart["title"].strip():
        found.append(f"accessible name {chart['name']!r} is not the description")
    if "NaN" in chart["text"]:
        found.append("'NaN' in the chart")
    return found


@pytest.fixture(scope="module")
def measured(server, browser):
    """{(page, width): [chart measurements]} for every page at both widths, with its
    headings and labels (`a11y`) and its serious axe violations (`axe`)."""
    shots = os.environ.get("PMHC_SHOTS")
    out = {}
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": HEIGHTS[width]})
        context.set_default_timeout(30_000)
        page = context.new_page()
        for name in INTERNAL:
            out[(name or "overview", width)] = settle(page, f"{server}/{name}")
            out[(name or "overview", width, "a11y")] = page.evaluate(A11Y)
            out[(name or "overview", width, "axe")] = axe_violations(page)
            if shots:
                page.set_viewport_size({"width": width, "height": 6000})
                charts_settled(page)
                page.screenshot(path=str(Path(shots) / f"{name or 'overview'}-{width}.png"))
                page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        context.close()
    return out


def axe_violations(page) -> list[dict]:
    """Serious and critical axe violations, and icon names a screen reader would read."""
    found = serious(page)
    icons = icon_names(page)
    if icons:
        nodes = [{"target": i, "summary": ""} for i in icons]
        found.append({"id": "icon names in text", "impact": "serious", "nodes": nodes})
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_internal_pages_have_no_serious_violation(measured, width):
    found = {
        f"{name or 'overview'} at {width}": measured[(name or "overview", width, "axe")]
        for name in INTERNAL
    }
    found = {where: violations for where, violations in found.items() if violations}
    assert not found, report(found)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [p or "overview" for p in PAGES])
def test_every_chart_reads_well(measured, name, width):
    charts = measured[(name, width)]
    if name != "policies":  # every page but Policies draws charts from the sample
        assert charts, f"{name} at {width} px drew no chart"
    bad = {c["title"] or c["name"]: problems(c) for c in charts}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"{name} at {width} px: {bad}"


def test_bar_charts_are_measured(measured):
    """The bar check above sees bars: Training's district chart has one per district."""
    training = measured[("training", 390)]
    bars = [c["bars"] for c in training if "district" in c["name"]]
    assert bars and len(bars[0]) == 6  # the sample agency's six districts
    assert min(bars[0]) >= MIN_BAR


def test_a_night_filter_shows_no_nan(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        charts = settle(page, f"{server}/services?time=Night+23-07")
        assert charts
        assert page.get_by_text("NaN").count() == 0
        assert all("NaN" not in c["text"] for c in charts)
        heading = " ".join(c["title"] for c in charts)
        assert "against 0%" not in heading  # office hours have no calls at night
    finally:
        context.close()


NAV = {
    "overview": "Overview",
    "leadership": "Leadership",
    "policies": "Policies",
    "training": "Training",
    "services": "Services",
    "outcomes": "Data & outcomes",
    "review": "Review",
}


@pytest.mark.parametrize("name", [p or "overview" for p in PAGES])
def test_each_page_has_its_title_ordered_headings_and_labelled_controls(measured, name):
    a11y = measured[(name, 1280, "a11y")]
    assert a11y["title"].startswith(NAV[name].split(" ")[0]) or NAV[name] in a11y["title"]
    assert a11y["title"].endswith("PMHC Dashboard")
    levels = a11y["levels"]
    assert levels and levels[0] == 1, levels
    jumps = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
    assert not jumps, f"heading levels skip: {levels}"
    assert all(label.strip() for label in a11y["controls"]), a11y["controls"]
    if name != "overview":  # every question page: one labelled answer per checklist item
        answers = [c for c in a11y["controls"] if c.startswith("Answer to ")]
        assert len(answers) >= 4 and all(": " in c for c in answers)


def test_print_hides_the_sidebar_and_keeps_words_whole(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        settle(page, f"{server}/training")
        assert page.get_by_test_id("stSidebar").is_visible()
        page.emulate_media(media="print")
        assert not page.get_by_test_id("stSidebar").is_visible()
        breaks = page.evaluate(
            """() => Array.from(document.querySelectorAll('[data-testid="stMain"] p'))
                 .map(p => getComputedStyle(p).wordBreak + '/' + getComputedStyle(p).hyphens)"""
        )
        assert breaks and set(breaks) == {"normal/manual"}
    finally:
        context.close()


DISABLED = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] input:disabled'))
  .map(i => [getComputedStyle(i).webkitTextFillColor,
             getComputedStyle(i, '::placeholder').webkitTextFillColor])"""


def luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_disabled_controls_in_meeting_mode_keep_aa_contrast(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        settle(page, f"{server}/review")
        page.get_by_test_id("stSidebar").get_by_text("Meeting mode").click()
        page.locator('[data-testid="stMain"] input:disabled').first.wait_for()
        colours = page.evaluate(DISABLED)
        assert colours  # the programme start, shown but not editable
        for text, placeholder in colours:
            for colour in (text, placeholder):
                ratio = 1.05 / (luminance(colour) + 0.05)  # against the white page
                assert ratio >= 4.5, (colour, ratio)
    finally:
        context.close()
