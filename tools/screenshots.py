"""Refresh docs/screenshots/*.png from a running app (`make app`, or any URL):

    python tools/screenshots.py http://localhost:8501

Chromium at /usr/bin/chromium (or PMHC_CHROMIUM). Each shot waits for every chart's SVG."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# (file, page path, viewport width, height, scroll to the first chart?)
SHOTS = [
    ("overview", "", 1400, 1000, None),
    ("outcomes", "outcomes", 1400, 1000, True),
    ("services", "services", 1400, 1000, True),
    ("training-phone", "training", 390, 1400, True),
]


SCROLL_TO_FIRST_CHART = """() => {
  const chart = document.querySelector('[data-testid="stVegaLiteChart"]');
  chart.scrollIntoView({block: 'start'});
  let box = chart.parentElement;
  while (box && box.scrollHeight <= box.clientHeight) box = box.parentElement;
  (box || window).scrollBy(0, -90);
}"""


def shoot(url: str) -> None:
    chromium = os.environ.get("PMHC_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        for name, path, width, height, scroll_to in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{url}/{path}")
            page.get_by_test_id("stMetric").first.wait_for(timeout=120_000)
            page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for(timeout=60_000)
            page.wait_for_timeout(2500)
            if scroll_to:
                # The first chart at the top, below Streamlit's header bar.
                page.evaluate(SCROLL_TO_FIRST_CHART)
                page.wait_for_timeout(800)
            page.screenshot(path=str(OUT / f"{name}.png"))
            page.close()
        browser.close()


if __name__ == "__main__":
    shoot(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8501")
