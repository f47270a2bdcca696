"""inline_filters: every FilterCall becomes the expression it wraps; nothing else changes."""

from __future__ import annotations

from irkit import AMOUNT, BUY, VIEW, count, on, program

from leadflow.compiler import ir
from leadflow.compiler.passes import inline_filters

BIG = ir.Compare(">", AMOUNT, ir.Const(100))
CALL = ir.FilterCall(BIG)


def test_rule_filters_are_unwrapped():
    p = inline_filters(program([on(0, where=CALL, when=ir.FilterCall(ir.Tagged("vip")))]))
    assert (p.rules[0].where, p.rules[0].when) == (BIG, ir.Tagged("vip"))


def test_aggregate_tracker_and_flow_filters_are_unwrapped():
    flow = ir.Flow(0, "f", "t.leadflow", 1, BUY, (ir.FlowTrigger(BUY, CALL),),
                   (ir.FlowTrigger(VIEW, ir.FilterCall(ir.Const(True))),), ())
    p = inline_filters(program([], aggregates=[count(0, where=CALL)],
                               trackers=[ir.Tracker(0, BUY, CALL)], flows=[flow]))
    assert p.aggregates[0].where == BIG and p.trackers[0].where == BIG
    assert (p.flows[0].starts[0].where, p.flows[0].stops[0].where) == (BIG, ir.Const(True))


def test_a_replayed_filter_is_left_as_it_is():
    replayed = ir.Compare(">", AMOUNT, ir.Score(0))  # lower never wraps one
    p = program([], aggregates=[count(0, where=replayed, storage="replay")])
    assert inline_filters(p) == p


def test_a_program_without_filter_calls_is_unchanged():
    p = program([on(0, where=BIG)])
    assert inline_filters(p) == p
