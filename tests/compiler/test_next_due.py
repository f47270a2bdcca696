"""`next_due`: when a lead's first timer that will do something is due.

`run --state` indexes its saved leads by it (runtime/incremental.py): a later run
loads a lead only when new rows name it or this time has come. Both engines give
the same time, the first of the lead's pending timers (pending.csv); the compiled
module's own bound (`tnext`) may be earlier, left behind by a timer that will do
nothing (the wait of a stopped flow, an `every` deadline an event moved later).
"""

from __future__ import annotations

from engines import by_lead, load
from hypothesis import given, note
from hypothesis import strategies as st
from ruleset_strategies import event_logs, lead_attrs, rulesets

from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.engine import RulesetRuntimeError
from leadflow.runtime.interpreter import Interpreter
from leadflow.semantics import timemath

DAY = 86_400_000_000

CART = """
event view(url: text)
event purchase

flow cart
  start on view where url matches "*/cart*"
  stop on purchase
  send "cart_items"
  wait 2 days
  send "reminder"
end

rule cooling: every 30 days without activity subtract 5
score engagement min 0
rule viewed: on view add 1
"""


def at(text: str) -> int:
    return timemath.parse_instant(text, "UTC")


def test_a_stopped_flow_wait_is_not_a_timer_to_wake_for():
    model = load(CART)
    compiled, interpreter = CompiledEngine(model), Interpreter(model)
    for engine in (compiled, interpreter):
        lead = engine.new_lead("L1", {})
        engine.feed(lead, at("2024-06-01T10:00:00Z"), "view", {"url": "/cart"})
        engine.feed(lead, at("2024-06-01T11:00:00Z"), "purchase", {})  # stops the flow
        engine.advance(lead, at("2024-06-01T12:00:00Z"))
        # The flow's wait (due 2024-06-03T10:00) will do nothing; the cooling clock,
        # restarted by the purchase, is the lead's next timer.
        assert engine.next_due(lead) == at("2024-07-01T11:00:00Z"), type(engine).__name__
        if engine is compiled:
            assert compiled.module.next_due(lead) == at("2024-06-03T10:00:00Z")  # the bound


@given(rulesets(), event_logs(), lead_attrs(), st.integers(0, 45))
def test_both_engines_give_the_first_pending_timer(ruleset, rows, attrs, extra_days):
    text = ruleset.source()
    note(text)
    model = load(text)
    engines = {"interpreter": Interpreter(model), "compiled": CompiledEngine(model)}
    as_of = max(r.ts for r in rows) + extra_days * DAY
    for lead_id, mine in by_lead(rows).items():
        found = {}
        for name, engine in engines.items():
            try:
                lead = engine.new_lead(lead_id, attrs)
                for row in mine:
                    engine.feed(lead, row.ts, row.event, row.values)
                engine.advance(lead, as_of)
            except RulesetRuntimeError:
                found[name] = "error"
                continue
            due = engine.next_due(lead)
            first = min((s.due for s in engine.scheduled(lead)), default=None)
            assert due == first, (name, lead_id, due, first)
            assert due is None or due > as_of, (name, lead_id, due, as_of)
            found[name] = due
        if "error" not in found.values():
            assert found["compiled"] == found["interpreter"], (lead_id, found)
