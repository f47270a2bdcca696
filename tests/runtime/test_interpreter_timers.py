"""`every … without`, timer ordering, equal timestamps and as-of (SPEC 4, 9)."""

from __future__ import annotations

from interpreter_helpers import engine, run, score, sends

from leadflow.semantics import timemath

EVENTS = """
event email_open
event purchase(amount: number)
score s
"""


def test_every_without_activity_fires_each_period_until_activity():
    rules = EVENTS + "rule cool: every 30 days without activity subtract 5\n"
    events = [("2024-01-01", "purchase")]
    assert score(run(rules, events, as_of="2024-01-30T23:59"), "s") == 0
    assert score(run(rules, events, as_of="2024-01-31"), "s") == -5
    assert score(run(rules, events, as_of="2024-03-30"), "s") == -10  # 31 Jan and 1 Mar
    assert score(run(rules, events, as_of="2024-03-31"), "s") == -15  # and 31 Mar
    # an event restarts the clock: next firing 30 days after it
    events = [("2024-01-01", "purchase"), ("2024-01-20", "email_open")]
    assert score(run(rules, events, as_of="2024-02-18T23:59"), "s") == 0
    assert score(run(rules, events, as_of="2024-02-19"), "s") == -5


def test_every_without_an_event_counts_from_the_first_event_then_from_each_x():
    rules = EVENTS + 'rule lapsed: every 10 days without purchase send "miss_you"\n'
    events = [("2024-01-01", "email_open"),          # clock starts at the first event
              ("2024-01-05", "email_open"),          # not a purchase: no restart
              ("2024-01-15", "purchase"),            # restart
              ("2024-01-20", "email_open")]
    result = run(rules, events, as_of="2024-02-05")
    assert [t for t, _ in sends(result)] == ["2024-01-11T00:00:00Z", "2024-01-25T00:00:00Z",
                                             "2024-02-04T00:00:00Z"]


def test_timer_firings_are_not_activity():
    rules = EVENTS + "rule a: every 1 day without activity add 1\nrule b: every 2 days without activity add 100\n"
    assert score(run(rules, [("2024-01-01", "email_open")], as_of="2024-01-05"), "s") == 4 + 200


def test_calendar_every_counts_from_the_anchor_without_drift():
    rules = EVENTS + 'rule monthly: every 1 month without purchase send "m"\n'
    result = run(rules, [("2024-01-31T10:00", "purchase")], as_of="2024-05-01")
    assert [t for t, _ in sends(result)] == ["2024-02-29T10:00:00Z", "2024-03-31T10:00:00Z",
                                             "2024-04-30T10:00:00Z"]


def test_calendar_every_keeps_local_time_across_dst():
    rules = 'timezone "Europe/Madrid"\n' + EVENTS + 'rule monthly: every 1 month without purchase send "m"\n'
    result = run(rules, [("2024-03-15T10:00", "purchase")], as_of="2024-04-20")
    # 10:00 CET is 09:00Z; a month later 10:00 CEST is 08:00Z
    assert [t for t, _ in sends(result)] == ["2024-04-15T08:00:00Z"]


def test_timers_due_at_t_fire_before_events_at_t():
    # The expiry at exactly t runs before the event at t, so the event's `when` sees it gone.
    rules = EVENTS + """
rule promo: on purchase add 10 expires after 1 day
rule check: on email_open when s == 0 tag "expired_first"
"""
    result = run(rules, [("2024-01-01", "purchase"), ("2024-01-02", "email_open")])
    assert result.tags == ("expired_first",)


def test_equal_timestamps_keep_input_order():
    rules = EVENTS + """
rule first: on email_open when count(purchase) == 0 tag "open_first"
rule buy: on purchase add 1
"""
    assert run(rules, [("2024-01-01", "email_open"), ("2024-01-01", "purchase")]).tags == ("open_first",)
    assert run(rules, [("2024-01-01", "purchase"), ("2024-01-01", "email_open")]).tags == ()


def test_as_of_leaves_later_timers_pending_and_advancing_fires_them():
    eng = engine(EVENTS + "rule promo: on purchase add 10 expires after 5 days\n")
    state = eng.new_lead("a", {})
    tz = eng.timezone
    eng.feed(state, timemath.parse_instant("2024-01-01", tz), "purchase", {"amount": 1.0})
    eng.advance(state, timemath.parse_instant("2024-01-03", tz))
    assert eng.result(state).scores["s"] == 10
    eng.advance(state, timemath.parse_instant("2024-01-06", tz))
    assert eng.result(state).scores["s"] == 0


def test_timers_with_equal_due_times_fire_in_creation_order():
    rules = EVENTS + """
rule x: on purchase send "first" expires after 1 day
rule y: on purchase add 1 expires after 1 day
flow f
  start on purchase
  wait 1 day
  send "after_wait"
end
"""
    result = run(rules, [("2024-01-01", "purchase")], as_of="2024-01-02", trace=True)
    timers = [e.text for e in result.trace if e.kind in ("timer", "expire")]
    assert timers == ["y: 1 expired → s 0", "f: wait over"]


def test_feeding_out_of_order_is_refused():
    eng = engine(EVENTS)
    state = eng.new_lead("a", {})
    eng.feed(state, 10, "email_open", {})
    try:
        eng.feed(state, 5, "email_open", {})
    except ValueError as exc:
        assert "time order" in str(exc)
    else:
        raise AssertionError("an earlier event was accepted")
