"""prune_state: aggregates and trackers nothing reads are dropped."""

from __future__ import annotations

from irkit import AMOUNT, count, on, program

from leadflow.compiler import ir
from leadflow.compiler.passes import prune_state


def test_drops_what_no_rule_reads():
    read = count(0)
    unread = count(1, within=ir.Dur(micros=5))
    tracker = ir.Tracker(0, 0, None)
    p = program([on(0, count=ir.CountCheck(0, ">=", 2))], aggregates=[read, unread],
                trackers=[tracker])
    after = prune_state(p)
    assert after.aggregates == (read,)
    assert after.trackers == ()


def test_keeps_what_an_expression_or_another_filter_reads():
    inner = count(1, within=ir.Dur(micros=5))
    outer = count(0, where=ir.Compare(">", ir.AggValue(1), ir.Const(0)), storage="replay")
    since = ir.Tracker(0, 0, ir.Compare(">", AMOUNT, ir.Const(1)))
    cond = ir.And(ir.Compare(">", ir.AggValue(0), ir.Const(1)),
                  ir.Compare("<", ir.SinceValue(0), ir.Const(9)))
    p = program([on(0, when=cond)], aggregates=[outer, inner], trackers=[since])
    assert prune_state(p) == p
