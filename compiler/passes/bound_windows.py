"""Bounded aggregate state: keep only what the reads of an aggregate need.

- a count without window is a counter;
- a windowed count only ever compared with constants (`count >= 3 within 6
  months`, or `count(x within 7 days) > 2` in a condition) keeps the last k
  matching timestamps, k just above the largest constant it is compared with:
  min(count, k) then compares exactly like the count itself;
- other windowed aggregates keep the (time, value) pairs still in the window;
- sum, min, max and avg without window keep a running value, distinct a set.

Aggregates whose filter reads lead state ("replay") are left as they are.
"""

from __future__ import annotations

import dataclasses
import math

from leadflow.compiler import ir, irwalk

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _keep_for(op: str, n) -> int:
    """Smallest k such that min(count, k) OP n == count OP n for every count >= 0."""
    if n < 0:
        return 0
    if isinstance(n, int) and op in (">=", "<"):
        return n
    return math.floor(n) + 1


def _constant_number(e: ir.Expr):
    if isinstance(e, ir.Const) and isinstance(e.value, (int, float)) and not isinstance(e.value, bool):
        if isinstance(e.value, float) and not math.isfinite(e.value):
            return None
        return e.value
    return None


def _collect(expr: ir.Expr, bounded: dict[int, int], general: set[int]) -> None:
    """Record, per aggregate id, the k its constant comparisons need, or that it is read freely."""
    if isinstance(expr, ir.Compare):
        for agg_side, other, op in ((expr.left, expr.right, expr.op),
                                    (expr.right, expr.left, _FLIP[expr.op])):
            n = _constant_number(other)
            if isinstance(agg_side, ir.AggValue) and n is not None:
                bounded[agg_side.id] = max(bounded.get(agg_side.id, 0), _keep_for(op, n))
                return
    if isinstance(expr, ir.AggValue):
        general.add(expr.id)
        return
    for name in ("operand", "left", "right"):
        child = getattr(expr, name, None)
        if child is not None:
            _collect(child, bounded, general)


def _storage(agg: ir.Aggregate, bounded: dict[int, int], general: set[int]) -> ir.Aggregate:
    if agg.storage == "replay":
        return agg
    if agg.func in ("last", "top") and agg.within is None:
        return agg  # every value may still be among the last or the most frequent
    if agg.func == "count" and agg.within is None:
        return dataclasses.replace(agg, storage="counter")
    if agg.func == "count" and agg.id not in general and agg.id in bounded:
        return dataclasses.replace(agg, storage="recent", keep=bounded[agg.id])
    if agg.within is not None:
        return dataclasses.replace(agg, storage="window")
    if agg.func == "distinct":
        return dataclasses.replace(agg, storage="distinct")
    return dataclasses.replace(agg, storage="running")


def bound_windows(program: ir.Program) -> ir.Program:
    bounded: dict[int, int] = {}
    general: set[int] = set()
    for rule in program.rules:
        if rule.count is not None:
            k = _keep_for(rule.count.op, rule.count.n)
            bounded[rule.count.agg] = max(bounded.get(rule.count.agg, 0), k)
    for root in irwalk.root_exprs(program):
        _collect(root, bounded, general)
    return dataclasses.replace(
        program, aggregates=tuple(_storage(a, bounded, general) for a in program.aggregates))
