"""Hosting end to end: the app behind a real OpenID Connect sign-in (a local provider from
the `oidc-provider-mock` package), driven by Chromium.

Signed out sees no data; an analyst signs in and uploads; a viewer cannot upload; two
users in two browsers keep their own datasets; a partner link opens the partner view and
nothing else, and a revoked, expired or wrong one opens nothing; every step lands in the
audit log; files whose names, columns and cells hold markdown are shown as plain text
with no request to another host."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browsing import (
    FIRST_LOAD,
    STEP,
    ScriptRuns,
    charts_settled,
    expect,
    oidc_issuer,
    signed_in_app,
    small_workbook,
)
from openpyxl import Workbook

from pmhc.storage import audit, db, shares

pytestmark = pytest.mark.browser
OUTCOMES = "Do we collect and analyze data to measure the PMHC against the four key outcomes?"

USERS = {
    "chief": "chief@agency.test",  # admin
    "ana": "ana@agency.test",  # analyst
    "vic": "vic@agency.test",  # viewer
    "eve": "eve@elsewhere.test",  # no role
}
OUTSIDE = "198.51.100.7"  # TEST-NET-2: a host no request may ever reach


@pytest.fixture(scope="module")
def oidc_provider():
    accounts = {sub: {"email": email, "email_verified": True} for sub, email in USERS.items()}
    with oidc_issuer(accounts) as url:
        yield url


@pytest.fixture(scope="module")
def hosted(tmp_path_factory, oidc_provider, browser):
    """(app URL, workspace): the app with sign-in through the local provider."""
    workspace = tmp_path_factory.mktemp("ws-hosted")
    roles = (
        f'admin = ["{USERS["chief"]}"]\nanalyst = ["{USERS["ana"]}"]\nviewer = ["{USERS["vic"]}"]'
    )
    with signed_in_app(workspace, oidc_provider, roles) as url:
        yield url, workspace


@pytest.fixture
def new_page(browser):
    """new_page() -> a page in a fresh browser context (its own cookies), recording the
    hosts it requests."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(STEP)
        contexts.append(context)
        page = context.new_page()
        page.requested_hosts = set()
        page.on("request", lambda r: page.requested_hosts.add(urlparse(r.url).hostname))
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, url: str, user: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in").click(timeout=FIRST_LOAD)
    page.get_by_role("button", name=user, exact=True).click()  # the provider's user list
    page.wait_for_url(re.compile(rf"^{re.escape(url)}"))
    page.get_by_test_id("stSidebar").wait_for(timeout=FIRST_LOAD)
    expect(page.locator("h1").first).to_be_visible(timeout=FIRST_LOAD)


def open_data_page(page) -> None:
    page.locator(".st-key-page_links").locator("a[href='data']").click()
    expect(page.locator("h1").first).to_have_text("Data")


def upload_and_confirm(page, path: Path, in_use: str | None = None) -> None:
    """Upload on the Data page and confirm; `in_use`: the dataset the sidebar must name
    until the upload is confirmed."""
    open_data_page(page)
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(path)
    expect(page.get_by_role("heading", name="Check before loading")).to_be_visible(timeout=60_000)
    # Read and shown for checking; the dataset in use stays until the upload is confirmed.
    expect(sidebar(page).get_by_text(path.name)).to_have_count(0)
    if in_use:
        expect(sidebar(page).get_by_text(in_use).first).to_be_visible()
    page.get_by_role("button", name="Use this data").click()
    expect(page.get_by_role("heading", name="Check before loading")).to_have_count(0)


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def actions_by(workspace: Path, who: str) -> list[str]:
    return [e["action"] for e in audit.read(workspace) if e["who"] == who]


def test_signed_out_sees_no_data(hosted, new_page):
    url, _ = hosted
    page = new_page()
    for path in ("", "/data", "/outcomes"):
        page.goto(url + path)
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=FIRST_LOAD)
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        expect(page.locator(".st-key-page_links")).to_have_count(0)
        expect(page.get_by_text("Sample data")).to_have_count(0)
        expect(page.locator(".vega-embed")).to_have_count(0)


def test_an_account_without_a_role_sees_no_data(hosted, new_page):
    url, workspace = hosted
    page = new_page()
    page.goto(url)
    page.get_by_role("button", name="Sign in").click(timeout=FIRST_LOAD)
    page.get_by_role("button", name="eve", exact=True).click()
    expect(page.get_by_role("heading", name="No access yet")).to_be_visible(timeout=FIRST_LOAD)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    assert "sign-in-refused" in actions_by(workspace, USERS["eve"])


def test_an_analyst_signs_in_and_uploads(hosted, new_page, tmp_path):
    url, workspace = hosted
    page = new_page()
    sign_in(page, url, "ana")
    expect(sidebar(page).get_by_text(USERS["ana"])).to_be_visible()
    expect(sidebar(page).get_by_text("Sample data").first).to_be_visible()
    workbook = small_workbook(tmp_path / "ana_calls.xlsx")
    upload_and_confirm(page, workbook, in_use="Sample data")
    # Loaded: the sidebar names the file instead of the sample, and every row is counted.
    expect(sidebar(page).get_by_text("ana_calls.xlsx").first).to_be_visible()
    expect(sidebar(page).get_by_text("Sample data")).to_have_count(0)
    expect(page.get_by_text("calls: 40 loaded, 0 rejected").first).to_be_visible()
    # Another page draws the upload.
    page.locator(".st-key-page_links").locator("a", has_text="5 · Data & outcomes").click()
    page.wait_for_url(re.compile(r"/outcomes"))
    expect(page.locator("h1").first).to_contain_text(OUTCOMES)
    expect(page.get_by_test_id("stMain").get_by_text("ana_calls.xlsx").first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    # The audit log has the sign-in and the upload, with counts and no file name.
    entries = [e for e in audit.read(workspace) if e["who"] == USERS["ana"]]
    assert [e["action"] for e in entries][:1] == ["sign-in"]
    upload = next(e for e in entries if e["action"] == "upload")
    assert upload["role"] == "analyst" and upload["details"]["rows_in"] == 40
    assert "ana_calls" not in json.dumps(entries)
    # No Access & audit page for an analyst.
    expect(page.locator(".st-key-page_links").get_by_text("Access & audit")).to_have_count(0)


def test_a_viewer_cannot_upload(hosted, new_page):
    url, workspace = hosted
    page = new_page()
    sign_in(page, url, "vic")
    open_data_page(page)
    expect(page.get_by_text("uploading and editing rules need the analyst role")).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    expect(page.get_by_role("button", name="Save these rules")).to_have_count(0)
    assert actions_by(workspace, USERS["vic"]) == ["sign-in"]


def test_two_users_keep_their_own_datasets(hosted, new_page, tmp_path):
    url, _ = hosted
    ana, chief = new_page(), new_page()
    sign_in(ana, url, "ana")
    sign_in(chief, url, "chief")
    upload_and_confirm(ana, small_workbook(tmp_path / "first_user.xlsx"))
    upload_and_confirm(chief, small_workbook(tmp_path / "second_user.xlsx"))
    for page, mine, theirs in (
        (ana, "first_user", "second_user"),
        (chief, "second_user", "first_user"),
    ):
        page.locator(".st-key-page_links").locator("a", has_text="Overview").click()
        expect(page.locator("h1").first).to_have_text("Overview")
        expect(sidebar(page).get_by_text(f"{mine}.xlsx").first).to_be_visible()
        expect(page.get_by_text(f"{theirs}.xlsx")).to_have_count(0)
        page.reload()  # a new session for the same user opens on their own last choice
        expect(sidebar(page).get_by_text(f"{mine}.xlsx").first).to_be_visible(timeout=FIRST_LOAD)
    # The admin sees the audit log of both, and can export it.
    chief.locator(".st-key-page_links").locator("a", has_text="Access & audit").click()
    expect(chief.locator("h1").first).to_have_text("Access & audit")
    expect(chief.get_by_role("button", name="Export the audit log (CSV)")).to_be_visible()


def test_a_partner_link_opens_the_partner_view_only(hosted, new_page):
    url, workspace = hosted
    from pmhc import cli

    assert cli.main(["publish", "--data-dir", str(workspace)]) == 0  # the sample's release
    token, share = shares.create(workspace, "County partners", days=30)
    page = new_page()
    page.goto(f"{url}/?share={token}")
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=FIRST_LOAD)
    expect(sidebar(page).get_by_text("Partner view: small counts are hidden")).to_be_visible(
        timeout=FIRST_LOAD
    )
    nav = page.locator(".st-key-page_links")
    expect(nav.locator("a[href$='/data']")).to_have_count(0)
    expect(nav.get_by_text("Access & audit")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    expect(page.get_by_text(".xlsx")).to_have_count(0)  # no uploaded file's name
    nav.locator("a", has_text="5 · Data & outcomes").click()
    page.wait_for_url(re.compile(r"/outcomes"))
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    page.goto(f"{url}/data?share={token}")  # typed: the Data page is not there
    expect(page.locator("h1").first).not_to_have_text("Data", timeout=FIRST_LOAD)
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    assert f"partner-link:{share.id}" in {e["who"] for e in audit.read(workspace)}


@pytest.mark.parametrize("case", ["wrong", "revoked", "expired"])
def test_a_bad_partner_link_shows_nothing(hosted, new_page, case):
    url, workspace = hosted
    token, share = shares.create(workspace, f"{case} link", days=30)
    if case == "wrong":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "revoked":
        shares.revoke(workspace, share.id)
    else:
        with db.write(workspace) as (conn, ws):
            t = db.shares
            expired = t.update().where(t.c.ws == ws, t.c.id == share.id)
            conn.execute(expired.values(expires="2020-01-01T00:00:00+00:00"))
    page = new_page()
    page.goto(f"{url}/?share={token}")
    expect(page.get_by_role("heading", name="This link does not open anything")).to_be_visible(
        timeout=FIRST_LOAD
    )
    expect(page.locator(".st-key-page_links")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.get_by_text("Sample data")).to_have_count(0)


def injection_workbook(path: Path) -> Path:
    """Calls whose column names, a sheet's cells and the file name hold markdown images,
    links and HTML pointing at an outside host."""
    image = f"![pixel](http://{OUTSIDE}/track.png)"
    wb = Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(
        [
            "Incident #",
            "Rcvd Date",
            "Call Type",
            "District",
            "Disposition",
            f"Notes {image}",
            f"Subject Name {image}",
        ]
    )
    for i in range(30):
        ws.append(
            [
                f"X-{i:03d}",
                f"2025-02-{1 + i % 28:02d}",
                "PERSON IN CRISIS" if i % 2 else f"<img src=http://{OUTSIDE}/cell.png> {image}",
                image if i % 3 == 0 else f"[North](http://{OUTSIDE}/link)",
                f"{image} Transported",
                image,
                "Someone",
            ]
        )
    wb.save(path)
    return path


def test_markdown_in_files_is_shown_as_text_with_no_outside_request(hosted, new_page, tmp_path):
    url, _ = hosted
    page = new_page()
    sign_in(page, url, "ana")
    page.requested_hosts.clear()  # the test provider's own page loads a stylesheet from a CDN
    runs = ScriptRuns(page)  # before the reload, to hear its new websocket
    page.reload()
    page.get_by_test_id("stSidebar").wait_for(timeout=FIRST_LOAD)
    name = "calls_![x](y.png)_**bold**.xlsx"
    upload_and_confirm(page, injection_workbook(tmp_path / name))
    # The file name is shown as typed, not as an image or bold text.
    expect(sidebar(page).get_by_text(name).first).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("calls: 30 loaded", exact=False).first).to_be_visible()
    main.get_by_text("Personal data not read").first.wait_for(state="attached")
    expect(main.locator("img[src*='198.51.100.7'], a[href*='198.51.100.7']")).to_have_count(0)
    for target in ("Overview", "4 · Services", "5 · Data & outcomes"):
        before = runs.finished
        page.locator(".st-key-page_links").locator("a", has_text=target).click()
        runs.wait(before)
        expect(page.locator("h1").first).to_be_visible()
        charts_settled(page)
        expect(page.locator("img[src*='198.51.100.7'], a[href*='198.51.100.7']")).to_have_count(0)
    assert page.requested_hosts <= {"localhost", "127.0.0.1"}, page.requested_hosts
