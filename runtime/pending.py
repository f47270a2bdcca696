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

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from leadflow.runtime.outputs import format_score

if TYPE_CHECKING:
    from leadflow.dsl import ast
    from leadflow.dsl.model import Model

# The words of the timers that read the rule file (an `every` rule's actions, the steps
# after a flow's wait), by (kind, rule id or flow name, wait number or None): made from
# the model (`timer_words`), or kept with a cached ruleset (runtime/ruleset_facts.py).
TimerWords = Mapping[tuple[str, str, int | None], str]


class Scheduled(NamedTuple):
    """A live timer of one lead (a named tuple: a run makes one for most of its leads, and
    a frozen dataclass took three times as long to make)."""

    due: int
    kind: str  # "every", "expire", "flow_step" or "held_send"
    source: str  # the rule id, or the flow name
    # expire: ((score, points to take back), ...); flow_step: which wait of the flow
    # (1 = its first `wait` in file order, `if` branches then before else); held_send:
    # the template; every: None.
    detail: Any = None


def flow_waits(flow: ast.FlowDecl) -> list[tuple[tuple, int]]:
    """Every `wait` of a flow in file order, as (the step list holding it, its index there)."""
    from leadflow.dsl import ast

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


def describer(words: TimerWords) -> Callable[[Scheduled], str]:
    """`describe` for one ruleset, remembering its words: most leads share a few timers."""
    known: dict[tuple, str] = {}  # (kind, source, detail) → the words

    def remembered(item: Scheduled) -> str:
        key = item[1:]
        text = known.get(key)
        if text is None:
            if len(known) >= REMEMBERED:
                known.clear()
            text = known[key] = describe(words, item)
        return text

    return remembered


REMEMBERED = 4096  # timer descriptions a describer keeps


def describe(words: TimerWords, item: Scheduled) -> str:
    """What the timer will do, in the ruleset's own words."""
    if item.kind == "expire":
        return ", ".join(f"take back {format_score(points)} from {score}" if points >= 0
                         else f"give back {format_score(-points)} to {score}"
                         for score, points in item.detail)
    if item.kind == "held_send":
        return f'send "{item.detail}"'
    return words[(item.kind, item.source, item.detail if item.kind == "flow_step" else None)]


def timer_words(model: Model) -> dict[tuple[str, str, int | None], str]:
    """The words of every `every` rule's firing and of what follows each wait of each flow."""
    from leadflow.dsl import ast
    from leadflow.dsl.format_statements import format_statement

    words: dict[tuple[str, str, int | None], str] = {}
    for rule in model.rules:
        if isinstance(rule.rule.trigger, ast.Every):
            words[("every", rule.id, None)] = ", ".join(
                format_statement(action) for action in rule.rule.actions)
    for name, flow in model.flows.items():
        for number, (steps, index) in enumerate(flow_waits(flow), 1):
            after = []
            for step in steps[index + 1:]:
                if isinstance(step, ast.Wait):
                    break
                after.append(_step_text(step))
            words[("flow_step", name, number)] = ", ".join(after) if after else "end the flow"
    return words


def _step_text(step: Any) -> str:
    from leadflow.dsl import ast
    from leadflow.dsl.format_expr import format_expr
    from leadflow.dsl.format_statements import format_statement

    if isinstance(step, ast.If):
        return f"if {format_expr(step.cond)} …"
    return format_statement(step)
