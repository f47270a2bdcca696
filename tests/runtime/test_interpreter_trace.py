"""The trace `explain` prints: events, timers, each firing's effect, stage changes, with state after."""

from __future__ import annotations

from interpreter_helpers import engine, run

RULES = """
event purchase(amount: number)
score engagement min 0
stage visitor
stage mql when engagement >= 20
rule big: on purchase where amount > 100 add 15
rule promo: on purchase add 5 expires after 1 day
rule hello: on enter mql notify "sales"
rule cool: every 2 days without activity subtract 50%
"""


def test_trace_lists_what_happened_with_scores_and_stage_after():
    result = run(RULES, [("2024-01-01", "purchase", {"amount": 150.0})], as_of="2024-01-03",
                 trace=True)
    lines = [(e.kind, e.text, e.scores["engagement"], e.stage) for e in result.trace]
    assert lines == [
        ("event", "purchase(amount: 150)", 0, "visitor"),
        ("rule", "big: add 15 → engagement 15", 15, "visitor"),
        ("rule", "promo: add 5 → engagement 20", 20, "visitor"),
        ("stage", "visitor → mql", 20, "mql"),
        ("rule", 'hello: notify "sales"', 20, "mql"),
        ("expire", "promo: 5 expired → engagement 15", 15, "mql"),
        ("stage", "mql → visitor", 15, "visitor"),
        ("timer", "cool: 2 day(s) without activity", 15, "visitor"),
        ("rule", "cool: subtract 50% → engagement 7.5", 7.5, "visitor"),
    ]
    assert [e.at for e in result.trace][-1] == result.transitions[-1].at + 86_400_000_000


def test_no_trace_unless_asked():
    eng = engine(RULES)
    state = eng.new_lead("a", {})
    eng.feed(state, 0, "purchase", {"amount": 150.0})
    assert eng.trace(state) == []
