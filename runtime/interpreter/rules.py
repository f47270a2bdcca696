"""Rule firings: modifiers, evaluation on a shared state, application in file order.

A group of rules that react to the same thing (the `on` rules of one event,
the `when` rules that rise in one settle round, the `on exit`/`on enter`
rules of one stage change) is first evaluated on the same state (`plan`),
then applied in file order (`apply`). Modifiers (docs/semantics.md):
`once`, `once per D` (not fired in `(t - D, t]`), `up to N times`,
`capped at N` (live contribution, counted before clamping), `expires after D`
(takes back what the firing actually changed, D later).
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.dsl import ast
from leadflow.runtime.interpreter.actions import (
    Effect,
    ScoreEffect,
    change_score,
    evaluate_action,
)
from leadflow.runtime.interpreter.errors import blame
from leadflow.runtime.interpreter.evaluate import compare, condition, evaluate
from leadflow.runtime.interpreter.flows import apply_effect
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import Context, ExpireTimer, LeadState, Source
from leadflow.semantics import notes, timemath
from leadflow.semantics.points import capped, expired_cause


@dataclass
class Firing:
    rule: int
    effects: list[Effect]
    ctx: Context


def allowed(ix: RulesetIndex, state: LeadState, rule: int, now: int) -> bool:
    """Whether the rule's `once`, `once per` and `up to` modifiers let it fire now."""
    mods = ix.modifiers[rule]
    memory = state.rules.get(rule)
    if memory is None:
        return True
    if mods.once and memory.fired >= 1:
        return False
    if mods.up_to is not None and memory.fired >= mods.up_to:
        return False
    if mods.once_per is not None and memory.last_fired is not None:
        start = timemath.add_duration(now, -mods.once_per.amount, mods.once_per.unit, ix.timezone)
        if memory.last_fired > start:
            return False
    return True


def plan(ix: RulesetIndex, state: LeadState, rule: int, ctx: Context) -> Firing | None:
    """The firing of a rule whose trigger holds, or None when its modifiers forbid it."""
    if not allowed(ix, state, rule, ctx.now):
        return None
    checked = ix.rules[rule]
    with blame(checked.id, checked.rule.span):
        return Firing(rule, [evaluate_action(ix, state, a, ctx) for a in checked.rule.actions], ctx)


def on_event_holds(ix: RulesetIndex, state: LeadState, rule: int, ctx: Context) -> bool:
    """`on E [where C] [count OP N [within D]] [when C2]` for the event in `ctx`."""
    checked = ix.rules[rule]
    with blame(checked.id, checked.rule.span):
        return _on_event_holds(ix, state, rule, checked.rule.trigger, ctx)


def _on_event_holds(ix: RulesetIndex, state: LeadState, rule: int, trigger: ast.OnEvent,
                    ctx: Context) -> bool:
    if not condition(ix, state, trigger.where, ctx):
        return False
    if trigger.count is not None:
        counted = evaluate(ix, state, ix.count_nodes[rule], ctx)
        if not compare(trigger.count.op, counted, trigger.count.value):
            return False
    return condition(ix, state, trigger.when, ctx)


def apply(ix: RulesetIndex, state: LeadState, firing: Firing) -> None:
    rule = firing.rule
    source = Source(ix.rule_id(rule), "rule")
    mods = ix.modifiers[rule]
    memory = state.memory(rule)
    memory.fired += 1
    memory.last_fired = state.now
    changes: list[tuple[str, float, float]] = []
    for effect in firing.effects:
        if not isinstance(effect, ScoreEffect) or effect.amount is None:
            apply_effect(ix, state, source, effect, firing.ctx)  # a missing amount: noted, no change
            continue
        live = memory.contribution.get(effect.score, 0.0)
        points = effect.amount if mods.cap is None else capped(effect.amount, live, mods.cap)
        actual = change_score(ix, state, effect.score, points, source.id)
        memory.contribution[effect.score] = live + points
        changes.append((effect.score, actual, points))
        state.note("rule", notes.score_changed(source.id, effect.text, effect.score, state.scores[effect.score],
                                               notes.capped_text(mods.cap, points, effect.amount)))
    if mods.expires is not None and changes:
        due = timemath.add_duration(state.now, mods.expires.amount, mods.expires.unit, ix.timezone)
        state.schedule(ExpireTimer, due, rule=rule, changes=tuple(changes))


def expire(ix: RulesetIndex, state: LeadState, timer: ExpireTimer) -> None:
    """`expires after D`: take back what one firing changed; its points leave the contribution."""
    memory = state.memory(timer.rule)
    rule_id = ix.rule_id(timer.rule)
    for score, actual, points in timer.changes:
        change_score(ix, state, score, -actual, expired_cause(rule_id))
        memory.contribution[score] = memory.contribution.get(score, 0.0) - points
        state.note("expire", notes.expired(rule_id, actual, score, state.scores[score]))


def fire_group(ix: RulesetIndex, state: LeadState, rules: list[int], ctx: Context) -> list[int]:
    """Plan every rule of a group whose trigger already holds, then apply in file order.

    Returns the rules that fired.
    """
    firings = [f for f in (plan(ix, state, r, ctx) for r in rules) if f is not None]
    for firing in firings:
        apply(ix, state, firing)
    return [f.rule for f in firings]
