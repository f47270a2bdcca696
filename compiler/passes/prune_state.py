"""Keep state only for what some rule reads.

Aggregates and `since` trackers no remaining expression or `count` clause
reads are dropped (they are still numbered by their original id), so the
generated code neither keeps nor updates them.
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir, irwalk


def _reads(program: ir.Program, roots) -> tuple[set[int], set[int]]:
    aggs = {r.count.agg for r in program.rules if r.count is not None}
    trackers: set[int] = set()
    by_agg = {a.id: a for a in program.aggregates}
    by_tracker = {t.id: t for t in program.trackers}
    todo = list(roots)
    todo += [by_agg[a].where for a in aggs if by_agg[a].where is not None]
    while todo:
        for node in irwalk.nodes(todo.pop()):
            if isinstance(node, ir.AggValue) and node.id not in aggs:
                aggs.add(node.id)
                if by_agg[node.id].where is not None:
                    todo.append(by_agg[node.id].where)
            elif isinstance(node, ir.SinceValue) and node.id not in trackers:
                trackers.add(node.id)
                if by_tracker[node.id].where is not None:
                    todo.append(by_tracker[node.id].where)
    return aggs, trackers


def prune_state(program: ir.Program) -> ir.Program:
    roots = [c for c in program.stage_conds if c is not None]
    for rule in program.rules:
        roots.extend(irwalk.rule_exprs(rule))
    for flow in program.flows:
        roots.extend(irwalk.flow_exprs(flow))
    aggs, trackers = _reads(program, roots)
    return dataclasses.replace(
        program,
        aggregates=tuple(a for a in program.aggregates if a.id in aggs),
        trackers=tuple(t for t in program.trackers if t.id in trackers))
