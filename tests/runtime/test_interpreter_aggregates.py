"""Aggregates over the lead's history, with windows (t - D, t] (SPEC 4, docs/semantics.md)."""

from __future__ import annotations

import pytest
from interpreter_helpers import run

HISTORY = [
    ("2024-01-01T00:00", "purchase", {"amount": 10.0, "category": "a"}),
    ("2024-01-02T00:00", "purchase", {"amount": 30.0, "category": "b"}),
    ("2024-01-03T00:00", "purchase", {"category": "a"}),                 # amount missing
    ("2024-01-04T00:00", "purchase", {"amount": 20.0, "category": "c"}),
    ("2024-01-05T00:00", "probe"),
]


def probe(expr: str, history=HISTORY, timezone: str = "UTC"):
    """The value of `expr` when the probe event arrives, read back from a send argument."""
    rules = f"""
timezone "{timezone}"
event purchase(amount: number, category: text)
event probe
lead(vip: bool)
on probe send "v" with v = {expr}
"""
    result = run(rules, history)
    (action,) = [a for a in result.actions if a.target == "v"]
    return action.args["v"]


@pytest.mark.parametrize("expr, expected", [
    ("count(purchase)", 4),
    ("count(purchase where amount > 15)", 2),
    ("count(purchase within 2 days)", 1),                  # (3 Jan, 5 Jan]: only 4 Jan
    ("count(purchase within 3 days)", 2),
    ("sum(purchase.amount)", 60.0),
    ("sum(purchase.amount within 2 days)", 20.0),
    ("sum(purchase.amount where category == \"z\")", 0),
    ("min(purchase.amount)", 10.0),
    ("max(purchase.amount within 4 days)", 30.0),          # (1 Jan, 5 Jan]
    ("avg(purchase.amount)", 20.0),                        # the missing amount is skipped
    ("distinct(purchase.category)", 3),
    ("distinct(purchase.category within 3 days)", 2),      # a, c
    ("since(purchase) == 1 day", True),                    # durations compare in µs
    ("since(purchase where category == \"b\") == 72 hours", True),
    ("since(purchase) > 24 hours", False),
    ("since(purchase where 1 == 2) is missing", True),
], ids=lambda v: str(v))
def test_aggregate_values(expr, expected):
    assert probe(expr) == expected


@pytest.mark.parametrize("expr", ["min(purchase.amount where amount > 100)",
                                  "avg(purchase.amount within 1 hour)"])
def test_empty_aggregates_are_missing(expr):
    assert probe(expr) is None


def test_since_the_current_event_is_zero():
    assert probe("since(probe) < 1 minute") is True
    assert probe("since(probe) is missing") is False


def test_month_windows_are_calendar_months_in_the_ruleset_timezone():
    history = [("2024-02-29T10:00", "purchase", {"amount": 1.0}),
               ("2024-08-31T09:00", "purchase", {"amount": 2.0}),
               ("2024-08-31T10:00", "probe")]
    # 31 Aug 10:00 minus 6 months is 29 Feb 10:00 local: that purchase is just outside
    assert probe("count(purchase within 6 months)", history, "Europe/Madrid") == 1
    history[0] = ("2024-02-29T10:01", "purchase", {"amount": 1.0})
    assert probe("count(purchase within 6 months)", history, "Europe/Madrid") == 2


def test_a_filter_that_reads_the_lead_is_evaluated_on_the_current_state():
    # `where lead.vip` cannot be cached per event: it changes when the attribute changes.
    rules = """
event purchase(amount: number)
event promote
lead(vip: bool)
rule promote_it: on promote set lead.vip = true
rule r: on purchase send "n" with n = count(purchase where lead.vip == true)
"""
    result = run(rules, [("2024-01-01", "purchase"), ("2024-01-02", "purchase"),
                         ("2024-01-03", "promote"), ("2024-01-04", "purchase")],
                 attrs={"vip": False})
    assert [a.args["n"] for a in result.actions] == [0, 0, 3]


def test_cached_whole_history_aggregates_agree_with_windows_that_cover_everything():
    many = [(f"2024-01-{d:02d}T{h:02d}:00", "purchase", {"amount": float(d * h % 7), "category": "x"})
            for d in range(1, 29) for h in (9, 15)] + [("2024-01-29", "probe")]
    for func in ("count(purchase where amount > 2{w})", "sum(purchase.amount{w})",
                 "min(purchase.amount{w})", "max(purchase.amount where amount < 6{w})",
                 "avg(purchase.amount{w})", "distinct(purchase.amount{w})"):
        assert probe(func.format(w=""), many) == probe(func.format(w=" within 100 years"), many)
