"""`leadflow diff` end to end: checked against two separate `leadflow run`s of the versions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from shop_log import leadflow, read_csv

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "zapateria.leadflow"
EVENTS = str(ROOT / "examples" / "data" / "zapateria_events.csv")
LEADS = str(ROOT / "examples" / "data" / "zapateria_leads.csv")
SHOP_TEXT = SHOP.read_text("utf-8")

# One rule changed; and a change that also declares an event the old version ignores.
CHANGES = {
    "one-rule": [("rule click:    on email_click add 2", "rule click:    on email_click add 3")],
    "new-event": [("event delivered\n", "event delivered\nevent newsletter_signup\n"),
                  ("rule open:     on email_open add 1",
                   "rule open:     on email_open add 1\nrule news: on newsletter_signup add 25")],
}


def modified(tmp_path: Path, change: str) -> str:
    text = SHOP_TEXT
    for old, new in CHANGES[change]:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / f"{change}.leadflow"
    path.write_text(text, "utf-8")
    return str(path)


def run_outputs(tmp_path: Path, ruleset: str, name: str) -> tuple[dict, Counter]:
    """leads.csv by lead, and actions.csv as a multiset of (lead, at, kind, target, args)."""
    out = tmp_path / name
    result = leadflow("run", ruleset, EVENTS, "--leads", LEADS, "--out", str(out), "-q")
    assert result.exit_code == 0, result.stderr
    leads = {row["lead_id"]: row for row in read_csv(out / "leads.csv")}
    actions = Counter((r["lead_id"], r["at"], r["kind"], r["target"], json.dumps(json.loads(r["args"])))
                      for r in read_csv(out / "actions.csv"))
    return leads, actions


def test_diff_of_a_ruleset_with_itself_reports_no_change(tmp_path):
    result = leadflow("diff", str(SHOP), str(SHOP), EVENTS, "--leads", LEADS, "--fail-on-change",
                      "--format", "json", "--detail", str(tmp_path / "detail.csv"))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["leads"] == 440 and summary["changed"] == 0
    assert summary["actions"] == [] and summary["tags"] == {}
    assert all(cell["old"] == cell["new"] for cell in summary["stage_matrix"])
    assert read_csv(tmp_path / "detail.csv") == []
    text = leadflow("diff", str(SHOP), str(SHOP), EVENTS)
    assert "No lead changes" in text.stdout


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_reports_exactly_the_leads_and_actions_it_affects(tmp_path, change):
    new = modified(tmp_path, change)
    detail = tmp_path / "detail.jsonl"
    result = leadflow("diff", str(SHOP), new, EVENTS, "--leads", LEADS, "--detail", str(detail),
                      "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    rows = [json.loads(line) for line in detail.read_text().splitlines()]

    old_leads, old_actions = run_outputs(tmp_path, str(SHOP), "old")
    new_leads, new_actions = run_outputs(tmp_path, new, "new")
    changed_actions = (new_actions - old_actions) + (old_actions - new_actions)
    expected = {lead for lead in old_leads if old_leads[lead] != new_leads[lead]}
    expected |= {key[0] for key in changed_actions}
    assert expected, "the change must affect some lead"
    assert {r["lead_id"] for r in rows} == expected
    assert summary["changed"] == len(expected)

    def keyed(row: dict, side: str) -> Counter:
        return Counter((row["lead_id"], a["at"], a["kind"], a["target"], json.dumps(a["args"]))
                       for a in row[f"actions_{side}"])

    assert sum((keyed(r, "added") for r in rows), Counter()) == new_actions - old_actions
    assert sum((keyed(r, "removed") for r in rows), Counter()) == old_actions - new_actions
    for row in rows:  # every final stage and score agrees with the runs' leads.csv
        lead = row["lead_id"]
        assert (row["old_stage"], row["new_stage"]) == (old_leads[lead]["stage"],
                                                        new_leads[lead]["stage"])
        assert str(row["scores"]["engagement"]["new"]) == new_leads[lead]["engagement"]
    matrix = Counter({(c["old"], c["new"]): c["leads"] for c in summary["stage_matrix"]})
    assert matrix == Counter((old_leads[k]["stage"], new_leads[k]["stage"]) for k in old_leads)


def test_fail_on_change_exits_1_and_markdown_is_a_table(tmp_path):
    new = modified(tmp_path, "one-rule")
    result = leadflow("diff", str(SHOP), new, EVENTS, "--fail-on-change", "--format", "markdown")
    assert result.exit_code == 1
    assert result.stdout.startswith("### leadflow diff:")
    assert "| old \\ new | visitor | mql | sql |" in result.stdout
    assert "| send | buying_guide |" in result.stdout


def test_the_text_summary_names_every_section(tmp_path):
    result = leadflow("diff", str(SHOP), modified(tmp_path, "one-rule"), EVENTS, "--leads", LEADS)
    assert result.exit_code == 0, result.stderr
    for heading in ("leads change:", "Stage at as-of", "Score change", "Actions"):
        assert heading in result.stdout


@pytest.mark.parametrize("args, code, message", [
    (["missing.csv"], 2, "no such file"),
    ([EVENTS, "--as-of", "someday"], 2, "--as-of"),
    ([EVENTS, "--detail", "/nonexistent/dir/d.csv"], 2, "--detail"),
], ids=["missing-log", "bad-as-of", "bad-detail-path"])
def test_usage_errors_exit_2_without_a_traceback(args, code, message):
    result = leadflow("diff", str(SHOP), str(SHOP), *args)
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_ruleset_with_errors_exits_1(tmp_path):
    broken = tmp_path / "broken.leadflow"
    broken.write_text(SHOP_TEXT.replace("on email_click add 2", "on email_clik add 2"), "utf-8")
    result = leadflow("diff", str(SHOP), str(broken), EVENTS)
    assert result.exit_code == 1
    assert "email_clik" in result.stderr and "Traceback" not in result.stderr
