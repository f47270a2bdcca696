"""Settle only when something it reads has changed since it last went quiet.

`_settle()` runs after every event and every timer. Its rounds read only the
conditions of `while` rules, of stages and of `when` rules; once a round
changes nothing, another round on the same values would change nothing
either (the stage it computes is the one it stored, no `while` condition
flips, no `when` condition rises). So when every such condition is a function
of a few state values that do not depend on the time (scores, lead
attributes, tags, counters and running totals without a window, the stage),
the generated code keeps those values as they were when settle last went
quiet and skips the call while they are equal.

`Program.settle_watch` lists those values (leaf expressions); None means
settle every time (the plain choice): a condition reads the time, a windowed
aggregate, a `since`, or history scanned at read time.

A value can change without any condition changing: a score goes from 31 to 32
and the stages test `>= 20` and `>= 60`. So when no condition can raise (no
division, no function call: the error must come from inside settle, where it
names its rule), `Program.settle_conditions` lists the conditions too, and
when the values changed the generated code compares the conditions' values
with those settle last went quiet on before it calls it (the shop's ruleset:
one settle every 150 events instead of one every two).
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir, irwalk

# Aggregates whose value is a function of a variable the compiled code keeps up to date,
# without a window: they change only when an event is recorded.
_TIMELESS_STORAGE = ("counter", "running", "distinct")
_PURE = (ir.TextOp, ir.Call, ir.InValue, ir.FilterCall,
         ir.Const, ir.Not, ir.Neg, ir.Arith, ir.Compare, ir.And, ir.Or, ir.InList, ir.Match,
         ir.IsMissing, ir.StageOrder)


def settle_conditions(program: ir.Program) -> list[ir.Expr]:
    """What a settle round evaluates before it changes anything: while, stage and when conditions."""
    roots = [r.when for r in program.rules if r.kind in ("while", "when") and r.when is not None]
    roots += [c for c in program.stage_conds if c is not None]
    return roots


def watched_values(program: ir.Program) -> tuple[ir.Expr, ...] | None:
    """The leaves every settle condition is a function of, in first-use order; None if time matters."""
    storage = {a.id: a for a in program.aggregates}
    found: list[ir.Expr] = []
    for root in settle_conditions(program):
        for node in irwalk.nodes(root):
            if isinstance(node, _PURE):
                continue
            if isinstance(node, ir.AggValue):
                agg = storage[node.id]
                if agg.within is not None or agg.storage not in _TIMELESS_STORAGE:
                    return None
            elif isinstance(node, ir.StageName):
                node = ir.StageIndex()  # the name is a function of the index
            elif not isinstance(node, (ir.Score, ir.LeadAttr, ir.Tagged, ir.StageIndex)):
                return None  # Now, CalendarLength, SinceValue, or a field: reads the time or an event
            if node not in found:
                found.append(node)
    return tuple(found)


# Nodes that evaluate without raising, whatever the lead's state (arithmetic: + - * only).
_CANNOT_RAISE = (ir.Const, ir.Not, ir.Compare, ir.And, ir.Or, ir.InList, ir.IsMissing,
                 ir.StageOrder, ir.StageName, ir.StageIndex, ir.Score, ir.LeadAttr, ir.Tagged,
                 ir.AggValue)


def cannot_raise(expr: ir.Expr) -> bool:
    return all(isinstance(node, _CANNOT_RAISE) or (isinstance(node, ir.Arith) and node.op in "+-*")
               for node in irwalk.nodes(expr))


def watch_settle(program: ir.Program) -> ir.Program:
    if not settle_conditions(program) and not program.stages:
        return program  # nothing to settle: no `_settle` is generated
    values = watched_values(program)
    roots = tuple(dict.fromkeys(settle_conditions(program)))
    conditions = roots if values and roots and all(map(cannot_raise, roots)) else None
    return dataclasses.replace(program, settle_watch=values, settle_conditions=conditions)
