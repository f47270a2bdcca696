"""Remove rules that can never fire, with a warning naming each one.

A rule is dead when its condition folded to false, its `count` clause cannot
hold (the current event is always counted, so `count < 1` never does), it may
fire `up to 0 times`, or it waits on entering or leaving a stage whose
condition folded to false.
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir


def _false(expr: ir.Expr | None) -> bool:
    if isinstance(expr, ir.FilterCall):
        expr = expr.operand
    return isinstance(expr, ir.Const) and not expr.value


def _count_impossible(check: ir.CountCheck | None) -> bool:
    if check is None:
        return False
    n = check.n
    return (check.op == "<" and n <= 1) or (check.op in ("<=", "==") and n <= 0)


def why_dead(rule: ir.Rule, program: ir.Program) -> str | None:
    if rule.modifiers.up_to is not None and rule.modifiers.up_to <= 0:
        return "it may fire `up to 0 times`"
    if rule.kind == "on":
        if _false(rule.where):
            return "its `where` is always false"
        if _count_impossible(rule.count):
            return "its `count` clause can never hold (the event itself is always counted)"
        if _false(rule.when):
            return "its `when` is always false"
    if rule.kind in ("when", "while") and _false(rule.when):
        return "its condition is always false"
    if rule.kind in ("enter", "exit") and rule.stage and _false(program.stage_conds[rule.stage]):
        return f"stage {program.stages[rule.stage]!r} can never be reached"
    return None


def remove_dead_rules(program: ir.Program) -> ir.Program:
    kept, warnings = [], list(program.warnings)
    for rule in program.rules:
        reason = why_dead(rule, program)
        if reason is None:
            kept.append(rule)
        else:
            message = f"rule `{rule.id}` can never fire: {reason}; it is left out of the compiled module"
            warnings.append((rule.file, rule.line, message))
    return dataclasses.replace(program, rules=tuple(kept), warnings=tuple(warnings))
