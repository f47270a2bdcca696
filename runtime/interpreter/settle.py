"""Settling (docs/semantics.md, "Settling"): repeat rounds until a round changes nothing.

A round: `while` rules take or give back their points; the stage is
recomputed; `when` rules that went from false to true fire; a stage change
records a transition and fires `on exit OLD` then `on enter NEW`. A round
changes something if a `while` rule started or stopped holding, a `when` rule
fired, or the stage changed. Still changing in round 10 is a run-time error
naming the rules of that last round.
"""

from __future__ import annotations

from leadflow.runtime.engine import RulesetRuntimeError, Transition
from leadflow.runtime.interpreter.actions import change_score, evaluate_action
from leadflow.runtime.interpreter.errors import blame
from leadflow.runtime.interpreter.evaluate import condition
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.rules import fire_group
from leadflow.runtime.interpreter.state import Context, LeadState
from leadflow.semantics import notes
from leadflow.semantics.failures import MAX_ROUNDS, not_settled
from leadflow.semantics.points import released_cause


def settle(ix: RulesetIndex, state: LeadState) -> None:
    for _ in range(MAX_ROUNDS):
        involved = settle_round(ix, state)
        if not involved:
            return
    raise RulesetRuntimeError(*not_settled(involved))


def settle_round(ix: RulesetIndex, state: LeadState) -> list[tuple[str, str]]:
    """One round; returns what changed, as (rule id or `stage NAME`, file:line), in order."""
    ctx = Context(state.now)
    involved: list[tuple[str, str]] = []

    def acted(rules: list[int]) -> None:
        involved.extend((ix.rule_id(rule), ix.rule_where(rule)) for rule in rules)

    for rule in ix.while_rules:
        with blame(ix.rule_id(rule), ix.rules[rule].rule.span):
            changed = _while_step(ix, state, rule, ctx)
        if changed:
            acted([rule])

    old_stage = state.stage
    new_stage = current_stage(ix, state, ctx)
    state.stage = new_stage

    rising = []
    for rule in ix.when_rules:
        checked = ix.rules[rule]
        with blame(checked.id, checked.rule.span):
            now_true = condition(ix, state, checked.rule.trigger.cond, ctx)
        if now_true and not state.when_prev.get(rule, False):
            rising.append(rule)
        state.when_prev[rule] = now_true
    acted(fire_group(ix, state, rising, ctx))

    if new_stage != old_stage:
        decl = ix.model.stages[ix.stage_order[new_stage]]
        involved.append((f"stage {new_stage}", f"{decl.span.file}:{decl.span.line}"))
        state.transitions.append(Transition(state.now, old_stage, new_stage))
        state.stage_since = state.now
        state.note("stage", notes.stage_changed(old_stage, new_stage))
        acted(fire_group(ix, state, ix.exit_rules.get(old_stage, []), ctx))
        acted(fire_group(ix, state, ix.enter_rules.get(new_stage, []), ctx))
    return involved


def current_stage(ix: RulesetIndex, state: LeadState, ctx: Context) -> str | None:
    """The last declared stage whose condition holds; the first stage always holds."""
    stage = None
    for i, decl in enumerate(ix.model.stages):
        with blame(f"stage {decl.name}", decl.span):
            if i == 0 or (decl.when is not None and condition(ix, state, decl.when, ctx)):
                stage = decl.name
    return stage


def _while_step(ix: RulesetIndex, state: LeadState, rule: int, ctx: Context) -> bool:
    """Start or stop holding a `while` rule's points; True when it did either."""
    checked = ix.rules[rule].rule
    holds = condition(ix, state, checked.trigger.cond, ctx)
    held = state.while_held.get(rule)
    if holds and held is None:
        effect = evaluate_action(ix, state, checked.actions[0], ctx)
        amount = effect.amount if effect.amount is not None else 0.0
        actual = change_score(ix, state, effect.score, amount, ix.rule_id(rule))
        state.while_held[rule] = {effect.score: actual}
        state.note("while", notes.while_holds(ix.rule_id(rule), effect.text, effect.score,
                                              state.scores[effect.score]))
        return True
    if not holds and held is not None:
        for score, actual in held.items():
            change_score(ix, state, score, -actual, released_cause(ix.rule_id(rule)))
            state.note("while", notes.while_released(ix.rule_id(rule), actual, score, state.scores[score]))
        del state.while_held[rule]
        return True
    return False

