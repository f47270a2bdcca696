"""What a ruleset looks at, so generated events can aim at it (used by leadflow.testing).

Uniform random values rarely land on `amount > 100` exactly, or six months
after the previous purchase to the second. The strategies instead draw values
near the constants the rules compare fields with, strings that match (or just
miss) the rules' globs and lists, and times just inside and just outside the
rules' windows, timers and waits. This module collects those targets from the
checked model; it reads the AST only.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from leadflow.dsl import ast
from leadflow.dsl.model import Model
from leadflow.semantics import timemath


@dataclass
class RuleHints:
    """Targets keyed by field: `amount` for an event field, `lead.country` for a lead field."""

    numbers: dict[str, set[float]] = field(default_factory=lambda: defaultdict(set))
    texts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    globs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # (amount, unit) of every window, timer, cooldown, expiry and wait, plus the
    # running totals of a flow's fixed-length waits (2 days, then 5, then 30 ...).
    durations: set[tuple[int, str]] = field(default_factory=set)
    # Events some rule, aggregate or flow reacts to: drawn more often than the rest.
    events_used: set[str] = field(default_factory=set)


def rule_hints(model: Model) -> RuleHints:
    hints = RuleHints()
    roots: list[Any] = [r.rule for r in model.rules] + list(model.flows.values())
    roots += [s for s in model.stages] + [model.send_limit]
    for node in (n for root in roots if root is not None for n in _walk(root)):
        _note(hints, node)
    for flow in model.flows.values():
        for total in _wait_totals(flow.steps):
            hints.durations.add((total // timemath.FIXED_UNITS["minute"], "minute"))
    return hints


def _note(hints: RuleHints, node: Any) -> None:
    if isinstance(node, ast.Duration):
        hints.durations.add((node.amount, node.unit))
    elif isinstance(node, (ast.OnEvent, ast.Aggregate, ast.Since, ast.FlowTrigger)):
        hints.events_used.add(node.event)
    elif isinstance(node, ast.Every) and node.without:
        hints.events_used.add(node.without)
    elif isinstance(node, ast.Binary):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            key = field_key(side)
            if key and isinstance(other, ast.Number):
                hints.numbers[key].add(float(other.value))
            elif key and isinstance(other, ast.String):
                hints.texts[key].add(other.value)
    elif isinstance(node, ast.In) and field_key(node.operand):
        key = field_key(node.operand)
        for item in node.items:
            if isinstance(item, ast.String):
                hints.texts[key].add(item.value)
            elif isinstance(item, ast.Number):
                hints.numbers[key].add(float(item.value))
    elif isinstance(node, ast.Matches) and field_key(node.operand):
        hints.globs[field_key(node.operand)].add(node.pattern)
    elif isinstance(node, ast.TextOp) and field_key(node.left) and isinstance(node.right, ast.String):
        # `url contains "x"` is the glob `*x*`, `url starts with "x"` is `x*`
        text = node.right.value.replace("*", "").replace("?", "")
        glob = f"*{text}*" if node.op == "contains" else f"{text}*"
        hints.globs[field_key(node.left)].add(glob)


def field_key(node: Any) -> str | None:
    """The field an expression reads directly: `amount`, `lead.country`, or the field of
    `sum(purchase.amount)` (so `sum(...) >= 500` aims single amounts at 500 too)."""
    if isinstance(node, (ast.Name, ast.ThisField)):
        return node.name
    if isinstance(node, ast.Call) and node.func == "lower":
        return field_key(node.operand)
    if isinstance(node, ast.LeadField):
        return "lead." + node.name
    if isinstance(node, ast.Aggregate) and node.field is not None:
        return node.field
    return None


def _walk(node: Any) -> Iterable[Any]:
    """Every AST node below `node`, itself included."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (tuple, list)):
            stack.extend(current)
        elif dataclasses.is_dataclass(current) and not isinstance(current, (ast.Span, type)):
            yield current
            stack.extend(getattr(current, f.name) for f in dataclasses.fields(current)
                         if f.name not in ("span", "name_span", "field_span"))


def _wait_totals(steps: tuple, start: int = 0) -> list[int]:
    """Running totals (µs) of a flow's fixed-length waits, along every branch."""
    totals, elapsed = [], start
    for step in steps:
        if isinstance(step, ast.Wait) and step.duration.unit in timemath.FIXED_UNITS:
            elapsed += step.duration.amount * timemath.FIXED_UNITS[step.duration.unit]
            totals.append(elapsed)
        elif isinstance(step, ast.If):
            totals += _wait_totals(step.then, elapsed) + _wait_totals(step.otherwise, elapsed)
    return totals
