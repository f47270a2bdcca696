"""Flows (SPEC 5, docs/semantics.md "Flows")."""

from __future__ import annotations

from interpreter_helpers import run, score, sends

CART = """
event page_view(url: text)
event purchase(amount: number)
event email_open
score s
flow cart
  start on page_view where url matches "*/cesta*"
  stop on purchase
  send "cart_items"
  wait 2 days
  if count(page_view within 2 days) >= 1
    send "busy_reminder"
  else
    send "quiet_reminder" with first = url
  end
  wait 3 days
  send "coupon"
end
"""


def targets(result):
    return [t for _, t in sends(result)]


def test_steps_run_up_to_each_wait():
    result = run(CART, [("2024-01-01", "page_view", {"url": "/cesta"})], as_of="2024-01-10")
    assert sends(result) == [("2024-01-01T00:00:00Z", "cart_items"),
                             ("2024-01-03T00:00:00Z", "quiet_reminder"),
                             ("2024-01-06T00:00:00Z", "coupon")]
    # a bare field name in the steps reads the event that started the flow
    assert result.actions[1].args == {"first": "/cesta"}


def test_if_is_decided_when_reached():
    events = [("2024-01-01", "page_view", {"url": "/cesta"}),
              ("2024-01-02", "page_view", {"url": "/home"})]
    assert targets(run(CART, events, as_of="2024-01-10")) == ["cart_items", "busy_reminder", "coupon"]


def test_stop_event_cancels_the_pending_wait():
    events = [("2024-01-01", "page_view", {"url": "/cesta"}), ("2024-01-02", "purchase")]
    assert targets(run(CART, events, as_of="2024-01-10")) == ["cart_items"]


def test_a_start_while_live_is_ignored_and_a_finished_flow_can_start_again():
    events = [("2024-01-01", "page_view", {"url": "/cesta/1"}),
              ("2024-01-02", "page_view", {"url": "/cesta/2"}),    # live: ignored
              ("2024-01-07", "page_view", {"url": "/cesta/3"})]    # ended on the 6th: starts again
    result = run(CART, events, as_of="2024-01-08")
    assert targets(result) == ["cart_items", "busy_reminder", "coupon", "cart_items"]


def test_wait_ending_with_a_stop_at_the_same_instant_runs_the_step_first():
    events = [("2024-01-01", "page_view", {"url": "/cesta"}), ("2024-01-03", "purchase")]
    assert targets(run(CART, events, as_of="2024-01-10")) == ["cart_items", "quiet_reminder"]


def test_rules_act_before_flows_and_a_stop_and_start_trigger_restarts():
    rules = """
event page_view(url: text)
score s
rule seen: on page_view add 5
flow echo
  start on page_view
  stop on page_view
  send "echo" with s = s
  wait 10 days
  send "late"
end
"""
    result = run(rules, [("2024-01-01", "page_view", {"url": "/"}),
                         ("2024-01-02", "page_view", {"url": "/"})])
    # the first steps see the state after the rules; the second view stops and restarts it
    assert [a.args["s"] for a in result.actions] == [5.0, 10.0]


def test_start_and_stop_actions_from_rules():
    rules = CART + """
rule go: on email_open start cart
rule halt: on purchase where amount > 100 stop cart
"""
    result = run(rules, [("2024-01-01", "email_open"), ("2024-01-02", "email_open")],
                 as_of="2024-01-10")
    # started by a rule: the steps have no triggering event, so `url` is missing
    assert targets(result) == ["cart_items", "quiet_reminder", "coupon"]
    assert result.actions[1].args == {"first": None}


def test_flow_score_steps_run_one_after_another():
    rules = """
event e
score s
flow f
  start on e
  add 10
  send "after_add" with s = s
  subtract 50%
  send "after_half" with s = s
end
"""
    result = run(rules, [("2024-01-01", "e")])
    assert [a.args["s"] for a in result.actions] == [10.0, 5.0]
    assert score(result, "s") == 5


def test_a_flow_can_stop_itself():
    rules = """
event e
flow f
  start on e
  send "one"
  stop f
  send "two"
end
"""
    assert targets(run(rules, [("2024-01-01", "e")])) == ["one"]
