"""share_aggregates: the same count (event, filter, window) is kept once, read by all."""

from __future__ import annotations

from irkit import AMOUNT, count, on, program

from leadflow.compiler import ir
from leadflow.compiler.passes import share_aggregates

SIX_MONTHS = ir.Dur(months=6)
BIG = ir.Compare(">", AMOUNT, ir.Const(100))


def test_two_rules_counting_the_same_thing_share_one_aggregate():
    first = on(0, count=ir.CountCheck(0, ">=", 3))
    second = on(1, count=ir.CountCheck(1, "==", 3))
    third = on(2, when=ir.Compare(">", ir.AggValue(2), ir.Const(1)))
    p = program([first, second, third],
                aggregates=[count(0, within=SIX_MONTHS), count(1, within=SIX_MONTHS),
                            count(2, within=SIX_MONTHS)])
    after = share_aggregates(p)
    assert after.aggregates == (count(0, within=SIX_MONTHS),)
    assert [r.count for r in after.rules] == [ir.CountCheck(0, ">=", 3), ir.CountCheck(0, "==", 3), None]
    assert after.rules[2].when == ir.Compare(">", ir.AggValue(0), ir.Const(1))


def test_different_filters_or_windows_are_not_shared():
    aggs = [count(0, within=SIX_MONTHS), count(1, where=BIG, within=SIX_MONTHS),
            count(2, within=ir.Dur(months=5)), ir.Aggregate(3, "sum", 0, "amount", None, SIX_MONTHS)]
    p = program([on(i, count=ir.CountCheck(i, ">=", 1)) for i in range(4)], aggregates=aggs)
    assert share_aggregates(p) == p
