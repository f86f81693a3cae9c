"""In a real browser: two partner servers (`PMHC_AUDIENCE=partner`), one on an export and one
on the same export with everything but the district swapped between calls of two small
districts. Every websocket message the browser receives is decoded (Streamlit's ForwardMsg)
and, once session ids and random file ids are removed, must be identical for both — on every
page, and with the district and period filters changed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from pmhc import cli
from tests import partner_exports as exports
from tests.test_browser import STARTUP, free_port
from tests.test_browser import browser as browser  # the Chromium fixture, shared

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["", "leadership", "policies", "training", "services", "outcomes", "review"]
CHOICES = [("District", "Bayside"), ("Period", "2024"), ("District", "Other districts")]
# Ids a session or a render draws at random (never from the data). Message hashes are of
# the content, and a cached message is sent again as its hash alone: they are compared,
# except for a message holding a random id.
VOLATILE = {"sessionId", "scriptRunId", "deferredFileId"}


def published(folder: Path, frame) -> Path:
    folder.mkdir(parents=True)
    path = folder / "calls_export.csv"
    path.write_bytes(exports.csv_bytes(frame))
    assert cli.main(["load", str(path), "--data-dir", str(folder / "ws")]) == 0
    assert cli.main(["publish", "--data-dir", str(folder / "ws")]) == 0
    return folder / "ws"


class PartnerServer:
    """`streamlit run app.py` as a partner server on a workspace."""

    def __init__(self, workspace: Path, log: Path):
        self.port = free_port()
        env = {**os.environ, "PMHC_DATA_DIR": str(workspace), "PMHC_AUDIENCE": "partner"}
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.url = f"http://localhost:{self.port}"
        deadline = time.monotonic() + STARTUP
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"streamlit exited:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer in {STARTUP} s:\n{log.read_text()}")
            time.sleep(0.25)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def strip(value):
    if isinstance(value, dict) and "deferredFileId" in str(value):
        value = {k: v for k, v in value.items() if k != "hash"}
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def session_messages(browser, url: str) -> list[dict]:
    """Visit every page, changing the filters on each; every message received, decoded."""
    received: list[dict] = []
    finished = []

    def on_frame(payload):
        if isinstance(payload, str):
            return
        msg = ForwardMsg.FromString(payload)
        if msg.WhichOneof("type") == "script_finished":
            finished.append(msg.script_finished)
        received.append(strip(MessageToDict(msg)))

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))

    def settle(before: int) -> None:
        deadline = time.monotonic() + 60
        while len(finished) <= before:
            if time.monotonic() > deadline:
                raise AssertionError("the script run did not finish")
            page.wait_for_timeout(100)
        page.wait_for_timeout(300)  # late messages of the same run

    try:
        for name in PAGES:
            before = len(finished)
            page.goto(f"{url}/{name}")
            settle(before)
            for label, option in CHOICES:
                before = len(finished)
                box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
                box.filter(has_text=label).click()
                page.get_by_role("option", name=option, exact=True).click()
                settle(before)
    finally:
        context.close()
    return received


def test_partner_websocket_messages_are_identical(browser, tmp_path):
    base = published(tmp_path / "a", exports.base_export())
    swapped = published(tmp_path / "b", exports.swap_small_districts(exports.base_export()))
    messages = []
    for workspace, name in ((base, "a"), (swapped, "b")):
        server = PartnerServer(workspace, tmp_path / f"{name}.log")
        try:
            messages.append(session_messages(browser, server.url))
        finally:
            server.stop()
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text()
    first, second = messages
    deltas = [m for m in first if "delta" in m]
    charts = [m for m in deltas if "vegaLiteChart" in m["delta"].get("newElement", {})]
    assert len(deltas) > 100 and len(charts) >= 6, "the pages were not drawn"
    assert "1,247" in str(first)  # the MH calls of the export: the figures were received
    assert len(first) == len(second)
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        assert a == b, f"message {i} differs"
