"""fold_constants: constant sub-expressions are computed at compile time, by the run-time rules."""

from __future__ import annotations

import pytest
from irkit import AMOUNT, on, program

from leadflow.compiler import ir
from leadflow.compiler.passes import fold_constants

C = ir.Const
BIG = ir.Compare(">", AMOUNT, C(100))

CASES = [
    ("arithmetic", ir.Arith("+", C(2), ir.Arith("*", C(3), C(4))), C(14)),
    ("division by zero is missing", ir.Arith("/", C(1), C(0)), C(None)),
    ("arithmetic with missing is missing", ir.Arith("+", C(None), C(1)), C(None)),
    ("negation", ir.Neg(C(5)), C(-5)),
    ("comparison", ir.Compare("<=", C(2), C(3)), C(True)),
    ("comparison reading missing is false", ir.Compare("==", C(None), C(None)), C(False)),
    ("not of missing is true", ir.Not(C(None)), C(True)),
    ("false and anything", ir.And(C(False), BIG), C(False)),
    ("true and a comparison", ir.And(C(True), BIG), BIG),
    ("a comparison and true", ir.And(BIG, C(True)), BIG),
    ("true or anything", ir.Or(C(True), BIG), C(True)),
    ("false or a comparison", ir.Or(C(False), BIG), BIG),
    ("a field and true keeps the field's missing", ir.And(AMOUNT, C(True)), ir.And(AMOUNT, C(True))),
    ("a comparison and false", ir.And(BIG, C(False)), C(False)),
    ("a comparison or true", ir.Or(BIG, C(True)), C(True)),
    ("arithmetic and false is left alone (it may fail at run time)",
     ir.And(ir.Compare(">", ir.Arith("*", AMOUNT, C(2)), C(1)), C(False)),
     ir.And(ir.Compare(">", ir.Arith("*", AMOUNT, C(2)), C(1)), C(False))),
    ("an aggregate or true is left alone",
     ir.Or(ir.Compare(">", ir.AggValue(0), C(1)), C(True)),
     ir.Or(ir.Compare(">", ir.AggValue(0), C(1)), C(True))),
    ("membership", ir.InList(C("es"), ("es", "pt")), C(True)),
    ("negated membership of missing is false", ir.InList(C(None), ("es",), True), C(False)),
    ("glob", ir.Match(C("/shop/cart"), ".*cart"), C(True)),
    ("is missing", ir.IsMissing(C(None)), C(True)),
    ("inside a larger expression", ir.Compare(">", AMOUNT, ir.Arith("*", C(50), C(2))), BIG),
    ("a field is not constant", ir.Arith("+", AMOUNT, C(1)), ir.Arith("+", AMOUNT, C(1))),
]


@pytest.mark.parametrize("before, after", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_folds(before, after):
    folded = fold_constants(program([on(0, where=before, actions=(ir.AddScore(0, before),))]))
    assert folded.rules[0].where == after
    assert folded.rules[0].actions[0].amount == after


def test_folds_stage_conditions_and_flow_steps():
    stages = ("cold", "hot")
    flow = ir.Flow(0, "f", "t.leadflow", 1, None, (), (),
                   (ir.JumpUnless(ir.Compare(">", C(1), C(2)), 1),))
    p = program(stages=stages, stage_conds=(None, ir.Compare("<", C(1), C(2))), flows=[flow])
    folded = fold_constants(p)
    assert folded.stage_conds == (None, C(True))
    assert folded.flows[0].code == (ir.JumpUnless(C(False), 1),)
