"""watch_settle: the values every settle condition reads, or None when the time matters."""

from __future__ import annotations

import pytest
from irkit import DAY, count, on, program, rule

from leadflow.compiler import ir
from leadflow.compiler.passes import watch_settle

SCORE_20 = ir.Compare(">=", ir.Score(0), ir.Const(20))
VIP = ir.Tagged("vip")
BOUGHT = ir.Compare(">=", ir.AggValue(0), ir.Const(1))


def watched(p: ir.Program):
    return watch_settle(p).settle_watch


def test_stage_and_when_conditions_are_watched_in_first_use_order():
    p = program([on(0), rule(1, "when", when=ir.And(VIP, BOUGHT))],
                aggregates=[count(0, storage="counter")],
                stages=("a", "b"), stage_conds=(None, SCORE_20))
    assert watched(p) == (VIP, ir.AggValue(0), ir.Score(0))


def test_while_conditions_read_lead_attributes_and_the_stage_name_is_its_index():
    tier = ir.Compare(">", ir.LeadAttr(0), ir.Const(2))
    named = ir.Compare("==", ir.StageName(), ir.Const("b"))
    p = program([rule(0, "while", when=ir.Or(tier, named))], stages=("a", "b"),
                stage_conds=(None, SCORE_20))
    assert watched(p) == (ir.LeadAttr(0), ir.StageIndex(), ir.Score(0))


CASES = [
    ("the time", ir.Compare(">", ir.Now(), ir.Const(0)), []),
    ("a since", ir.IsMissing(ir.SinceValue(0)), []),
    ("a calendar length", ir.Compare(">", ir.CalendarLength(1), ir.Const(0)), []),
    ("a windowed count", BOUGHT, [count(0, within=DAY, storage="recent", keep=1)]),
    ("a history scanned at read time", BOUGHT, [count(0)]),
]


@pytest.mark.parametrize("cond, aggregates", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_condition_that_reads_the_time_settles_every_time(cond, aggregates):
    p = program([rule(0, "when", when=cond)], aggregates=aggregates)
    assert watched(p) is None


def test_constant_conditions_need_one_settle_only():
    p = program([rule(0, "when", when=ir.Const(True))])
    assert watched(p) == ()


def test_a_ruleset_without_settle_is_left_alone():
    p = program([on(0)])
    assert watch_settle(p) is p


def conditions(p: ir.Program):
    return watch_settle(p).settle_conditions


def test_conditions_that_cannot_raise_are_watched_themselves():
    p = program([on(0), rule(1, "when", when=ir.And(VIP, BOUGHT))],
                aggregates=[count(0, storage="counter")],
                stages=("a", "b"), stage_conds=(None, SCORE_20))
    # A score moving from 31 to 32 changes a watched value, not these: no settle then.
    assert conditions(p) == (ir.And(VIP, BOUGHT), SCORE_20)


def test_a_condition_that_may_raise_is_left_to_settle():
    ratio = ir.Compare(">", ir.Arith("/", ir.Const(100), ir.Score(0)), ir.Const(2))
    p = program([rule(0, "when", when=ratio)], stages=("a", "b"), stage_conds=(None, SCORE_20))
    assert watched(p) == (ir.Score(0),)  # the values are still watched
    assert conditions(p) is None  # a division by zero must be raised inside settle


def test_no_conditions_are_watched_when_the_time_matters():
    p = program([rule(0, "when", when=ir.Compare(">", ir.Now(), ir.Const(0)))])
    assert conditions(p) is None
