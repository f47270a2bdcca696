"""`leadflow explain` end to end through the CLI, with the reference interpreter."""

from __future__ import annotations

import json

import pytest
from shop_log import EVENTS, leadflow, read_csv, write_events, write_leads, write_ruleset


def explain(tmp_path, lead: str, *extra: str):
    return leadflow("explain", write_ruleset(tmp_path), write_events(tmp_path, "csv"),
                    "--leads", write_leads(tmp_path), "--lead", lead, *extra)


def test_the_timeline_shows_events_rules_timers_and_scores(tmp_path):
    result = explain(tmp_path, "ana")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.splitlines()[0].startswith("Lead ana in shop (times in UTC, as-of ")
    header = next(line for line in text.splitlines() if line.strip().startswith("at "))
    assert header.split() == ["at", "kind", "engagement", "fit", "stage", "what"]
    rows = [line.split() for line in text.splitlines()]
    # Every event of ana appears, in time order, and the purchase over 100 fired `big`.
    events = [r for r in rows if len(r) > 2 and r[1] == "event"]
    assert len(events) == sum(1 for e in EVENTS if e[0] == "ana")
    assert any("big:" in line for line in text.splitlines())
    # 1 + 10 + 10 + 4 - four coolings of 2.5 = 15
    assert "Final: engagement 15, fit 5, stage mql" in text
    assert "visitor -> mql" in text


def test_the_final_state_agrees_with_run(tmp_path):
    run = leadflow("run", write_ruleset(tmp_path), write_events(tmp_path, "csv"), "--leads",
                   write_leads(tmp_path), "--out", tmp_path / "out")
    assert run.exit_code == 0, run.stderr
    for row in read_csv(tmp_path / "out" / "leads.csv"):
        result = explain(tmp_path, row["lead_id"], "--json")
        assert result.exit_code == 0, result.stderr
        final = json.loads(result.stdout)["final"]
        assert {k: str(v) for k, v in final["scores"].items()} == {
            "engagement": row["engagement"], "fit": row["fit"]}
        assert final["stage"] == row["stage"] and ";".join(final["tags"]) == row["tags"]


def test_json_for_tools(tmp_path):
    result = explain(tmp_path, "bob", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["lead_id"] == "bob" and data["timezone"] == "Europe/Madrid"
    kinds = [step["kind"] for step in data["timeline"]]
    assert kinds.count("event") == 3 and "timer" in kinds  # the cart flow's wait, the cooling
    assert all(step["at"].endswith("Z") and set(step["scores"]) == {"engagement", "fit"}
               for step in data["timeline"])
    assert [a["target"] for a in data["final"]["actions"]] == ["cart_items", "reminder"]


def test_a_lead_with_attributes_only_and_rows_not_applied(tmp_path):
    result = explain(tmp_path, "eve")
    assert result.exit_code == 0, result.stderr
    assert "Final: engagement 0, fit 5, stage visitor" in result.stdout
    messy = tmp_path / "messy.csv"
    messy.write_text("lead_id,event,ts\nzoe,email_open,2024-01-01\nzoe,email_open,later\n"
                     "zoe,unsubscribe,2024-01-01\n")
    result = leadflow("explain", write_ruleset(tmp_path), messy, "--lead", "zoe")
    assert result.exit_code == 0, result.stderr
    assert f"{messy} row 2: rejected: cannot read time 'later'" in result.stdout
    assert f"{messy} row 3: ignored: event type 'unsubscribe' is not in the ruleset" in result.stdout


def test_an_unknown_lead_is_a_usage_error(tmp_path):
    result = explain(tmp_path, "nobody")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: lead 'nobody' is in none of the inputs"


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_explain_names_the_rules_that_start_and_stop_a_flow(tmp_path, engine):
    """SPEC 8: explain shows each rule that fired, also one whose only action is `start FLOW`."""
    rules = tmp_path / "f.leadflow"
    rules.write_text('event visit(url: text)\nevent buy\n'
                     'rule kick: on visit where url matches "*cart*" start nurture\n'
                     'rule halt: on buy stop nurture\n'
                     'flow nurture\n  send "hello"\n  wait 1 day\n  send "again"\nend\n')
    events = tmp_path / "f.csv"
    events.write_text("lead_id,event,ts,url\na,visit,2024-01-01T00:00:00Z,/cart\n"
                      "a,buy,2024-01-01T06:00:00Z,\n")
    result = leadflow("explain", rules, events, "--lead", "a", "--engine", engine)
    assert result.exit_code == 0, result.stderr
    assert "nurture: starts (started by kick)" in result.stdout
    assert "nurture: stops (stopped by halt)" in result.stdout


@pytest.mark.parametrize("engine", ["compiled", "interpreter"])
def test_explain_shows_a_held_flow_send_cancelled_when_the_flow_stops(tmp_path, engine):
    """SPEC 9 (Delivery): a flow's send held by quiet hours dies with its run, and explain says so."""
    rules = tmp_path / "f.leadflow"
    rules.write_text('quiet hours 00:00 to 08:00\nevent visit(url: text)\nevent buy\n'
                     'flow nurture\n  start on visit\n  stop on buy\n  send "hello"\n'
                     '  wait 1 day\n  send "again"\nend\n')
    events = tmp_path / "f.csv"
    events.write_text("lead_id,event,ts,url\na,visit,2024-01-01T04:00:00Z,/cart\n"
                      "a,buy,2024-01-01T06:00:00Z,\n")
    result = leadflow("explain", rules, events, "--lead", "a", "--engine", engine,
                      "--as-of", "2024-01-03T00:00:00Z")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert 'nurture: send "hello" held by quiet hours until' in out
    assert out.index("nurture: stops (stop on buy)") < \
        out.index('nurture: held send "hello" cancelled (the flow stopped)')
    assert "quiet hours over" not in out
