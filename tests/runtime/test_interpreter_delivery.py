"""Delivery policy: send limit and quiet hours (SPEC 6, docs/semantics.md "Delivery")."""

from __future__ import annotations

from interpreter_helpers import run, sends

BASE = """
timezone "Europe/Madrid"
event e(n: int)
rule mail: on e send "m" with n = n
rule tell: on e notify "team"
"""


def test_send_limit_suppresses_over_the_cap_in_a_sliding_window():
    rules = BASE + "send limit 2 per 1 day\n"
    events = [(f"2024-06-01T{h}:00", "e", {"n": i}) for i, h in enumerate(["10", "11", "12"])]
    events.append(("2024-06-02T10:00", "e", {"n": 3}))  # exactly a day after the first: it left
    result = run(rules, events)
    assert [(a.kind, a.args["n"]) for a in result.actions if a.target == "m"] == [
        ("send", 0), ("send", 1), ("suppressed", 2), ("send", 3)]
    assert len(sends(result, "notify")) == 4  # notifications are never capped


def test_suppressed_sends_do_not_count_toward_the_limit():
    rules = BASE + "send limit 1 per 2 hours\n"
    events = [("2024-06-01T10:00", "e", {"n": 0}), ("2024-06-01T11:00", "e", {"n": 1}),
              ("2024-06-01T12:00", "e", {"n": 2})]
    result = run(rules, events)
    assert [a.kind for a in result.actions if a.target == "m"] == ["send", "suppressed", "send"]


def test_quiet_hours_delay_sends_to_the_end_of_the_period():
    rules = BASE + "quiet hours 22:00 to 08:00\n"
    result = run(rules, [("2024-06-01T23:30", "e", {"n": 1})], as_of="2024-06-02T09:00")
    assert sends(result) == [("2024-06-02T06:00:00Z", "m")]            # 08:00 CEST
    assert sends(result, "notify") == [("2024-06-01T21:30:00Z", "team")]  # not delayed
    assert result.actions[-1].args == {"n": 1}  # arguments taken when the send was made
    # before 08:00 as-of, the send is still pending
    assert sends(run(rules, [("2024-06-01T23:30", "e", {"n": 1})], as_of="2024-06-02T07:59")) == []


def test_quiet_hours_bounds_are_half_open():
    rules = BASE + "quiet hours 22:00 to 08:00\n"
    assert sends(run(rules, [("2024-06-01T22:00", "e", {"n": 1})], as_of="2024-06-03")) == [
        ("2024-06-02T06:00:00Z", "m")]
    assert sends(run(rules, [("2024-06-02T08:00", "e", {"n": 1})])) == [("2024-06-02T06:00:00Z", "m")]


def test_limit_is_checked_at_delivery_after_quiet_hours():
    rules = BASE + "quiet hours 22:00 to 08:00\nsend limit 2 per 1 day\n"
    events = [("2024-06-01T23:00", "e", {"n": 0}), ("2024-06-01T23:10", "e", {"n": 1}),
              ("2024-06-01T23:20", "e", {"n": 2})]
    result = run(rules, events, as_of="2024-06-02T12:00")
    assert [(a.kind, a.args["n"], a.at) for a in result.actions if a.target == "m"] == [
        ("send", 0, result.actions[3].at), ("send", 1, result.actions[3].at),
        ("suppressed", 2, result.actions[3].at)]
    assert sends(result)[0][0] == "2024-06-02T06:00:00Z"


def test_a_daytime_quiet_period():
    rules = BASE + "quiet hours 13:00 to 15:30\n"
    assert sends(run(rules, [("2024-01-10T14:00", "e", {"n": 1})], as_of="2024-01-11")) == [
        ("2024-01-10T14:30:00Z", "m")]  # 15:30 CET
