"""Constant folding: evaluate at compile time what does not depend on the lead or the event.

Follows the run-time rules exactly: arithmetic with a missing value is missing,
division by zero is missing, a comparison that reads a missing value is false.
`and`/`or` fold from a constant left side (the right side is never evaluated
at run time either); a constant right side folds too when the left side is a
boolean (`x > 1 and true` is `x > 1`), or cannot fail at run time
(`amount > 100 and 1 > 2` is false: no arithmetic or aggregate to raise).
"""

from __future__ import annotations

import operator
import re

from leadflow.compiler import ir, irwalk

_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
_BOOLEAN = (ir.Compare, ir.And, ir.Or, ir.Not, ir.InList, ir.Match, ir.IsMissing, ir.Tagged,
            ir.TextOp, ir.InValue, ir.FilterCall)
# Nodes whose evaluation cannot raise (given checked types): no arithmetic, aggregate or calendar.
_SAFE = _BOOLEAN + (ir.Const, ir.Field, ir.LeadAttr, ir.Score, ir.StageIndex, ir.StageName, ir.Now)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_bool(expr: ir.Expr) -> bool:
    return isinstance(expr, _BOOLEAN) or (isinstance(expr, ir.Const) and isinstance(expr.value, bool))


def _fold(e: ir.Expr) -> ir.Expr:
    if isinstance(e, ir.FilterCall) and isinstance(e.operand, ir.Const):
        return e.operand  # a function returning a constant is that constant
    if isinstance(e, ir.Neg) and isinstance(e.operand, ir.Const):
        v = e.operand.value
        if v is None:
            return ir.Const(None)
        return ir.Const(-v) if _number(v) else e
    if isinstance(e, ir.Not) and isinstance(e.operand, ir.Const):
        return ir.Const(not e.operand.value)
    if isinstance(e, ir.Arith) and isinstance(e.left, ir.Const) and isinstance(e.right, ir.Const):
        a, b = e.left.value, e.right.value
        if a is None or b is None:
            return ir.Const(None)
        if not (_number(a) and _number(b)):
            return e
        if e.op == "/":
            return ir.Const(None if b == 0 else a / b)
        return ir.Const(_ARITH[e.op](a, b))
    if isinstance(e, ir.Compare) and isinstance(e.left, ir.Const) and isinstance(e.right, ir.Const):
        a, b = e.left.value, e.right.value
        if a is None or b is None:
            return ir.Const(False)
        try:
            return ir.Const(bool(_COMPARE[e.op](a, b)))
        except TypeError:
            return e
    if isinstance(e, (ir.And, ir.Or)):
        return _fold_logic(e)
    if isinstance(e, ir.InList) and isinstance(e.operand, ir.Const):
        v = e.operand.value
        if v is None:
            return ir.Const(False)
        return ir.Const((v in e.items) != e.negated)
    if isinstance(e, ir.Match) and isinstance(e.operand, ir.Const):
        v = e.operand.value
        if not isinstance(v, str):
            return ir.Const(False)
        return ir.Const(re.fullmatch(e.regex, v, re.DOTALL) is not None)
    if isinstance(e, ir.IsMissing) and isinstance(e.operand, ir.Const):
        return ir.Const((e.operand.value is None) != e.negated)
    return e


def _fold_logic(e: ir.And | ir.Or) -> ir.Expr:
    is_and = isinstance(e, ir.And)
    if isinstance(e.left, ir.Const):
        decided = not e.left.value if is_and else bool(e.left.value)
        if decided:
            return ir.Const(not is_and)
        return e.right if _is_bool(e.right) else e
    if isinstance(e.right, ir.Const):
        if _is_bool(e.left) and bool(e.right.value) == is_and:
            return e.left  # `x > 1 and true`, `x > 1 or false`
        if bool(e.right.value) != is_and and _cannot_fail(e.left):
            return ir.Const(not is_and)  # `x > 1 and false`, `x > 1 or true`
    return e


def _cannot_fail(expr: ir.Expr) -> bool:
    return all(isinstance(node, _SAFE) for node in irwalk.nodes(expr))


def fold_constants(program: ir.Program) -> ir.Program:
    return irwalk.map_exprs(program, lambda root: irwalk.rebuild(root, _fold))
