"""The app behind Caddy with the shipped deploy/Caddyfile (Debian's `caddy`, its internal
certificate authority for localhost), driven by Chromium: every page draws under the
shipped Content-Security-Policy with no violation reported, the security headers arrive,
and a visitor through the proxy is never the local administrator. Also: a page whose host
name was made to resolve to 127.0.0.1 (DNS rebinding) gets no administrator either.

Needs /usr/bin/caddy (or PMHC_CADDY); like the browser tests, it skips without it unless
CI or PMHC_REQUIRE_BROWSER is set (`.ci/run` installs Caddy)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import browsing
import pytest
import streamlit
from browsing import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FIRST_LOAD,
    STEP,
    ScriptRuns,
    expect,
    free_port,
    unavailable,
)

from pmhc.domain import access

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CADDYFILE = ROOT / "deploy" / "Caddyfile"
CADDY = os.environ.get("PMHC_CADDY") or shutil.which("caddy") or "/usr/bin/caddy"
PHRASE = "harbour lights 2025"
PAGES = (
    "",
    "data",
    "admin",
    "leadership",
    "policies",
    "training",
    "services",
    "outcomes",
    "review",
)
# Collects what the browser reports as blocked by the page's CSP.
CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def shipped_config(upstream: int, https_port: int, state: Path) -> str:
    """deploy/Caddyfile as shipped, with the app's address for this test and global options
    that keep Caddy to this test: no admin API, no trust store change, no port 80, its
    certificates in a temporary folder."""
    site = CADDYFILE.read_text()
    # Every upstream (app, app2, ...: one process per core) becomes the one test server.
    upstreams = re.findall(r"\bapp\d*:8501\b", site)
    assert "app:8501" in upstreams, "the shipped Caddyfile no longer proxies to app:8501"
    site = re.sub(r"(\bapp\d*:8501\b ?)+", f"127.0.0.1:{upstream} ", site)
    options = (
        "{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n"
        f"\thttp_port {free_port()}\n\thttps_port {https_port}\n"
        f"\tstorage file_system {state / 'data'}\n}}\n"
    )
    return options + site


@contextlib.contextmanager
def behind_caddy(app_url: str, state: Path):
    if not Path(CADDY).exists():
        unavailable(f"Caddy not found at {CADDY} (apt-get install caddy)")
    port = free_port()
    config = state / "Caddyfile"
    config.write_text(shipped_config(int(app_url.rsplit(":", 1)[1]), port, state))
    env = {**os.environ, "PMHC_HOST": "localhost", "HOME": str(state)}
    env |= {"XDG_DATA_HOME": str(state / "data"), "XDG_CONFIG_HOME": str(state / "config")}
    log_path = state / "caddy.log"
    with open(log_path, "wb") as log:
        command = [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"]
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"https://localhost:{port}"
    try:
        _wait_for(
            url, process, log_path, state / "data" / "pki" / "authorities" / "local" / "root.crt"
        )
        yield url
    finally:
        browsing.stop(process)


def _wait_for(url: str, process, log_path: Path, root: Path) -> None:
    """Until Caddy answers over HTTPS with a certificate from its own local authority."""
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            pytest.fail(f"caddy exited with {process.returncode}:\n{log_path.read_text()}")
        with contextlib.suppress(OSError):
            trusted = ssl.create_default_context(cafile=root)
            with urllib.request.urlopen(f"{url}/_stcore/health", context=trusted, timeout=2):
                return
        if time.monotonic() > deadline:
            pytest.fail(f"caddy did not answer in 30 s:\n{log_path.read_text()}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, browser):
    """(URL through Caddy, workspace): the app with a viewer and an admin passphrase."""
    workspace = tmp_path_factory.mktemp("ws-proxy")
    state = tmp_path_factory.mktemp("caddy")
    secrets = workspace.parent / "proxy-secrets.toml"
    secrets.write_text(f'[pmhc.passphrases]\nadmin = "{access.hash_passphrase(PHRASE)}"\n')
    args = ("--secrets.files", str(secrets))
    with (
        browsing.running_app(workspace, None, args, PMHC_ALLOWED_HOSTS="localhost") as app,
        behind_caddy(app, state) as url,
    ):
        yield url, workspace


@pytest.fixture
def page(browser):
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 1400, "height": 1000}
    )
    context.set_default_timeout(STEP)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.console_csp = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and page.console_csp.append(m.text),
    )
    yield page
    context.close()


def csp_of(text: str) -> str:
    return re.search(r'Content-Security-Policy "([^"]+)"', text).group(1)


def test_the_inline_script_hash_matches_the_installed_streamlit():
    html = (Path(streamlit.__file__).parent / "static" / "index.html").read_text()
    inline = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    hashes = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in inline}
    policy = csp_of(CADDYFILE.read_text())
    assert {f"'sha256-{h}'" for h in hashes} <= set(re.split(r"[\s;]+", policy))
    assert "'unsafe-eval'" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


def test_every_page_draws_under_the_shipped_policy(proxied, page):
    url, _ = proxied
    runs = ScriptRuns(page)
    response = page.goto(url)
    headers = response.all_headers()
    assert headers["content-security-policy"] == csp_of(CADDYFILE.read_text())
    assert "max-age=" in headers["strict-transport-security"]
    assert headers["referrer-policy"] == "no-referrer" and headers["x-frame-options"] == "DENY"
    page.get_by_label("Passphrase").fill(PHRASE)
    before = runs.finished
    page.get_by_role("button", name="Enter").click()
    page.get_by_test_id("stSidebar").wait_for(timeout=FIRST_LOAD)
    for path in PAGES:
        if path:  # through the navigation: a new address would be a new, signed-out session
            before = runs.finished
            page.locator(".st-key-page_links").locator(f"a[href='{path}']").click()
            page.wait_for_url(re.compile(rf"/{path}$"))
        expect(page.locator("h1").first).to_be_visible(timeout=FIRST_LOAD)
        if path in ("", "outcomes", "services"):  # pages with charts: they must draw
            chart = page.locator(".vega-embed canvas, .vega-embed svg").first
            expect(chart).to_be_visible(timeout=FIRST_LOAD)
        # Late styles, fonts and workers report too: the run finished, the charts drawn and
        # the fonts loaded are waited on (a violation after that shows on the next page).
        runs.wait(before, timeout=FIRST_LOAD / 1000)
        browsing.charts_settled(page)
        page.evaluate("document.fonts.ready.then(() => true)")
        reported = page.evaluate("window.__csp")
        assert not reported and not page.console_csp, (path, reported, page.console_csp)
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    # A report arriving late on the last page, which no next page would show.
    reported = page.evaluate("window.__csp")
    assert not reported and not page.console_csp, ("last page", reported, page.console_csp)


def test_through_the_proxy_nobody_is_the_local_administrator(browser, tmp_path):
    """With no sign-in configured, the app on 127.0.0.1 behind a local proxy: every
    request arrives from 127.0.0.1, yet it speaks for someone else (X-Forwarded-For)."""
    workspace = tmp_path / "ws"
    with (
        browsing.running_app(workspace) as app,
        behind_caddy(app, tmp_path) as url,
    ):
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name="Sign-in is not set up")).to_be_visible(
            timeout=FIRST_LOAD
        )
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        expect(page.get_by_text("Local administrator")).to_have_count(0)
        context.close()


def test_a_rebound_host_name_gets_no_administrator(browser, tmp_path):
    """attacker.example resolving to 127.0.0.1: the browser sends Host: attacker.example
    and a matching Origin, which Streamlit accepts; the app must not."""
    rules = "--host-resolver-rules=MAP attacker.example 127.0.0.1"
    with browsing.running_app(tmp_path / "ws") as app:
        launch = browser.browser_type.launch  # a second Chromium, names resolved as above
        chromium = launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules])
        page = chromium.new_page()
        page.goto(app.replace("localhost", "attacker.example"))
        expect(page.get_by_role("heading", name="Sign-in is not set up")).to_be_visible(
            timeout=FIRST_LOAD
        )
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        chromium.close()
