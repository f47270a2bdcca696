"""fuse_rules: a rule is evaluated at its own apply step when nothing before it changes its reads."""

from __future__ import annotations

from irkit import AMOUNT, BUY, ONE, VIEW, on, program, rule

from leadflow.compiler import ir
from leadflow.compiler.passes import fuse_rules

READS_A = ir.Compare(">", ir.Score(0), ir.Const(3))


def fused(rules) -> list[bool]:
    return [r.fused for r in fuse_rules(program(rules)).rules]


def test_independent_rules_are_fused():
    assert fused([on(0, where=ir.Compare(">", AMOUNT, ir.Const(1))), on(1), on(2)]) == [True] * 3


def test_a_rule_reading_a_score_an_earlier_rule_of_its_event_changes_is_not():
    assert fused([on(0), on(1, when=READS_A)]) == [True, False]


def test_only_rules_of_the_same_event_count():
    assert fused([on(0, event=VIEW), on(1, event=BUY, when=READS_A)]) == [True, True]


def test_a_value_reading_what_an_earlier_action_of_the_rule_writes_is_not():
    actions = (ir.AddScore(1, ir.Const(1)), ir.AddScore(0, ir.Arith("*", ir.Score(1), ir.Const(2))))
    assert fused([on(0, actions=actions)]) == [False]


def test_a_flow_start_may_change_anything():
    start = on(0, actions=(ir.FlowOp("start", 0),))
    assert fused([start, on(1, actions=(ir.AddScore(0, ir.Score(1)),))]) == [True, False]


def test_every_rules_are_alone_and_when_rules_are_one_group():
    every = rule(0, "every", period=ir.Dur(micros=5), without=None)
    first = rule(1, "when", when=READS_A)
    second = rule(2, "when", when=READS_A, actions=(ONE,))
    assert fused([every, first, second]) == [True, True, False]
