"""Refresh docs/screenshots/*.png from a running app on the sample data (`make app`, or any
URL): every page at 1280 x 800 and on a phone at 390 x 844, meeting mode, the partner
preview on a phone, and the first page of the meeting pack.

    python -m tools.screenshots http://localhost:8501

Chromium at /usr/bin/chromium (or PMHC_CHROMIUM). Each shot waits until the script run has
been drawn and every chart has its SVG. The PNGs are reduced to 256 colours (a page is
mostly flat colour), so that docs/ stays small."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PAGES = ["overview", "data", "admin", "leadership", "policies", "training", "services"]
PAGES += ["outcomes", "review"]
SIZES = {"1280": (1280, 800), "390": (390, 844)}
# The README's pictures: (file, page, size).
README = [
    ("overview", "overview", "1280"),
    ("outcomes", "outcomes", "1280"),
    ("services", "services", "1280"),
    ("training-phone", "training", "390"),
]
DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  return Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    .every(c => c.querySelector('svg .role-title'));
}"""


def save(png: bytes, name: str) -> None:
    """A 256-colour PNG: a third of the size of the browser's, and the same to read."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        OUT / f"{name}.png", optimize=True
    )


def settle(page) -> None:
    page.wait_for_function(DRAWN, polling=200, timeout=120_000)
    page.wait_for_timeout(1500)  # vega-embed resizes a chart to its column after drawing


def every_page(browser, url: str) -> dict[tuple[str, str], bytes]:
    shots = {}
    for size, (width, height) in SIZES.items():
        page = browser.new_page(viewport={"width": width, "height": height})
        for name in PAGES:
            page.goto(f"{url}/{'' if name == 'overview' else name}")
            page.locator("h1").first.wait_for(timeout=120_000)
            settle(page)
            shots[name, size] = page.screenshot()
            save(shots[name, size], f"{name}-{size}")
        page.close()
    return shots


def toggled(browser, url: str, label: str, name: str, size: str) -> None:
    """The overview with a sidebar toggle on (meeting mode, the partner preview)."""
    page = browser.new_page(viewport=dict(zip(("width", "height"), SIZES["1280"], strict=True)))
    page.goto(url)
    settle(page)
    page.get_by_test_id("stSidebar").get_by_text(label, exact=True).click()
    page.wait_for_timeout(1000)
    settle(page)
    if size != "1280":
        width, height = SIZES[size]
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
    save(page.screenshot(), name)
    page.close()


def pack_page(browser) -> None:
    """The meeting pack's first page (the summary), as printed on A4, from the sample."""
    from pmhc.analysis.filters import Filters
    from pmhc.application import actor
    from pmhc.application import report as use
    from pmhc.present import report
    from pmhc.storage.workspace import Workspace

    with tempfile.TemporaryDirectory() as folder:
        pack = use.meeting_pack(Workspace(Path(folder)), actor.OPERATOR, Filters())
    page = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    page.set_content(report.to_html(pack))
    box = page.locator("section.summary").bounding_box()  # a screen has no page breaks
    height = min(box["y"] + box["height"] + 12, 1123) if box else 1123
    save(page.screenshot(clip={"x": 0, "y": 0, "width": 794, "height": height}), "meeting-pack")
    page.close()


def shoot(url: str) -> None:
    chromium = os.environ.get("PMHC_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        shots = every_page(browser, url)
        for name, page, size in README:
            save(shots[page, size], name)
        toggled(browser, url, "Meeting mode", "meeting-mode", "1280")
        toggled(browser, url, "Partner view", "partner-overview-390", "390")
        pack_page(browser)
        browser.close()


if __name__ == "__main__":
    shoot(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8501")
