"""Evaluate a rule right where its actions apply when that cannot change its result.

Rules that react to the same thing form a group (the `on` rules of one event,
the `when` rules rising in one settle round, the `on exit`/`on enter` rules
of one stage, a single `every` rule). A group is evaluated on one state and
then applied in file order (docs/semantics.md). A rule may be evaluated at
its own apply step instead when no earlier rule of its group writes anything
it reads: then `if amount > 100: score += 10` replaces a flag and values kept
from an earlier evaluation step.
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir, irwalk

EVERYTHING = "*"


def reads(rule: ir.Rule, program: ir.Program) -> set:
    """The lead state a rule's conditions and action values read."""
    roots = list(irwalk.rule_exprs(rule))
    if rule.count is not None:
        roots.append(ir.AggValue(rule.count.agg))
    return reads_of(roots, program)


def reads_of(roots: list[ir.Expr], program: ir.Program) -> set:
    found: set = set()
    by_agg = {a.id: a for a in program.aggregates}
    by_tracker = {t.id: t for t in program.trackers}
    while roots:
        for node in irwalk.nodes(roots.pop()):
            if isinstance(node, ir.Score):
                found.add(("score", node.index))
            elif isinstance(node, ir.LeadAttr):
                found.add(("attr", node.index))
            elif isinstance(node, ir.Tagged):
                found.add(("tag", node.tag))
            elif isinstance(node, ir.AggValue) and by_agg[node.id].where is not None:
                roots.append(by_agg[node.id].where)  # a replayed filter reads state too
            elif isinstance(node, ir.SinceValue) and by_tracker[node.id].where is not None:
                roots.append(by_tracker[node.id].where)
    return found


def writes(rule: ir.Rule) -> set:
    return writes_of(rule.actions)


def writes_of(actions) -> set:
    found: set = set()
    for action in actions:
        if isinstance(action, ir.AddScore):
            found.add(("score", action.score))
        elif isinstance(action, ir.SetAttr):
            found.add(("attr", action.index))
        elif isinstance(action, ir.TagOp):
            found.add(("tag", action.tag))
        elif isinstance(action, ir.FlowOp):
            found.add(EVERYTHING)  # a flow's steps may change anything
    return found


def group_of(rule: ir.Rule):
    """Which rules are evaluated together with this one."""
    if rule.kind == "on":
        return ("on", rule.event)
    if rule.kind in ("enter", "exit"):
        return (rule.kind, rule.stage)
    if rule.kind == "when":
        return ("when",)
    return None  # `every` fires alone; `while` is not a firing group


def own_actions_independent(rule: ir.Rule, program: ir.Program) -> bool:
    """No action's value reads what an earlier action of the same rule writes.

    (All values are computed before the first action applies: `add 1 to b,
    add b * 2` adds twice the old b.)
    """
    written: set = set()
    for action in rule.actions:
        read = reads_of(list(irwalk.action_exprs(action)), program)
        if read & written or (EVERYTHING in written and read):
            return False
        written |= writes_of((action,))
    return True


def fuse_rules(program: ir.Program) -> ir.Program:
    written: dict = {}  # group → what its earlier rules write
    rules = []
    for rule in program.rules:
        key = group_of(rule)
        alone = own_actions_independent(rule, program)
        if key is None:
            rules.append(dataclasses.replace(rule, fused=rule.kind == "every" and alone))
            continue
        before = written.setdefault(key, set())
        safe = alone and EVERYTHING not in before and not (reads(rule, program) & before)
        rules.append(dataclasses.replace(rule, fused=safe))
        before |= writes(rule)
    return dataclasses.replace(program, rules=tuple(rules))
