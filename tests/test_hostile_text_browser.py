"""Hostile text through every surface, in Chromium (issue 19): district, dataset, file,
sheet and column names, call types, and action and meeting-log text that hold markdown,
HTML and Streamlit directives pointing at an outside host. With meeting mode on (and its
two districts side by side, where a district name is a header), then in the partner view,
every page is opened; none may show an element built from that text, and the browser may
not ask any host but this computer for anything."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlparse

import browsing
import pandas as pd
import pytest
from browsing import FIRST_LOAD, STEP, ScriptRuns, expect
from openpyxl import Workbook

from pmhc.storage import datasets as store
from pmhc.storage import review_log, settings, uploads
from pmhc.storage.workspace import Workspace

pytestmark = pytest.mark.browser

OUTSIDE = "198.51.100.7"  # TEST-NET-2: a host no request may ever reach
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def hostile(where: str) -> str:
    """Every way markdown, HTML or a Streamlit directive could build an element."""
    return (
        f"{where} **PWNB** _PWNI_ `PWNC` ~~PWNS~~ $PWNM$ :red[PWNR] :material/home: "
        f"![i](http://{OUTSIDE}/{where}.png) [a](http://{OUTSIDE}/{where}) "
        f"<img src=http://{OUTSIDE}/{where}-h.png> http://{OUTSIDE}/{where}-auto www.pwn.example"
    )


SHEET = "_PWNI_ <img src=x> ~~PWNS~~"  # Excel forbids : / \\ ? * [ ] in a sheet name
PAGES = ("Overview", "1 · Leadership", "2 · Policies", "3 · Training", "4 · Services")
PAGES += ("5 · Data & outcomes", "6 · Review", "Data")
# What markdown or HTML would have made of the text above.
BUILT = ", ".join(
    [
        f"img[src*='{OUTSIDE}']",
        "img[src='x']",
        f"a[href*='{OUTSIDE}']",
        "a[href*='pwn.example']",
        "strong:text-is('PWNB')",
        "em:text-is('PWNI')",
        "code:text-is('PWNC')",
        "del:text-is('PWNS')",
        ".katex",
        "span:text-is('PWNR')",
        "[data-testid='stIconMaterial']:has-text('home')",
    ]
)


def hostile_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(
        ["Incident #", "Rcvd Date", "Call Type", "District", "Disposition", hostile("column")]
    )
    for i in range(60):
        ws.append(
            [
                f"X-{i:03d}",
                f"2025-{1 + i % 6:02d}-{1 + i % 28:02d}",
                "PERSON IN CRISIS" if i % 2 else hostile("calltype"),
                hostile("district") if i % 3 else hostile("district2"),
                "Transported",
                hostile("cell"),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, browser):
    """The app (local administrator) on a dataset made of hostile text, chosen already."""
    folder = tmp_path_factory.mktemp("ws-hostile")
    ws = Workspace(folder)
    name = f"{hostile('file')[:80]}.xlsx".replace("/", "_")
    _, ds_id = uploads.save_uploads(ws, [(name, hostile_workbook())], {})
    store.rename(ws.datasets_dir, ds_id, hostile("dataset")[:120])
    store.remember_choice(ws.datasets_dir, "local", ds_id)
    records = settings.dataset_folder(folder, ds_id)
    action = {"id": "a1", "recommendation": hostile("action"), "owner": hostile("owner")}
    action |= {"due": dt.date(2026, 6, 1), "status": "In progress", "shared": True}
    review_log.save_actions(records, pd.DataFrame([action]))
    assert not review_log.add_meeting(
        records, dt.date(2025, 7, 1), review_log.ROLES[:1], hostile("meeting"), ["a1"]
    )
    with browsing.running_app(folder) as url:
        yield url


def test_hostile_text_builds_nothing_and_fetches_nothing(hostile_app, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP)
    outside: list[str] = []

    def only_loopback(route):
        host = urlparse(route.request.url).hostname
        if host in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    runs = ScriptRuns(page)
    before = runs.finished
    page.goto(hostile_app)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.wait_for(timeout=FIRST_LOAD)
    expect(sidebar.get_by_text("PWNB", exact=False).first).to_be_visible(timeout=FIRST_LOAD)
    check(page, runs, before, "the dataset's name in the sidebar")
    page.locator(".st-key-page_links").locator("a", has_text="1 · Leadership").click()
    expect(page.locator("h1").first).to_contain_text("leadership", timeout=FIRST_LOAD)
    sidebar.get_by_text("Meeting mode", exact=True).click()
    expect(page.get_by_role("radio", name="Two districts")).to_be_visible(timeout=FIRST_LOAD)
    compared = []
    for target in PAGES:
        before = runs.finished
        go(page, target)
        expect(page.locator("h1").first).to_be_visible(timeout=FIRST_LOAD)
        if target not in ("Overview", "6 · Review", "Data"):  # pages with side by side
            two = page.get_by_role("radio", name="Two districts")
            expect(two).to_be_visible(timeout=FIRST_LOAD)  # drawn after the title
            runs.wait(before, timeout=FIRST_LOAD / 1000)
            before = runs.finished
            two.click()
            expect(page.locator("h2").filter(has_text="PWNB").first).to_be_visible()
            compared.append(target)
        check(page, runs, before, target)
    page.get_by_role("button", name="Leave meeting mode").click()  # the sidebar comes back
    sidebar.get_by_text("Partner view", exact=True).click()
    expect(page.get_by_role("switch", name="Partner view")).to_be_checked()
    for target in PAGES[:-1]:
        before = runs.finished
        page.locator(".st-key-page_links").locator("a", has_text=target).first.click()
        expect(page.locator("h1").first).to_be_visible(timeout=FIRST_LOAD)
        check(page, runs, before, f"{target}, partner view")
    context.close()
    assert len(compared) == 5, compared  # district names were headers on these pages
    assert not outside, outside


def go(page, target: str) -> None:
    """Open a page from the sidebar, or in meeting mode (the sidebar hidden) from the
    navigation at the top, whose sections open as menus."""
    side = page.locator(".st-key-page_links").locator("a", has_text=target).first
    if side.is_visible():
        side.click()
        return
    links = "[data-testid='stTopNavDropdownLink'], [data-testid='stTopNavLink']"
    link = page.locator(links).filter(has_text=target).first
    section = "Start" if target in ("Overview", "Data", "Access & audit") else "The six questions"
    browsing.open_menu_for(page, link, section)
    link.click()


def check(page, runs: ScriptRuns, before: int, where: str) -> None:
    """No element built from the hostile text, once the page's run has finished and its
    charts are drawn (waited on, not slept on)."""
    runs.wait(before, timeout=FIRST_LOAD / 1000)
    browsing.charts_settled(page)
    built = page.locator(BUILT)
    assert built.count() == 0, (
        where,
        [built.nth(i).evaluate("e => e.outerHTML") for i in range(min(built.count(), 5))],
    )
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
