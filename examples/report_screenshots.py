"""Take the screenshots of docs/report.md from the shipped example's report.

    make demo                                    # writes examples/report.html
    .venv/bin/python examples/report_screenshots.py

Opens examples/report.html in the system's headless Chromium (Playwright drives
it) on a 1366×768 laptop screen and writes docs/report.png (the first screen)
and docs/report-actions.png (the actions section).
"""

from __future__ import annotations

import os
import shutil
import sys

from playwright.sync_api import sync_playwright

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    report = os.path.join(ROOT, "examples", "report.html")
    browser_path = shutil.which("chromium")
    if not os.path.exists(report) or browser_path is None:
        sys.exit("needs examples/report.html (make demo) and chromium (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"file://{report}")
        page.screenshot(path=os.path.join(ROOT, "docs", "report.png"))
        page.locator("#actions").screenshot(path=os.path.join(ROOT, "docs", "report-actions.png"))
        browser.close()
    print("docs/report.png, docs/report-actions.png")


if __name__ == "__main__":
    main()
