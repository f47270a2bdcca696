"""What comes next for a lead: its scheduled work after the as-of time (pending.csv).

Each engine lists a lead's live timers as `Scheduled` items (plain data: the
due time, the kind, the rule or flow, and what the timer carries); this module
turns them into the words of pending.csv from the ruleset itself, so both
engines write the same text:

    every      an `every D without X` rule's next firing (decay, reminders):
               the rule's actions, `subtract 10% from engagement`
    expire     `expires after` taking back a firing's points:
               `take back 10 from engagement`
    flow_step  a flow waiting: the steps after that wait, `send "recordatorio"`
    held_send  a send held by quiet hours: `send "bienvenida"`
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from leadflow.dsl import ast
from leadflow.dsl.format_expr import format_expr
from leadflow.dsl.format_statements import format_statement
from leadflow.dsl.model import Model
from leadflow.runtime.outputs import format_score


@dataclass(frozen=True)
class Scheduled:
    """A live timer of one lead."""

    due: int
    kind: str  # "every", "expire", "flow_step" or "held_send"
    source: str  # the rule id, or the flow name
    # expire: ((score, points to take back), ...); flow_step: which wait of the flow
    # (1 = its first `wait` in file order, `if` branches then before else); held_send:
    # the template; every: None.
    detail: Any = None


def flow_waits(flow: ast.FlowDecl) -> list[tuple[tuple, int]]:
    """Every `wait` of a flow in file order, as (the step list holding it, its index there)."""
    found: list[tuple[tuple, int]] = []

    def visit(steps: tuple) -> None:
        for i, step in enumerate(steps):
            if isinstance(step, ast.Wait):
                found.append((steps, i))
            elif isinstance(step, ast.If):
                visit(step.then)
                visit(step.otherwise)

    visit(flow.steps)
    return found


def describer(model: Model) -> Callable[[Scheduled], str]:
    """`describe` for one ruleset, remembering its words: most leads share a few timers."""
    @lru_cache(maxsize=4096)
    def words(kind: str, source: str, detail: Any) -> str:
        return describe(model, Scheduled(0, kind, source, detail))

    return lambda item: words(item.kind, item.source, item.detail)


def describe(model: Model, item: Scheduled) -> str:
    """What the timer will do, in the ruleset's own words."""
    if item.kind == "every":
        rule = next(r for r in model.rules if r.id == item.source)
        return ", ".join(format_statement(action) for action in rule.rule.actions)
    if item.kind == "expire":
        return ", ".join(f"take back {format_score(points)} from {score}" if points >= 0
                         else f"give back {format_score(-points)} to {score}"
                         for score, points in item.detail)
    if item.kind == "held_send":
        return f'send "{item.detail}"'
    steps, index = flow_waits(model.flows[item.source])[item.detail - 1]
    after = []
    for step in steps[index + 1:]:
        if isinstance(step, ast.Wait):
            break
        after.append(_step_text(step))
    return ", ".join(after) if after else "end the flow"


def _step_text(step: Any) -> str:
    if isinstance(step, ast.If):
        return f"if {format_expr(step.cond)} …"
    return format_statement(step)
