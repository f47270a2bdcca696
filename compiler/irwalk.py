"""Generic traversals of the IR, so each pass states only what it changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from leadflow.compiler import ir

_CHILDREN = ("operand", "left", "right")

ExprFn = Callable[[ir.Expr], ir.Expr]


def nodes(expr: ir.Expr | None) -> Iterator[ir.Expr]:
    """Every node of an expression, parents first (aggregate filters are not inside: they are hoisted)."""
    if expr is None:
        return
    yield expr
    for name in _CHILDREN:
        child = getattr(expr, name, None)
        if child is not None:
            yield from nodes(child)


def rebuild(expr: ir.Expr | None, fn: ExprFn) -> ir.Expr | None:
    """Bottom-up rewrite: children first, then `fn` on the node with its new children."""
    if expr is None:
        return None
    changes = {}
    for name in _CHILDREN:
        child = getattr(expr, name, None)
        if child is not None:
            changes[name] = rebuild(child, fn)
    if changes:
        expr = dataclasses.replace(expr, **changes)
    return fn(expr)


def map_action(action: ir.Action, fn: ExprFn) -> ir.Action:
    if isinstance(action, ir.AddScore):
        return dataclasses.replace(action, amount=fn(action.amount))
    if isinstance(action, ir.SetAttr):
        return dataclasses.replace(action, value=fn(action.value))
    if isinstance(action, ir.Emit):
        return dataclasses.replace(action, args=tuple((k, fn(v)) for k, v in action.args))
    return action


def action_exprs(action: ir.Action) -> Iterator[ir.Expr]:
    if isinstance(action, ir.AddScore):
        yield action.amount
    elif isinstance(action, ir.SetAttr):
        yield action.value
    elif isinstance(action, ir.Emit):
        yield from (v for _, v in action.args)


def _opt(fn: ExprFn) -> Callable[[ir.Expr | None], ir.Expr | None]:
    return lambda e: None if e is None else fn(e)


def map_rule(rule: ir.Rule, fn: ExprFn) -> ir.Rule:
    f = _opt(fn)
    return dataclasses.replace(rule, where=f(rule.where), when=f(rule.when),
                               actions=tuple(map_action(a, fn) for a in rule.actions))


def rule_exprs(rule: ir.Rule) -> Iterator[ir.Expr]:
    for e in (rule.where, rule.when):
        if e is not None:
            yield e
    for a in rule.actions:
        yield from action_exprs(a)


def map_instr(instr: ir.Instr, fn: ExprFn) -> ir.Instr:
    if isinstance(instr, ir.Do):
        return ir.Do(map_action(instr.action, fn))
    if isinstance(instr, ir.JumpUnless):
        return ir.JumpUnless(fn(instr.cond), instr.target)
    return instr


def map_flow(flow: ir.Flow, fn: ExprFn) -> ir.Flow:
    f = _opt(fn)
    return dataclasses.replace(
        flow,
        starts=tuple(ir.FlowTrigger(t.event, f(t.where)) for t in flow.starts),
        stops=tuple(ir.FlowTrigger(t.event, f(t.where)) for t in flow.stops),
        code=tuple(map_instr(i, fn) for i in flow.code))


def flow_exprs(flow: ir.Flow) -> Iterator[ir.Expr]:
    for t in flow.starts + flow.stops:
        if t.where is not None:
            yield t.where
    for instr in flow.code:
        if isinstance(instr, ir.Do):
            yield from action_exprs(instr.action)
        elif isinstance(instr, ir.JumpUnless):
            yield instr.cond


def map_exprs(program: ir.Program, fn: ExprFn) -> ir.Program:
    """Apply `fn` to every root expression of the program."""
    f = _opt(fn)
    return dataclasses.replace(
        program,
        stage_conds=tuple(f(c) for c in program.stage_conds),
        rules=tuple(map_rule(r, fn) for r in program.rules),
        flows=tuple(map_flow(fl, fn) for fl in program.flows),
        aggregates=tuple(dataclasses.replace(a, where=f(a.where)) for a in program.aggregates),
        trackers=tuple(dataclasses.replace(t, where=f(t.where)) for t in program.trackers))


def root_exprs(program: ir.Program) -> Iterator[ir.Expr]:
    """Every root expression of the program that is still in use."""
    for c in program.stage_conds:
        if c is not None:
            yield c
    for r in program.rules:
        yield from rule_exprs(r)
    for fl in program.flows:
        yield from flow_exprs(fl)
    for a in program.aggregates:
        if a.where is not None:
            yield a.where
    for t in program.trackers:
        if t.where is not None:
            yield t.where
