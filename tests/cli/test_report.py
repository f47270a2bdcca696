"""`leadflow report` end to end: the HTML file's figures agree with `run`, hostile text stays text."""

from __future__ import annotations

import re
import sys
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
from shop_log import EVENTS, RULESET, leadflow, read_csv, write_events, write_leads, write_ruleset

from leadflow.runtime.report_data import nice_step

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HOSTILE_LEAD = "<script>alert('lead')</script>"
HOSTILE_TEMPLATE = "<img src=x onerror=alert(1)>"
# Long, and with a stretch where a browser finds no place to break a line by itself.
LONG_URL = ("https://zapatería.example.es/categoría/niños/" + "botas-de-montaña-" * 6
            + "?año=2024&seguimiento=" + "Zx7Qp2Lm9" * 30)


def report(tmp_path: Path, *extra: str, events: str | None = None, ruleset: str | None = None):
    out = tmp_path / "report.html"
    result = leadflow("report", ruleset or write_ruleset(tmp_path),
                      events or write_events(tmp_path, "csv"), "--leads", write_leads(tmp_path),
                      "--out", out, *extra)
    return result, out


def cell_numbers(html: str, section: str, end: str = "</section>") -> dict[str, list[str]]:
    """The rows of the tables in one section (up to `end`): first cell → the other cells' text."""
    body = html.split(f'<section id="{section}">', 1)[1].split(end, 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL):
        cells = [unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_the_report_agrees_with_run(tmp_path):
    result, out = report(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(out.resolve())
    html = out.read_text(encoding="utf-8")
    run = leadflow("run", write_ruleset(tmp_path), write_events(tmp_path, "csv"), "--leads",
                   write_leads(tmp_path), "--out", tmp_path / "out", "--points")
    assert run.exit_code == 0, run.stderr
    leads = read_csv(tmp_path / "out" / "leads.csv")
    actions = read_csv(tmp_path / "out" / "actions.csv")
    stages = Counter(row["stage"] for row in leads)
    funnel = html.split('<section id="funnel">', 1)[1].split("</section>", 1)[0]
    for stage in ("visitor", "mql", "sql"):
        assert f"<b>{stages[stage]}</b><span>{stage}</span>" in funnel
    sends = Counter(a["target"] for a in actions if a["kind"] == "send")
    by_template = cell_numbers(html, "actions")
    assert {t: int(cells[0]) for t, cells in by_template.items() if int(cells[0])} == sends
    points: Counter[tuple[str, str]] = Counter()
    for row in read_csv(tmp_path / "out" / "points.csv"):
        points[row["rule"], row["score"]] += float(row["change"])
    shown = {(rule, cells[0]): float(cells[2].replace(",", ""))
             for rule, cells in cell_numbers(html, "points").items()}
    assert shown == dict(points) and len(shown) >= 4
    top = cell_numbers(html, "top", "</table>")
    best = max(leads, key=lambda row: float(row["engagement"]))
    assert top[best["lead_id"]][0] == best["engagement"]
    assert f"<b>{len(EVENTS)}</b><span>rows read</span>" in html
    assert html.count('class="chart"') >= 4 and "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org', "").replace(
        'xmlns:xlink="http://www.w3.org', "")  # nothing to fetch: opens offline


def hostile_report(tmp_path: Path) -> Path:
    """The shop's report with a script for a lead id, markup for a template and a long URL."""
    events = [*EVENTS,
              (HOSTILE_LEAD, "purchase", "2024-01-04 10:00", {"amount": 900, "category": "bodas"}),
              (HOSTILE_LEAD, "purchase", "2024-01-05 10:00", {"amount": 900, "category": "niños"}),
              (HOSTILE_LEAD, "page_view", "2024-01-05 11:00", {"url": LONG_URL})]
    rules = tmp_path / "hostile.leadflow"
    rules.write_text(RULESET.replace('send "offer"', f'send "{HOSTILE_TEMPLATE}"'), encoding="utf-8")
    result, out = report(tmp_path, events=write_events(tmp_path, "csv", events), ruleset=str(rules))
    assert result.exit_code == 0, result.stderr
    return out


def test_hostile_text_is_shown_as_text(tmp_path):
    html = hostile_report(tmp_path).read_text(encoding="utf-8")
    assert html.count("<script") == 1  # the page's own sorting script, nothing else
    assert "<img" not in html
    assert "&lt;script&gt;alert(&#39;lead&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "niños" in html and LONG_URL.replace("&", "&amp;") in html


def test_as_of_and_engine_are_those_of_run(tmp_path):
    result, out = report(tmp_path, "--as-of", "2024-01-04", "--engine", "interpreter", "--top", "2")
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "As of 2024-01-03T23:00:00Z UTC (given)" in html
    assert len(cell_numbers(html, "top", "</table>")) == 2


@pytest.mark.parametrize("problem", ["missing events", "directory out", "missing out dir"])
def test_usage_errors_exit_2_with_one_line(tmp_path, problem):
    args = {"missing events": ("--out", tmp_path / "r.html"),
            "directory out": ("--out", tmp_path),
            "missing out dir": ("--out", tmp_path / "nowhere" / "r.html")}[problem]
    events = str(tmp_path / "nope.csv") if problem == "missing events" else write_events(tmp_path, "csv")
    result = leadflow("report", write_ruleset(tmp_path), events, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1


def test_a_ruleset_with_errors_exits_1_with_its_diagnostics(tmp_path):
    rules = tmp_path / "bad.leadflow"
    rules.write_text("ruleset bad\nevent open\nrule r: on opne add 1\n", encoding="utf-8")
    result = leadflow("report", rules, write_events(tmp_path, "csv"), "--out", tmp_path / "r.html")
    assert result.exit_code == 1
    assert "bad.leadflow:3:" in result.stderr and "error" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_without_the_charts_library_it_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "vl_convert", None)
    result, out = report(tmp_path)
    assert result.exit_code == 2
    assert "pip install 'leadflow[report]'" in result.stderr
    assert not out.exists()


def test_the_shipped_example_reports_every_section(tmp_path):
    out = tmp_path / "report.html"
    result = leadflow("report", EXAMPLES / "zapateria.leadflow",
                      EXAMPLES / "data" / "zapateria_events.csv", "--leads",
                      EXAMPLES / "data" / "zapateria_leads.csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    for section in ("funnel", "scores", "points", "actions", "top", "quality"):
        assert f'<section id="{section}">' in html
    quality = cell_numbers(html, "quality")
    assert quality["missing lead_id"] == ["4"]
    assert quality["event type newsletter_signup"] == ["30"]


@pytest.mark.parametrize("span, step", [(0, 1), (19, 1), (100, 5), (325, 20), (1e6, 50000),
                                        (0.3, 0.02)])
def test_score_bands_have_round_widths(span, step):
    assert nice_step(span) == pytest.approx(step)


def test_a_ruleset_without_stages_and_a_log_of_bad_rows_still_report(tmp_path):
    rules = tmp_path / "plain.leadflow"
    rules.write_text("ruleset plain\nevent open\nscore s\nrule r: on open add 1\n", encoding="utf-8")
    log = tmp_path / "bad.csv"
    log.write_text("lead_id,event,ts\n,open,2024-01-01\nx,open,ayer\n", encoding="utf-8")
    out = tmp_path / "r.html"
    result = leadflow("report", rules, log, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "see the report's data quality section" in result.stderr  # not a deleted private file
    html = out.read_text(encoding="utf-8")
    assert "declares no stages" in html and "No event was applied" in html
    assert "<svg" not in html  # nothing to draw, and no empty chart pretending otherwise
    assert cell_numbers(html, "quality") == {"missing lead_id": ["1"], "cannot read time 'ayer'": ["1"],
                                             str(log): ["2", "2"]}


HELD_RULES = """timezone "Europe/Madrid"
event signup
event buy
quiet hours 22:00 to 08:00
flow welcome
  start on signup
  stop on buy
  send "bienvenida"
  wait 1 day
  send "recordatorio"
end
"""
# a's welcome is held for the night and called off by a purchase at 07:00; b's goes out at
# 08:00, and b's reminder is due after the as-of.
HELD_EVENTS = """lead_id,event,ts
a,signup,2024-06-01T23:00:00
a,buy,2024-06-02T07:00:00
b,signup,2024-06-01T23:10:00
"""


def test_held_sends_called_off_are_counted_as_cancelled(tmp_path):
    rules = tmp_path / "held.leadflow"
    rules.write_text(HELD_RULES, encoding="utf-8")
    log = tmp_path / "held.csv"
    log.write_text(HELD_EVENTS, encoding="utf-8")
    out = tmp_path / "r.html"
    result = leadflow("report", rules, log, "--out", out, "--as-of", "2024-06-03")
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert cell_numbers(html, "actions")["bienvenida"] == ["1", "0", "1", "0"]
    assert "This run did not record cancelled sends" not in html
