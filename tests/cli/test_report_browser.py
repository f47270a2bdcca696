"""The shipped example's report in a real browser: headless Chromium, driven by Playwright.

Every chart must have drawn marks of non-zero size, the console must stay free
of errors, a click on a column header must sort the table, and the page must
fit a laptop screen's width. A screenshot is saved under pytest's tmp dir.

The browser is the system's (Debian's `chromium`); `.ci/run` installs it and sets
LEADFLOW_BROWSER_TESTS=required, so in CI a missing browser fails this test
instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from shop_log import leadflow
from test_report import HOSTILE_LEAD, LONG_URL, hostile_report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1366, "height": 768}


def chromium() -> str | None:
    return os.environ.get("LEADFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")


def browser_or_skip() -> str:
    """The browser's path; skip when there is none, unless CI requires the test."""
    required = os.environ.get("LEADFLOW_BROWSER_TESTS") == "required"
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[dev]')")
    path = chromium()
    if path is None:
        missing.append("a chromium browser (apt-get install -y chromium)")
    if missing:
        why = f"the browser test needs {' and '.join(missing)}"
        if required:
            pytest.fail(f"{why}; LEADFLOW_BROWSER_TESTS=required")
        pytest.skip(why)
    return path


@pytest.fixture(scope="module")
def example_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = leadflow("report", EXAMPLES / "zapateria.leadflow",
                      EXAMPLES / "data" / "zapateria_events.csv", "--leads",
                      EXAMPLES / "data" / "zapateria_leads.csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    return out


# For each chart: how many of its marks (Vega draws them as paths in groups of class
# role-mark) have a box of non-zero size on screen.
DRAWN_MARKS = """() => Array.from(document.querySelectorAll('figure.chart')).map(figure => ({
  chart: figure.dataset.chart,
  marks: Array.from(figure.querySelectorAll('svg .role-mark path, svg .role-mark rect'))
    .filter(mark => { const box = mark.getBoundingClientRect();
                      return box.width > 0 && box.height > 0; }).length,
}))"""

FIRST_COLUMN = """table => Array.from(table.tBodies[0].rows).map(row => row.cells[0].textContent.trim())"""


def test_the_example_report_draws_in_chromium(example_report, tmp_path):
    path = browser_or_skip()
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.on("console", lambda message: problems.append(f"console {message.type}: "
                                                               f"{message.text}")
                    if message.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
            page.goto(example_report.as_uri())
            page.wait_for_load_state("load")

            charts = page.evaluate(DRAWN_MARKS)
            assert len(charts) >= 5, charts  # funnel, transitions, score, kinds, templates
            assert [c["chart"] for c in charts if c["marks"] == 0] == [], charts

            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= LAPTOP["width"], f"the page is {width}px wide: it scrolls sideways"

            table = page.locator("#actions table.sortable")
            before = table.evaluate(FIRST_COLUMN)
            table.locator("th").first.click()
            after = table.evaluate(FIRST_COLUMN)
            assert after == sorted(before, key=str.casefold) and after != before
            table.locator("th").first.click()
            assert table.evaluate(FIRST_COLUMN) == after[::-1]

            page.locator("#lead-1 summary").click()
            assert page.locator("#lead-1 table.timeline tbody tr").count() > 0
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_hostile_text_runs_nothing_and_long_urls_wrap(tmp_path):
    path = browser_or_skip()
    from playwright.sync_api import sync_playwright

    report = hostile_report(tmp_path)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=LAPTOP)
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(report.as_uri())
            for summary in page.locator("details summary").all():
                summary.click()
            assert page.get_by_text(HOSTILE_LEAD, exact=True).first.is_visible()
            url = page.get_by_text(LONG_URL, exact=False).first
            assert url.is_visible()
            box = url.bounding_box()
            assert box is not None and box["x"] + box["width"] <= LAPTOP["width"]
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= LAPTOP["width"], f"the page is {width}px wide: it scrolls sideways"
        finally:
            browser.close()
    assert dialogs == []  # no alert(): the script and the markup stayed text
