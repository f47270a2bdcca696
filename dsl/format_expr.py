"""Expressions and literals in their canonical text (used by the formatter).

The AST has no node for parentheses, so an expression is printed with the
fewest parentheses that make the parser build the same tree again. Levels
follow the grammar, loosest first (grammars/leadflow.lark, "expressions").
"""

from __future__ import annotations

import json
import math
from decimal import Decimal

from leadflow.dsl import ast

# Binding levels, loosest first. A sub-expression printed where the grammar
# wants a tighter level gets parentheses.
OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY, ATOM = range(1, 9)

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_LEFT_ASSOCIATIVE = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT}


def format_number(value: float) -> str:
    """`15`, `99.95`, `-5`: ints without a point, floats always with one, never an exponent."""
    if isinstance(value, bool):  # bool is an int subclass; never meant here
        raise TypeError("a bool is not a number literal")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):  # the parser never builds these (at most 30 digits)
        raise ValueError(f"{value} has no leadflow literal")
    if value == 0:
        return "0.0"  # -0.0 as well: a leading minus would read back as negation
    # repr is the shortest text that reads back exactly; NUMBER is /\d+(\.\d+)?/,
    # so its exponent (1e-05, 1e+16) is spelt out in digits.
    text = format(Decimal(repr(value)), "f")
    if "." not in text:
        text += ".0"
    if value.is_integer():
        # Past 1e17 the exact value can be shorter than the spelt-out repr:
        # 1e28 is 9999999999999999583119736832.0, one digit less than 1 and 28 zeros,
        # and it keeps within the parser's 30 characters a number may have.
        text = min(text, f"{int(value)}.0", key=len)
    return text


def format_string(value: str) -> str:
    """A double-quoted string with JSON escapes; non-ASCII characters kept as they are."""
    return json.dumps(value, ensure_ascii=False)


def format_duration(duration: ast.Duration) -> str:
    """`1 day`, `6 months`: singular for exactly one, plural otherwise."""
    if duration.unit not in ast.UNITS or duration.amount == 1:
        return f"{duration.amount} {duration.unit}"
    return f"{duration.amount} {duration.unit}s"


def format_literal(value: ast.Expr) -> str:
    """A literal of a list or a test's field values (a negative Number allowed)."""
    if isinstance(value, ast.Number):
        return format_number(value.value)
    return format_expr(value, ATOM)


def format_expr(expr: ast.Expr, min_level: int = OR) -> str:
    """`expr` as text, in parentheses when it binds looser than `min_level`."""
    text, level = _expr(expr)
    return f"({text})" if level < min_level else text


def _expr(e: ast.Expr) -> tuple[str, int]:
    """The text of `e` and the level it binds at."""
    if isinstance(e, ast.Binary):
        if e.op in COMPARISONS:  # non-associative: both sides are sums
            return f"{format_expr(e.left, SUM)} {e.op} {format_expr(e.right, SUM)}", COMPARE
        level = _LEFT_ASSOCIATIVE[e.op]
        return f"{format_expr(e.left, level)} {e.op} {format_expr(e.right, level + 1)}", level
    if isinstance(e, ast.Unary):
        if e.op == "not":
            return f"not {format_expr(e.operand, NOT)}", NOT
        return f"-{format_expr(e.operand, UNARY)}", UNARY
    if isinstance(e, ast.In):
        items = ", ".join(format_literal(i) for i in e.items)
        keyword = "not in" if e.negated else "in"
        return f"{format_expr(e.operand, SUM)} {keyword} [{items}]", COMPARE
    if isinstance(e, ast.InValue):
        keyword = "not in" if e.negated else "in"
        return f"{format_expr(e.operand, SUM)} {keyword} {format_expr(e.collection, SUM)}", COMPARE
    if isinstance(e, ast.TextOp):
        return f"{format_expr(e.left, SUM)} {e.op} {format_expr(e.right, SUM)}", COMPARE
    if isinstance(e, ast.Matches):
        return f"{format_expr(e.operand, SUM)} matches {format_string(e.pattern)}", COMPARE
    if isinstance(e, ast.IsMissing):
        keyword = "is not missing" if e.negated else "is missing"
        return f"{format_expr(e.operand, SUM)} {keyword}", COMPARE
    return _atom(e), ATOM


def _atom(e: ast.Expr) -> str:
    if isinstance(e, ast.Number):
        return format_number(e.value)
    if isinstance(e, ast.String):
        return format_string(e.value)
    if isinstance(e, ast.Bool):
        return "true" if e.value else "false"
    if isinstance(e, ast.DurationExpr):
        return format_duration(e.duration)
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.LeadField):
        return f"lead.{e.name}"
    if isinstance(e, ast.StageValue):
        return "stage"
    if isinstance(e, ast.Tagged):
        return f"tagged {format_string(e.tag)}"
    if isinstance(e, ast.Aggregate):
        subject = e.event if e.field is None else f"{e.event}.{e.field}"
        if e.limit is not None:
            subject = f"{e.limit}, {subject}"
        return f"{e.func}({subject}{_filter(e.where, e.within)})"
    if isinstance(e, ast.Call):
        return f"{e.func}({format_expr(e.operand)})"
    if isinstance(e, ast.ThisField):
        return f"this.{e.name}"
    if isinstance(e, ast.Since):
        return f"since({e.event}{_filter(e.where, None)})"
    if isinstance(e, ast.Sent):  # only in `expect`, where `not sent "x"` is its own form
        args = ", ".join(f"{a.name} = {format_literal(a.value)}" for a in e.args)
        return (f"{'sent' if e.kind == 'send' else 'notified'} {format_string(e.target)}"
                + (f" with {args}" if args else ""))
    if isinstance(e, ast.ListValue):
        return "[" + ", ".join(format_literal(i) for i in e.items) + "]"
    raise TypeError(f"not an expression node: {type(e).__name__}")


def _filter(where: ast.Expr | None, within: ast.Duration | None) -> str:
    """` where COND within DUR` inside an aggregate's parentheses."""
    text = ""
    if where is not None:
        text += f" where {format_expr(where)}"
    if within is not None:
        text += f" within {format_duration(within)}"
    return text
