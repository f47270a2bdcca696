"""The compiled module's `compact(lead)`: what `run --state` saves of a lead's recent events.

A lead is saved at its clock (the run's as-of) and every later event or timer comes
after it, so the times (and values) older than every window that reads them can never
count again: they are dropped from the snapshot. A lead saved and loaded back goes on
exactly as one that was never saved.
"""

from __future__ import annotations

import json

from engines import load
from hypothesis import given
from hypothesis import strategies as st

from leadflow.compiler.engine import CompiledEngine
from leadflow.semantics import timemath

HOUR = 3_600_000_000
DAY = 24 * HOUR

RULES = """
timezone "Europe/Madrid"
event purchase(amount: number)
event visit
score points
send limit 2 per 1 day
rule big_day: on purchase when sum(purchase.amount within 1 day) >= 500 add 10
rule regular: on purchase count >= 3 within 2 months add 5
rule busy: on visit count >= 2 within 6 hours send "busy"
rule also: on visit send "seen"
"""


def start() -> int:
    return timemath.parse_instant("2024-03-01T09:00:00", "Europe/Madrid")


def saved_windows(engine: CompiledEngine, lead) -> dict:
    """The saved snapshot's containers (what differs from a fresh lead)."""
    return json.loads(engine.save_state(lead))[-1]


def test_entries_older_than_their_window_are_not_saved():
    engine = CompiledEngine(load(RULES))
    lead = engine.new_lead("L1", {})
    t0 = start()
    for day in range(0, 90, 3):  # a purchase and two visits every three days for 3 months
        engine.feed(lead, t0 + day * DAY, "purchase", {"amount": 300.0})
        engine.feed(lead, t0 + day * DAY + HOUR, "visit", {})
        engine.feed(lead, t0 + day * DAY + 2 * HOUR, "visit", {})
    as_of = t0 + 89 * DAY + 12 * HOUR  # 1.5 days after the last rows
    engine.advance(lead, as_of)
    saved = saved_windows(engine, lead)
    # The 1-day sum, the 6-hour visits and the sends of the last day: all older than
    # their windows now, so not saved at all.
    windows = {name: value for name, value in saved.items() if name.startswith(("g", "dl"))}
    kept_times = sorted(t for value in windows.values() for t in value.get("~q", []))
    assert kept_times, "the 2-month window of purchases keeps its recent ones"
    assert all(t > as_of - 63 * DAY for t in kept_times), kept_times
    assert "dl" not in saved  # no send in the last day


@given(st.lists(st.tuples(st.integers(0, 40 * 24), st.sampled_from(["purchase", "visit"]),
                          st.sampled_from([50.0, 250.0, 600.0])), min_size=1, max_size=40),
       st.integers(0, 40 * 24))
def test_a_saved_lead_goes_on_as_one_never_saved(rows, cut_hours):
    """Feed the rows up to a cut, save at the cut and load back, feed the rest: the
    same outputs as feeding everything to one lead."""
    engine = CompiledEngine(load(RULES))
    t0 = start()
    rows = sorted((t0 + h * HOUR, event, amount) for h, event, amount in rows)
    cut = t0 + cut_hours * HOUR
    as_of = rows[-1][0] + 3 * DAY

    def feed(lead, items):
        for ts, event, amount in items:
            engine.feed(lead, ts, event, {"amount": amount} if event == "purchase" else {})

    whole = engine.new_lead("L1", {})
    feed(whole, rows)
    engine.advance(whole, max(as_of, cut))

    first = engine.new_lead("L1", {})
    feed(first, [r for r in rows if r[0] <= cut])
    engine.advance(first, cut)
    before = engine.result(first)
    again = engine.load_state(engine.save_state(first))
    feed(again, [r for r in rows if r[0] > cut])
    engine.advance(again, max(as_of, cut))
    after = engine.result(again)

    expected = engine.result(whole)
    assert after.scores == expected.scores
    assert after.tags == expected.tags
    got_actions = [(a.at, a.rule, a.kind, a.target) for a in before.actions + after.actions]
    assert got_actions == [(a.at, a.rule, a.kind, a.target) for a in expected.actions]
