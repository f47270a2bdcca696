"""Expressions: SPEC section 4 "Expressions", docs/semantics.md "Expressions".

Missing is None. A comparison (`== != < <= > >=`, `in`, `not in`, `matches`)
that reads a missing value is false; arithmetic with a missing value, and
division by zero, give missing; `and`/`or`/`not` read missing as false.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from leadflow.dsl import ast
from leadflow.runtime.interpreter.aggregates import aggregate, since
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import Context, Facts
from leadflow.semantics import timemath
from leadflow.semantics.globmatch import GLOB_FLAGS, glob_to_regex

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def truthy(value: Any) -> bool:
    return value is not None and bool(value)


def compare(op: str, left: Any, right: Any) -> bool:
    """A comparison; false when either side is missing or the two cannot be ordered."""
    if left is None or right is None:
        return False
    try:
        return COMPARISONS[op](left, right)
    except TypeError:
        return False


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern:
    """A `matches` glob, compiled (semantics/globmatch.py); cached per pattern."""
    return re.compile(glob_to_regex(pattern), GLOB_FLAGS)


def evaluate(ix: RulesetIndex, facts: Facts, expr: ast.Expr, ctx: Context) -> Any:
    """The value of an expression; None is missing."""
    try:
        rule = _RULES[type(expr)]
    except KeyError:
        raise TypeError(f"cannot evaluate {type(expr).__name__}") from None
    return rule(ix, facts, expr, ctx)


def _literal(ix, facts, expr, ctx):
    return expr.value


def _name(ix, facts, expr: ast.Name, ctx):
    if ix.reads_field(expr, ctx.event):
        if ctx.event is None:
            return None  # a flow started some other way than by its own trigger event
        return ctx.ts if expr.name == "ts" else ctx.values.get(expr.name)
    return facts.scores.get(expr.name)


def _unary(ix, facts, expr: ast.Unary, ctx):
    value = evaluate(ix, facts, expr.operand, ctx)
    if expr.op == "not":
        return not truthy(value)
    return None if value is None else -value


def _in(ix, facts, expr: ast.In, ctx):
    value = evaluate(ix, facts, expr.operand, ctx)
    if value is None:
        return False  # `not in` too: a comparison that reads a missing value is false
    found = any(compare("==", value, evaluate(ix, facts, item, ctx)) for item in expr.items)
    return not found if expr.negated else found


def _matches(ix, facts, expr: ast.Matches, ctx):
    value = evaluate(ix, facts, expr.operand, ctx)
    if not isinstance(value, str):
        return False
    return glob_regex(expr.pattern).fullmatch(value) is not None


def _in_value(ix, facts, expr: ast.InValue, ctx):
    value = evaluate(ix, facts, expr.operand, ctx)
    items = evaluate(ix, facts, expr.collection, ctx)
    if value is None or items is None:
        return False  # like `in [...]`: a comparison that reads a missing value is false
    found = any(compare("==", value, item) for item in items)
    return not found if expr.negated else found


def _text_op(ix, facts, expr: ast.TextOp, ctx):
    """`contains`, `starts with`: false when either side is missing."""
    left = evaluate(ix, facts, expr.left, ctx)
    right = evaluate(ix, facts, expr.right, ctx)
    if not isinstance(left, str) or not isinstance(right, str):
        return False
    if expr.op == "contains":
        return right in left
    return left.startswith(right)


def _call(ix, facts, expr: ast.Call, ctx):
    """`lower(x)`, `length(x)`: missing for a missing x."""
    value = evaluate(ix, facts, expr.operand, ctx)
    if value is None:
        return None
    return value.lower() if expr.func == "lower" else len(value)


def _this_field(ix, facts, expr: ast.ThisField, ctx: Context):
    """`this.x`: a field of the triggering event, also inside an aggregate's `where`."""
    this = ctx.this
    if this.event is None:
        return None  # a flow started some other way than by its own trigger event
    return this.ts if expr.name == "ts" else this.values.get(expr.name)


def _is_missing(ix, facts, expr: ast.IsMissing, ctx):
    missing = evaluate(ix, facts, expr.operand, ctx) is None
    return not missing if expr.negated else missing


def _duration(ix, facts, expr: ast.DurationExpr, ctx):
    d = expr.duration
    return timemath.duration_value(d.amount, d.unit, ctx.now, ix.timezone)


def _sent(ix, facts, expr: ast.Sent, ctx):
    """`sent "x" [with k = v]` / `notified "x"` (tests): a delivered send, or a
    notification, of x that has each of the arguments given (others are not looked at)."""
    return any(sent_matches(ix, facts, expr, a, ctx) for a in facts.actions)


def sent_matches(ix, facts, expr: ast.Sent, action, ctx) -> bool:
    if action.kind != expr.kind or action.target != expr.target:
        return False
    for arg in expr.args:
        if arg.name not in action.args:
            return False
        if not same_value(action.args[arg.name], evaluate(ix, facts, arg.value, ctx)):
            return False
    return True


def same_value(actual: Any, expected: Any) -> bool:
    """Equality of an argument and a test's literal: numbers by value, lists item by item."""
    if isinstance(expected, (list, tuple)):
        return isinstance(actual, (list, tuple)) and len(actual) == len(expected) and all(
            same_value(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return actual == expected


def _binary(ix: RulesetIndex, facts: Facts, expr: ast.Binary, ctx: Context) -> Any:
    op = expr.op
    if op == "and":
        return truthy(evaluate(ix, facts, expr.left, ctx)) and truthy(evaluate(ix, facts, expr.right, ctx))
    if op == "or":
        return truthy(evaluate(ix, facts, expr.left, ctx)) or truthy(evaluate(ix, facts, expr.right, ctx))
    left = evaluate(ix, facts, expr.left, ctx)
    right = evaluate(ix, facts, expr.right, ctx)
    if op in COMPARISONS:
        if op not in ("==", "!=") and (isinstance(expr.left, ast.StageValue)
                                       or isinstance(expr.right, ast.StageValue)):
            # `stage >= "mql"` compares declaration order, not names.
            left, right = ix.stage_order.get(left), ix.stage_order.get(right)
        return compare(op, left, right)
    if left is None or right is None:
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return None if right == 0 else left / right
    raise TypeError(f"unknown operator {op!r}")


def condition(ix: RulesetIndex, facts: Facts, expr: ast.Expr | None, ctx: Context) -> bool:
    """A condition that may be absent (absent holds)."""
    return expr is None or truthy(evaluate(ix, facts, expr, ctx))


_RULES: dict[type, Callable[..., Any]] = {
    ast.Number: _literal,
    ast.String: _literal,
    ast.Bool: _literal,
    ast.Name: _name,
    ast.Binary: _binary,
    ast.Unary: _unary,
    ast.LeadField: lambda ix, facts, expr, ctx: facts.attrs.get(expr.name),
    ast.StageValue: lambda ix, facts, expr, ctx: facts.stage,
    ast.Tagged: lambda ix, facts, expr, ctx: expr.tag in facts.tags,
    ast.In: _in,
    ast.Matches: _matches,
    ast.IsMissing: _is_missing,
    ast.Aggregate: lambda ix, facts, expr, ctx: aggregate(ix, facts, expr, ctx, evaluate),
    ast.Since: lambda ix, facts, expr, ctx: since(ix, facts, expr, ctx, evaluate),
    ast.DurationExpr: _duration,
    ast.Sent: _sent,
    ast.InValue: _in_value,
    ast.TextOp: _text_op,
    ast.Call: _call,
    ast.ThisField: _this_field,
    ast.ListValue: lambda ix, facts, expr, ctx: tuple(evaluate(ix, facts, i, ctx) for i in expr.items),
}
