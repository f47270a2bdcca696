"""Filters inlined as expressions.

The plain program wraps each filter in an `ir.FilterCall`: the generated code
evaluates it through a module-level function of its own. This pass replaces
every `FilterCall` with the expression it wraps, so the filter is written into
the rule's code (`amount > 100` becomes a local comparison, with no call).
Replayed filters (an aggregate kept as "replay", a replayed tracker) are never
wrapped: they are read back through a function at each read in any case.
"""

from __future__ import annotations

from leadflow.compiler import ir, irwalk


def _unwrap(expr: ir.Expr) -> ir.Expr:
    return expr.operand if isinstance(expr, ir.FilterCall) else expr


def inline_filters(program: ir.Program) -> ir.Program:
    return irwalk.map_exprs(program, lambda root: irwalk.rebuild(root, _unwrap))
