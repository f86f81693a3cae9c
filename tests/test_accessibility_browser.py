"""Accessibility measured in Chromium with axe-core (WCAG 2.1 A and AA rules): no serious or
critical violation on any page, internal and partner, at 1280 x 800 (also in meeting mode)
and on a phone at 390 x 844. (The internal pages are checked on the walk that measures
their charts, tests/test_chart_layout.py, with `serious` and `icon_names` from here.)
axe-core comes from npm (tests/package.json, installed by `make test` and `.ci/run`) and
is injected into the page as it is, the same script a browser extension runs."""

from __future__ import annotations

import re
import shutil

import pytest
from browsing import (
    FIRST_LOAD,
    ROOT,
    ScriptRuns,
    charts_settled,
    open_menu_for,
    running_app,
    unavailable,
    visit,
)

pytestmark = pytest.mark.browser

AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
INTERNAL = ["", "data", "admin", "leadership", "policies", "training", "services", "outcomes"]
INTERNAL += ["review"]
PARTNER = ["", "leadership", "policies", "training", "services", "outcomes", "review"]
SERIOUS = ("serious", "critical")
# Streamlit's own markup that the app cannot change, by rule and the exact selector, with
# why; everything else must pass.
EXCLUDED: dict[str, tuple[str, ...]] = {}
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || '').slice(0, 200)})),
  }));
}"""


# Material icon names a screen reader would read out, or the page would show as text when
# the icon font has not loaded ("keyboard_arrow_right").
ICON_NAME = re.compile(
    r":material/|\b(keyboard_(double_)?arrow_\w+|expand_(more|less)|chevron_\w+|arrow_\w+"
    r"|check_circle|upload_file|open_in_new|more_vert)\b"
)


def icon_names(page) -> list[str]:
    """Icon names in the page's accessible text (what a screen reader hears)."""
    text = page.locator("body").aria_snapshot()
    return sorted({m[0] for m in ICON_NAME.finditer(text)})


def axe_script() -> str:
    if not AXE.exists():
        unavailable(f"axe-core is not installed at {AXE} (run: npm ci --prefix tests)")
    return AXE.read_text()


def serious(page) -> list[dict]:
    """The page's serious and critical violations, less the excluded rule and selectors."""
    page.add_script_tag(content=axe_script())
    found = []
    for v in page.evaluate(RUN):
        nodes = [n for n in v["nodes"] if n["target"] not in EXCLUDED.get(v["id"], ())]
        if v["impact"] in SERIOUS and nodes:
            found.append({**v, "nodes": nodes})
    return found


def opened(page, runs: ScriptRuns, url: str) -> None:
    page.script_runs = runs
    visit(page, url)


def report(found: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            nodes = "; ".join(f"{n['target']} ({n['summary']})" for n in v["nodes"][:4])
            lines.append(f"{where}: {v['id']} [{v['impact']}] x{len(v['nodes'])}: {nodes}")
    return "\n".join(lines)


def check_pages(browser, url: str, names: list[str], width: int, height: int) -> dict:
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    page = context.new_page()
    runs = ScriptRuns(page)
    found = {}
    try:
        for name in names:
            opened(page, runs, f"{url}/{name}")
            violations = serious(page)
            icons = icon_names(page)
            if icons:
                violations.append(
                    {
                        "id": "icon names in text",
                        "impact": "serious",
                        "nodes": [{"target": i, "summary": ""} for i in icons],
                    }
                )
            if violations:
                found[f"{name or 'overview'} at {width}"] = violations
    finally:
        context.close()
    return found


def meeting_goto(page, runs: ScriptRuns, name: str) -> None:
    """Another page in meeting mode, through the menus at the top (a new URL would start a
    new session, outside meeting mode)."""
    link = page.locator(f"[data-testid^='stTopNav'][href$='/{name}']").first
    section = "Start" if name in ("data", "admin") else "The six questions"
    open_menu_for(page, link, section)
    before = runs.finished
    link.click()
    page.wait_for_url(f"**/{name}")
    runs.wait(before, timeout=FIRST_LOAD / 1000)
    charts_settled(page)


def test_meeting_mode_has_no_serious_violation(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    runs = ScriptRuns(page)
    found = {}
    try:
        opened(page, runs, server)
        before = runs.finished
        page.get_by_test_id("stSidebar").get_by_text("Meeting mode").click()
        runs.wait(before)
        page.get_by_role("button", name="Leave meeting mode").wait_for(timeout=FIRST_LOAD)
        for name in INTERNAL:
            if name:
                meeting_goto(page, runs, name)
            violations = serious(page)
            if violations:
                found[f"{name or 'overview'} in meeting mode"] = violations
    finally:
        context.close()
    assert not found, report(found)


@pytest.fixture(scope="module")
def partner_server(tmp_path_factory, browser, published_base_cache):
    """A partner server on a copy of the base export loaded and published (conftest.py
    builds that release once per run)."""
    workspace = tmp_path_factory.mktemp("partner-a11y") / "ws"
    shutil.copytree(published_base_cache, workspace)
    with running_app(workspace, PMHC_AUDIENCE="partner") as url:
        yield url


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["1280", "390"])
def test_partner_pages_have_no_serious_violation(partner_server, browser, size):
    found = check_pages(browser, partner_server, PARTNER, *size)
    assert not found, report(found)
