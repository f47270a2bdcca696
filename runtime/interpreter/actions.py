"""Actions in two steps: evaluate (read the state, compute every value) and apply.

Rules of one trigger are all evaluated on the same state before any of them
applies (SPEC 4), so an action is first turned into an `Effect` holding its
computed values. `subtract N%` is computed then too: its amount is N% of the
score's value in that shared state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.dsl import ast
from leadflow.runtime.engine import PointChange
from leadflow.runtime.interpreter.evaluate import evaluate
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import Context, Facts, LeadState, Source
from leadflow.semantics import notes


@dataclass(frozen=True)
class ScoreEffect:
    score: str
    amount: float | None  # None when the amount expression is missing: no change
    text: str  # how the action reads, for the trace: "add 10", "subtract 25%"


@dataclass(frozen=True)
class SetEffect:
    field: str
    value: Any


@dataclass(frozen=True)
class TagEffect:
    tag: str
    remove: bool


@dataclass(frozen=True)
class OutwardEffect:
    kind: str  # "send" or "notify"
    target: str
    args: dict[str, Any]


@dataclass(frozen=True)
class FlowEffect:
    op: str  # "start" or "stop"
    flow: str


Effect = ScoreEffect | SetEffect | TagEffect | OutwardEffect | FlowEffect


def evaluate_action(ix: RulesetIndex, facts: Facts, action: ast.Action, ctx: Context) -> Effect:
    if isinstance(action, ast.Add):
        score = action.score or ix.default_score
        amount = evaluate(ix, facts, action.amount, ctx)
        verb = "subtract" if action.negate else "add"
        if amount is not None:
            amount = -float(amount) if action.negate else float(amount)
        return ScoreEffect(score, amount, notes.action_text(verb, amount))
    if isinstance(action, ast.SubtractPercent):
        score = action.score or ix.default_score
        amount = -facts.scores[score] * action.percent / 100
        return ScoreEffect(score, amount, notes.percent_text(action.percent))
    if isinstance(action, ast.SetField):
        return SetEffect(action.field, evaluate(ix, facts, action.value, ctx))
    if isinstance(action, ast.Tag):
        return TagEffect(action.tag, action.remove)
    if isinstance(action, ast.Send):
        args = {arg.name: evaluate(ix, facts, arg.value, ctx) for arg in action.args}
        return OutwardEffect(action.kind, action.target, args)
    if isinstance(action, ast.FlowControl):
        return FlowEffect(action.op, action.flow)
    raise TypeError(f"not an action: {type(action).__name__}")


def change_score(ix: RulesetIndex, state: LeadState, score: str, delta: float, cause: str) -> float:
    """Add `delta`, clamp to the score's bounds; return the change actually made.

    `cause` is what the points ledger names (PointChange.rule); a change of 0
    (nothing to add, or clamped away) is not a ledger row.
    """
    old = state.scores[score]
    new = ix.clamp(score, old + delta)
    state.scores[score] = new
    if state.points is not None and new != old:
        state.points.append(PointChange(state.now, cause, score, new - old, new))
    return new - old


def apply_state_effect(state: LeadState, source: Source, effect: SetEffect | TagEffect) -> None:
    if isinstance(effect, SetEffect):
        if effect.value is None:
            state.attrs.pop(effect.field, None)
        else:
            state.attrs[effect.field] = effect.value
        state.note(source.kind, notes.field_set(source.id, effect.field, effect.value))
    else:
        if effect.remove:
            state.tags.discard(effect.tag)
        else:
            state.tags.add(effect.tag)
        state.note(source.kind, notes.tagged(source.id, effect.tag, effect.remove))
