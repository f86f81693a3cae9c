"""In a real browser: two partner servers (`PMHC_AUDIENCE=partner`), one on an export and one
on the same export with everything but the district swapped between calls of two small
districts. Every websocket message the browser receives is decoded (Streamlit's ForwardMsg)
and, once session ids and random file ids are removed, must be identical for both — on every
page, and with the district and period filters changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browsing import ScriptRuns, running_app
from google.protobuf.json_format import MessageToDict

pytestmark = pytest.mark.browser

PAGES = ["", "leadership", "policies", "training", "services", "outcomes", "review"]
CHOICES = [("District", "Bayside"), ("Period", "2024"), ("District", "Other districts")]
# Ids a session or a render draws at random (never from the data). Message hashes are of
# the content, and a cached message is sent again as its hash alone: they are compared,
# except for a message holding a random id.
VOLATILE = {"sessionId", "scriptRunId", "deferredFileId"}


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
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    runs = ScriptRuns(page, keep=lambda msg: received.append(strip(MessageToDict(msg))))
    try:
        for name in PAGES:
            before = runs.finished
            page.goto(f"{url}/{name}")
            runs.wait(before)
            for label, option in CHOICES:
                before = runs.finished
                box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
                box.filter(has_text=label).click()
                page.get_by_role("option", name=option, exact=True).click()
                runs.wait(before)
    finally:
        context.close()
    return received


def test_partner_websocket_messages_are_identical(
    browser, published_base, published_export, tmp_path
):
    base = published_base
    # the pair's changed export, published once per run (conftest.py), in a copy of its own
    swapped = Path(shutil.copytree(published_export("swap_small_districts"), tmp_path / "b" / "ws"))
    messages = []
    for workspace in (base, swapped):  # one partner server at a time; no traceback in its log
        with running_app(workspace, PMHC_AUDIENCE="partner") as url:
            messages.append(session_messages(browser, url))
    first, second = messages
    deltas = [m for m in first if "delta" in m]
    charts = [m for m in deltas if "vegaLiteChart" in m["delta"].get("newElement", {})]
    assert len(deltas) > 100 and len(charts) >= 6, "the pages were not drawn"
    assert "1,247" in str(first)  # the MH calls of the export: the figures were received
    assert len(first) == len(second)
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        assert a == b, f"message {i} differs"
