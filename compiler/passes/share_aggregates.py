"""One shared aggregate for every read of the same function, event, field, filter and window.

`on purchase count >= 3 within 6 months` and `on purchase count == 3 within 6
months` then keep one set of timestamps, updated once per purchase.
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir, irwalk


def _key(agg: ir.Aggregate):
    return (agg.func, agg.event, agg.field, agg.where, agg.within, agg.storage, agg.limit)


def share_aggregates(program: ir.Program) -> ir.Program:
    first: dict = {}
    alias: dict[int, int] = {}
    kept = []
    for agg in program.aggregates:
        key = _key(agg)
        if key in first:
            alias[agg.id] = first[key]
        else:
            first[key] = agg.id
            kept.append(agg)
    if not alias:
        return program

    def rename(e: ir.Expr) -> ir.Expr:
        if isinstance(e, ir.AggValue) and e.id in alias:
            return ir.AggValue(alias[e.id])
        return e

    program = irwalk.map_exprs(dataclasses.replace(program, aggregates=tuple(kept)),
                               lambda root: irwalk.rebuild(root, rename))
    rules = tuple(
        dataclasses.replace(r, count=dataclasses.replace(r.count, agg=alias.get(r.count.agg, r.count.agg)))
        if r.count is not None else r
        for r in program.rules)
    return dataclasses.replace(program, rules=rules)
