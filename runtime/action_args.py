"""Which `with` arguments of which actions hold times, so outputs can write them as times.

Inside the engines a time is an integer of microseconds, like any other
integer; only the checker knows that `with due = ts + 2 days` is a time. The
outputs (and explain) write such values as ISO-8601 UTC text, as they write
every other time, and never as a bare microsecond count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from leadflow.dsl import ast
from leadflow.dsl.model import Model

# (rule id or flow name, target, argument name): the keys an OutAction carries.
TimeArgs = frozenset[tuple[str, str, str]]


def time_args(model: Model | None) -> TimeArgs:
    """Every (owner, target, argument) whose value the checker typed as `time`."""
    if model is None:
        return frozenset()
    owners: list[tuple[str, Any]] = [(rule.id, rule.rule) for rule in model.rules]
    owners += list(model.flows.items())
    found = set()
    for owner, node in owners:
        for send in _sends(node):
            for arg in send.args:
                if model.expr_types.get(id(arg.value)) == "time":
                    found.add((owner, send.target, arg.name))
    return frozenset(found)


def set_attributes(model: Model | None) -> tuple[tuple[str, str], ...]:
    """(name, type) of every declared lead attribute some rule or flow sets, in declaration order."""
    if model is None:
        return ()
    owners: list[Any] = [rule.rule for rule in model.rules] + list(model.flows.values())
    targets = {node.field for node in _nodes(owners, ast.SetField)}
    return tuple((name, decl.type) for name, decl in model.lead_fields.items() if name in targets)


def _sends(node: Any) -> Iterator[ast.Send]:
    """Every Send node under `node` (rules and flows nest them in steps and branches)."""
    return _nodes(node, ast.Send)


def _nodes(node: Any, kind: type) -> Iterator[Any]:
    """Every node of type `kind` under `node`."""
    if isinstance(node, kind):
        yield node
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _nodes(item, kind)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            if f.name != "span":
                yield from _nodes(getattr(node, f.name), kind)
