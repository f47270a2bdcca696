"""`on` rules, actions and modifiers (SPEC 4, docs/semantics.md "Rules and modifiers")."""

from __future__ import annotations

import pytest
from interpreter_helpers import engine, run, score, sends

from leadflow.runtime.engine import RulesetRuntimeError

SHOP = """
event purchase(amount: number, category: text)
event email_open
lead(country: text, tier: int)
"""


def test_where_filters_events_and_unlabelled_rule_changes_first_score():
    rules = SHOP + """
score engagement
score fit
on purchase where amount > 100 add 10
"""
    result = run(rules, [("2024-01-01", "purchase", {"amount": 100.0}),
                         ("2024-01-02", "purchase", {"amount": 100.5})])
    assert result.scores == {"engagement": 10, "fit": 0}


def test_first_example_count_within_six_months():
    rules = SHOP + "on purchase count>=3 within 6 months add 15\n"
    events = [("2024-01-10", "purchase", {"amount": 50.0}),
              ("2024-03-01", "purchase", {"amount": 20.0})]
    assert score(run(rules, events)) == 0
    third = events + [("2024-05-20", "purchase", {"amount": 80.0})]
    assert score(run(rules, third)) == 15
    # the first purchase is exactly 6 months before the third: (t - 6 months, t] leaves it out
    edge = [("2024-01-10", "purchase", {}), ("2024-03-01", "purchase", {}),
            ("2024-07-10", "purchase", {})]
    assert score(run(rules, edge)) == 0


def test_count_uses_the_same_filter_as_where():
    rules = SHOP + 'on purchase where category == "boda" count == 2 add 1\n'
    events = [("2024-01-01", "purchase", {"category": "boda"}),
              ("2024-01-02", "purchase", {"category": "botas"}),
              ("2024-01-03", "purchase", {"category": "boda"}),
              ("2024-01-04", "purchase", {"category": "boda"})]
    assert score(run(rules, events)) == 1


def test_when_clause_on_an_event_rule_sees_the_event_counted():
    rules = SHOP + "on purchase when count(purchase) == 1 add 5\n"
    events = [("2024-01-01", "purchase", {}), ("2024-01-02", "purchase", {})]
    assert score(run(rules, events)) == 5


def test_all_rules_of_one_event_see_the_same_state():
    # b reads the score before a's points: both read 0, so b adds 0 and c is not triggered.
    rules = SHOP + """
score s
rule a: on email_open add 10
rule b: on email_open add s
rule c: on email_open when s >= 10 tag "seen_ten"
"""
    result = run(rules, [("2024-01-01", "email_open")])
    assert score(result, "s") == 10
    assert result.tags == ()
    result = run(rules, [("2024-01-01", "email_open"), ("2024-01-02", "email_open")])
    assert score(result, "s") == 30  # 10 + 10 + 10 (b adds the 10 it saw)
    assert result.tags == ("seen_ten",)


def test_subtract_percent_is_computed_from_the_shared_state():
    rules = SHOP + """
rule seed: on purchase add 100
rule decay: on email_open subtract 25%
rule again: on email_open subtract 25%
"""
    result = run(rules, [("2024-01-01", "purchase"), ("2024-01-02", "email_open")])
    assert score(result) == 50  # two quarters of 100, not 100 × 0.75 × 0.75


def test_subtract_percent_moves_a_negative_score_toward_zero():
    rules = SHOP + """
rule debt: on purchase subtract 20
rule decay: on email_open subtract 25%
"""
    result = run(rules, [("2024-01-01", "purchase"), ("2024-01-02", "email_open")])
    assert score(result) == -15


def test_scores_are_clamped_after_each_change():
    rules = SHOP + """
score s min 0 max 12
rule raise_it: on purchase add 10
rule lower_it: on email_open subtract 30
"""
    result = run(rules, [("2024-01-01", "purchase"), ("2024-01-02", "purchase")])
    assert score(result, "s") == 12
    result = run(rules, [("2024-01-01", "purchase"), ("2024-01-02", "email_open"),
                         ("2024-01-03", "purchase")])
    assert score(result, "s") == 10


def test_a_score_starts_at_zero_clamped_into_its_bounds():
    result = run(SHOP + "score s min 5\non email_open add 1\n", [("2024-01-01", "email_open")])
    assert score(result, "s") == 6


def test_amounts_read_event_fields_lead_fields_and_missing_adds_nothing():
    rules = SHOP + "on purchase add amount / 10 + lead.tier\n"
    result = run(rules, [("2024-01-01", "purchase", {"amount": 55.0})], attrs={"tier": 2})
    assert score(result) == 7.5
    # missing amount: missing arithmetic, no change (the rule still fires)
    result = run(rules, [("2024-01-01", "purchase", {})], attrs={"tier": 2})
    assert score(result) == 0


def test_set_tag_untag_later_rule_wins():
    rules = SHOP + """
rule a: on purchase set lead.country = "ES", tag "x"
rule b: on purchase set lead.country = category, untag "x"
"""
    result = run(rules, [("2024-01-01", "purchase", {"category": "FR"})], attrs={"country": "PT"})
    assert result.attrs == {"country": "FR"}
    assert result.tags == ()


def test_set_reads_the_state_before_the_event():
    rules = SHOP + """
rule count_it: on purchase set lead.tier = count(purchase)
rule echo: on purchase send "x" with tier = lead.tier
"""
    result = run(rules, [("2024-01-01", "purchase"), ("2024-01-02", "purchase")],
                 attrs={"tier": 0})
    assert [a.args["tier"] for a in result.actions] == [0, 1]
    assert result.attrs["tier"] == 2


def test_once():
    rules = SHOP + "on email_open add 1 once\n"
    assert score(run(rules, [("2024-01-01", "email_open")] * 1 + [("2024-01-02", "email_open")])) == 1


def test_once_per_is_a_cooldown_over_the_half_open_window():
    rules = SHOP + "on email_open add 1 once per 1 day\n"
    events = [("2024-01-01T10:00", "email_open"), ("2024-01-02T09:59", "email_open"),
              ("2024-01-02T10:00", "email_open"), ("2024-01-02T10:01", "email_open")]
    # 10:00 on the 2nd is exactly one day later: the first firing is outside (t - 1 day, t].
    assert score(run(rules, events)) == 2


def test_up_to_n_times():
    rules = SHOP + 'on email_open add 1, send "hi" up to 2 times\n'
    result = run(rules, [(f"2024-01-0{d}", "email_open") for d in range(1, 6)])
    assert score(result) == 2
    assert len(sends(result)) == 2


def test_capped_at_gives_only_the_rest_and_still_fires():
    rules = SHOP + 'on email_open add 4, send "ping" capped at 10\n'
    result = run(rules, [(f"2024-01-0{d}", "email_open") for d in range(1, 5)])
    assert score(result) == 10
    assert len(sends(result)) == 4  # a fully capped firing still fires its other actions


def test_capped_negative_contribution():
    rules = SHOP + "on email_open subtract 4 capped at 6\n"
    assert score(run(rules, [(f"2024-01-0{d}", "email_open") for d in range(1, 5)])) == -6


def test_expires_after_takes_back_what_was_actually_changed():
    rules = SHOP + """
score s max 15
rule base: on purchase add 10
rule promo: on email_open add 10 expires after 7 days
"""
    events = [("2024-01-01", "purchase"), ("2024-01-02", "email_open")]
    assert score(run(rules, events, as_of="2024-01-08T23:59"), "s") == 15
    # the promo changed the score by 5 (clamped), so 5 is taken back
    assert score(run(rules, events, as_of="2024-01-09"), "s") == 10


def test_expiry_frees_the_cap():
    rules = SHOP + "on email_open add 5 capped at 5 expires after 2 days\n"
    events = [("2024-01-01", "email_open"), ("2024-01-02", "email_open"),
              ("2024-01-03", "email_open")]
    # day 1: +5; day 2: capped (0); day 3: the day-1 points expire first (timers before
    # events), then +5 again.
    assert score(run(rules, events)) == 5
    assert score(run(rules, events, as_of="2024-01-05")) == 0


def test_rule_ids_label_or_stem_and_line():
    rules = SHOP + 'rule hello: on email_open send "a"\non email_open send "b"\n'
    result = run(rules, [("2024-01-01", "email_open")])
    assert [a.rule for a in result.actions] == ["hello", "t:6"]


def test_notify_is_an_outward_action_with_arguments():
    rules = SHOP + 'on purchase notify "sales" with amount = amount, who = lead.country\n'
    result = run(rules, [("2024-01-01", "purchase", {"amount": 12.5})], attrs={"country": "ES"})
    (action,) = result.actions
    assert (action.kind, action.target, action.args) == ("notify", "sales", {"amount": 12.5, "who": "ES"})


def test_expressions_missing_values_and_operators():
    rules = SHOP + """
rule a: on purchase where category in ["boda", "botas"] add 1
rule b: on purchase where category not in ["boda"] add 10
rule c: on purchase where category matches "bo?a*" add 100
rule d: on purchase where category is missing add 1000
rule e: on purchase where not (amount > 5) add 10000
"""
    assert score(run(rules, [("2024-01-01", "purchase", {"category": "botas", "amount": 9.0})])) == 111
    # a missing category: comparisons (in, not in, matches) are false; `not (amount > 5)` holds
    assert score(run(rules, [("2024-01-01", "purchase", {})])) == 11000


def test_undeclared_event_is_ignored_and_is_not_activity():
    rules = SHOP + "every 1 day without activity add 1\n"
    eng_events = [("2024-01-01T00:00", "purchase"), ("2024-01-01T12:00", "mystery")]
    assert score(run(rules, eng_events, as_of="2024-01-02T00:00")) == 1


def test_a_rule_that_fails_at_run_time_is_named_with_its_file_and_line():
    eng = engine("event buy(units: int)\nscore a\n\nrule huge: on buy add units * 2\n")
    state = eng.new_lead("l1", {})
    with pytest.raises(RulesetRuntimeError) as raised:  # an int too large for a float score
        eng.feed(state, 0, "buy", {"units": 10 ** 400})
    assert raised.value.where == "t.leadflow:4" and raised.value.rules == ("huge",)
    assert "t.leadflow:4: huge failed: OverflowError" in str(raised.value)


def test_a_flow_step_that_fails_names_the_flow_and_the_step_line():
    eng = engine("event buy(units: int)\nscore a\nflow f\n  start on buy\n  wait 1 day\n"
                 "  add units * 1.5\nend\n")
    state = eng.new_lead("l1", {})
    eng.feed(state, 0, "buy", {"units": 10 ** 400})
    with pytest.raises(RulesetRuntimeError) as raised:
        eng.advance(state, 86_400_000_000)
    assert (raised.value.where, raised.value.rules) == ("t.leadflow:6", ("f",))
