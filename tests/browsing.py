"""What the browser tests share: `streamlit run app.py` on a free port with its own
workspace, the Playwright `expect`, and waits on what the page does (a script run finished,
charts drawn) instead of fixed sleeps. The fixtures (`browser`, `server`, `page`) are in
conftest.py.

Needs Chromium at /usr/bin/chromium (or PMHC_CHROMIUM). Without it the browser tests skip,
but fail when CI=1 or PMHC_REQUIRE_BROWSER=1 is set (`.ci/run` and `make test` set it), so
CI never passes without running them."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PMHC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REQUIRED = any(
    os.environ.get(v, "").lower() not in ("", "0", "false") for v in ("CI", "PMHC_REQUIRE_BROWSER")
)
STARTUP = 60  # seconds for the server to answer its health check
FIRST_LOAD = 90_000  # ms: the first page view reads the sample workbooks
STEP = 30_000  # ms for any later step
POLL = 100  # ms between two looks at a condition


def unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (browser tests are required: CI or PMHC_REQUIRE_BROWSER is set)")
    pytest.skip(reason)


def free_port() -> int:
    """A port no one listens on now: the OS picks it, so parallel test workers (xdist) do
    not collide."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP
    while True:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"streamlit did not answer in {STARTUP} s:\n{log_path.read_text()}")
        time.sleep(POLL / 1000)  # polled until healthy, bounded by the deadline


@contextlib.contextmanager
def running_app(workspace: Path, port: int | None = None, args: tuple = (), **env_extra: str):
    """`streamlit run app.py` on a free port with the given workspace; yields its URL and
    stops the server on exit. The log must hold no traceback."""
    port = port or free_port()
    log_path = workspace.parent / f"streamlit-{workspace.name}-{port}.log"
    env = {**os.environ, "PMHC_DATA_DIR": str(workspace), **env_extra}
    if "PMHC_AUDIENCE" not in env_extra:
        env.pop("PMHC_AUDIENCE", None)
    command = [
        *(sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")),
        *("--server.port", str(port), "--server.headless", "true"),
        *("--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"),
        *args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        _wait_healthy(process, url, log_path)
        yield url
    finally:
        stop(process)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()


def stop(process: subprocess.Popen) -> None:
    """Ask a server to stop; kill it when it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def oidc_issuer(accounts: dict[str, dict]):
    """A local OpenID Connect provider (oidc-provider-mock) with these accounts (subject:
    claims, each named after its subject); yields its issuer URL."""
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the test provider speaks plain HTTP
    try:
        from oidc_provider_mock import User, run_server_in_thread
    except ImportError:
        pytest.fail("oidc-provider-mock is not installed (requirements-dev.txt)")
    users = [User(sub=sub, claims={**claims, "name": sub}) for sub, claims in accounts.items()]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@contextlib.contextmanager
def signed_in_app(workspace: Path, issuer: str, roles: str):
    """The app with sign-in through `issuer`, whose e-mails are trusted, and the
    `[pmhc.roles]` table `roles` (TOML lines); yields its URL."""
    port = free_port()
    secrets = workspace.parent / f"secrets-{workspace.name}.toml"
    secrets.write_text(
        f"""
[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "test-cookie-secret-0123456789abcdef"
client_id = "pmhc-dashboard"
client_secret = "test-client-secret"
server_metadata_url = "{issuer}/.well-known/openid-configuration"

[pmhc]
trusted_email_issuers = ["{issuer}"]

[pmhc.roles]
{roles}
"""
    )
    args = ("--secrets.files", str(secrets))
    with running_app(workspace, port, args, AUTHLIB_INSECURE_TRANSPORT="1") as url:
        yield url


def expect(locator):
    """Playwright's `expect`, waiting up to STEP (not its 5 s default: two test workers, an
    app server and Chromium share the two cores)."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=STEP)
    return playwright_expect(locator)


# The page has drawn what the last run sent: Streamlit marks its root with the run's state,
# each element left from an earlier run as stale, and shows a skeleton where an element's
# code (a chart's, a widget's) is still loading.
DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]');
}"""


class ScriptRuns:
    """Every websocket message a page receives from Streamlit, decoded (its ForwardMsg):
    `wait(before)` returns once a script run has finished after `before` runs, the server
    has then been quiet, and the page has drawn it, so a test waits on the app rather than
    on a clock. Attach it before the page opens the app (it hears new websockets)."""

    QUIET = 300  # ms with no new message once a run has finished
    EARLY = 2  # ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN: another run follows

    def __init__(self, page, keep=None):
        self.page = page
        self.finished = 0
        self.frames = 0
        self._keep = keep  # called with each decoded message
        page.on("websocket", lambda ws: ws.on("framereceived", self._on_frame))

    def _on_frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg.FromString(payload)
        self.frames += 1
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != self.EARLY:
            self.finished += 1
        if self._keep is not None:
            self._keep(msg)

    def wait(self, before: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.finished <= before:
            if time.monotonic() > deadline:
                raise AssertionError(f"no script run finished in {timeout} s")
            self.page.wait_for_timeout(POLL)
        # A run may be followed by late messages (or a rerun): wait until none arrive for
        # QUIET ms, still within the deadline.
        seen, quiet_since = -1, time.monotonic()
        while self.frames != seen or time.monotonic() - quiet_since < self.QUIET / 1000:
            if time.monotonic() > deadline:
                raise AssertionError(f"Streamlit kept sending messages for {timeout} s")
            if self.frames != seen:
                seen, quiet_since = self.frames, time.monotonic()
            self.page.wait_for_timeout(POLL)
        left = max(deadline - time.monotonic(), 1)
        self.page.wait_for_function(DRAWN, polling=POLL, timeout=left * 1000)


# Every chart drawn as SVG with its title, and the charts' boxes the same at two looks in a
# row (vega-embed resizes a chart to its column after the first draw).
CHARTS_SETTLED = """() => {
  const charts = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
  if (!charts.every(c => c.querySelector('svg .role-title'))) return false;
  const boxes = JSON.stringify(charts.map(c => {
    const b = c.querySelector('svg').getBoundingClientRect();
    return [b.left, b.top, b.width, b.height];
  }));
  const same = window.__pmhcChartBoxes === boxes;
  window.__pmhcChartBoxes = boxes;
  return same;
}"""


def charts_settled(page, timeout: int = FIRST_LOAD) -> None:
    """Every chart drawn and at the same size at two looks taken from now on."""
    page.evaluate("() => { window.__pmhcChartBoxes = undefined; }")
    page.wait_for_function(CHARTS_SETTLED, polling=200, timeout=timeout)


def visit(page, url: str) -> None:
    """Open `url` (the app's address and a page) in this tab and wait until its script run
    has finished and every chart is drawn. When the app is open in the tab already and
    the address is a page without a query, the page's own link is followed, as a user
    moves between pages: the session stays, and the browser does not load and compile the
    app's code again, which is half the processor time of a page opened by its address."""
    heard = getattr(page, "script_runs", None)  # a ScriptRuns made now hears no open app
    runs = heard or ScriptRuns(page)
    page.script_runs = runs
    parts = urllib.parse.urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    name = parts.path.strip("/")  # '' for the app's first page
    link = page.locator(f"[data-testid='stPageLink-NavLink'][href='{name}']")
    in_app = bool(heard) and not parts.query and page.url.startswith(base + "/")
    in_app = in_app and link.count() > 0
    before = runs.finished
    if in_app and page.url.split("?")[0].rstrip("/") != url.rstrip("/"):
        link.first.dispatch_event("click")  # a hidden link (a phone's closed menu) too
        page.wait_for_url(lambda now: now.split("?")[0].rstrip("/") == url.rstrip("/"))
    else:
        page.goto(url)
    runs.wait(before, timeout=FIRST_LOAD / 1000)
    page.locator("h1").first.wait_for(timeout=FIRST_LOAD)
    charts_settled(page)


def open_menu_for(page, link, section: str) -> None:
    """Make a link of the navigation at the top visible: its section opens as a menu on a
    click (or was open, when a click closes it). Waits on the link, not on a clock."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(3):
        if link.is_visible():
            return
        page.get_by_text(section, exact=True).first.click()
        # a click that closed a menu that was open times out here: the next one opens it
        with contextlib.suppress(PlaywrightError):
            link.wait_for(state="visible", timeout=2_000)


def small_workbook(path: Path) -> Path:
    """A calls-only export: a title row, then 40 calls in three districts."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Calls"
    ws.append(["Metro PD calls for service, January 2025"])
    ws.append(["Incident #", "Rcvd Date", "Rcvd Time", "Call Type", "District", "Disposition"])
    types = ["PERSON IN CRISIS", "SUICIDE THREAT", "OVERDOSE", "NOISE COMPLAINT"]
    dispositions = ["Transported to ED", "Subject Arrested", "Resolved on Scene"]
    for i in range(40):
        ws.append(
            [
                f"M25-{i:04d}",
                dt.date(2025, 1, 1 + i % 28),
                f"{i % 24:02d}:{5 * i % 60:02d}",
                types[i % 4],
                ("Alpha", "Bravo", "Charlie")[i % 3],
                dispositions[i % 3],
            ]
        )
    wb.save(path)
    return path


RUNNING: list[Chromium] = []  # this process's Chromium (one), for `reclaim` after each module


class Chromium:
    """Headless Chromium for one test process, handing out browser contexts.

    A context is the process's one *profile on disk* when nobody holds it and only a
    viewport is asked for: the app's scripts are then compiled once and their code cached
    by the browser, where a fresh incognito context compiles them on every page opened by
    its address (2.05 against 3.1 processor-seconds a load, measured). Given back with
    `close()`, it keeps its cache and nothing else: its pages are closed, its cookies and
    every site's stored data cleared. Anything else (a second context while the profile is
    held, other options) is a fresh incognito context of a second Chromium."""

    def __init__(self, playwright, profile: Path):
        launch = {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}
        self._launch = launch
        self.browser_type = playwright.chromium
        self._profile = playwright.chromium.launch_persistent_context(str(profile), **launch)
        self._first_page = self._profile.pages[0] if self._profile.pages else None
        self._holder: _Profile | None = None
        self._incognito = None
        RUNNING.append(self)

    def new_context(self, viewport: dict | None = None, **options):
        if self._holder is not None or options:
            if self._incognito is None:
                self._incognito = self.browser_type.launch(**self._launch)
            return self._incognito.new_context(viewport=viewport, **options)
        self._holder = _Profile(self, viewport)
        return self._holder

    def _release(self) -> None:
        self._holder = None

    def reclaim(self) -> None:
        """Take the profile back from a test that failed before closing its context."""
        if self._holder is not None:
            self._holder.close()

    def close(self) -> None:
        RUNNING.remove(self)
        self._profile.close()
        if self._incognito is not None:
            self._incognito.close()


class _Profile:
    """The profile's context as a test's own: what is set on it (a viewport, a default
    timeout, routes, scripts run before a page's own) holds for the pages it opens."""

    # What a site may keep (cookies are cleared for every host at once). Kept on purpose:
    # the HTTP and code caches, which are the point, and history.
    CLEARED = (
        "local_storage,session_storage,indexeddb,service_workers,cache_storage,file_systems,websql"
    )

    def __init__(self, owner: Chromium, viewport: dict | None):
        self._owner, self._context = owner, owner._profile
        self._viewport, self._timeout = viewport, None
        self._routes: list[tuple] = []
        self._scripts: list[str] = []
        self._pages: list = []
        self._origins: set[str] = set()
        self._context.on("page", self._note_page)  # popups too, as a context's own pages

    def _note_page(self, page) -> None:
        """A page of this context's (opened by the test, or a popup): it gets what was set."""
        if self._context is None or page in self._pages:
            return
        self._pages.append(page)
        page.on("framenavigated", self._note_origin)
        if self._viewport:
            page.set_viewport_size(self._viewport)
        if self._timeout is not None:
            page.set_default_timeout(self._timeout)
        for script in self._scripts:
            page.add_init_script(script)
        for pattern, handler in self._routes:
            page.route(pattern, handler)

    def new_page(self):
        page = self._context.new_page()
        self._note_page(page)
        return page

    def _note_origin(self, frame) -> None:
        parts = urllib.parse.urlsplit(frame.url)
        if parts.scheme in ("http", "https"):
            self._origins.add(f"{parts.scheme}://{parts.netloc}")

    def set_default_timeout(self, ms: float) -> None:
        self._timeout = ms
        for page in self._pages:
            page.set_default_timeout(ms)

    def route(self, pattern, handler) -> None:
        self._routes.append((pattern, handler))
        for page in self._pages:
            page.route(pattern, handler)

    def add_init_script(self, script: str) -> None:
        self._scripts.append(script)
        for page in self._pages:  # from their next navigation on, as a context does
            page.add_init_script(script)

    def close(self) -> None:
        if self._context is None:
            return
        context, self._context = self._context, None
        context.remove_listener("page", self._note_page)
        for page in context.pages:
            if page is not self._owner._first_page:
                page.close()
        context.clear_cookies()
        if self._origins:
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            for origin in self._origins:
                cdp.send(
                    "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": self.CLEARED}
                )
            cdp.detach()
            page.close()
        self._owner._release()
