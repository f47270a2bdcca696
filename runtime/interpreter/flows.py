"""Flows (SPEC 5): nurture sequences with waits, started and stopped by events or rules.

A lead has at most one live instance of a flow; a start while live is
ignored. Steps run one after another up to the next `wait`, each seeing the
state the previous step left; the triggering event (for bare field names) is
the one that started the flow. On an event, rules act first, then `stop on`
triggers end live flows, then `start on` triggers start flows that are not
live (docs/semantics.md, "Flows vs. rules on one event").
"""

from __future__ import annotations

from leadflow.dsl import ast
from leadflow.runtime.engine import OutAction
from leadflow.runtime.interpreter.actions import (
    Effect,
    FlowEffect,
    OutwardEffect,
    ScoreEffect,
    apply_state_effect,
    change_score,
    evaluate_action,
)
from leadflow.runtime.interpreter.delivery import outward
from leadflow.runtime.interpreter.errors import blame
from leadflow.runtime.interpreter.evaluate import condition
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import Context, FlowInstance, LeadState, Source, WaitTimer
from leadflow.semantics import notes, timemath


def apply_effect(ix: RulesetIndex, state: LeadState, source: Source, effect: Effect,
                 ctx: Context) -> None:
    """Apply an effect other than a rule's score change (which needs its modifiers)."""
    if isinstance(effect, ScoreEffect):
        if effect.amount is None:
            state.note(source.kind, notes.amount_missing(source.id, effect.text))
            return
        change_score(ix, state, effect.score, effect.amount, source.id)
        state.note(source.kind, notes.score_changed(source.id, effect.text, effect.score, state.scores[effect.score]))
    elif isinstance(effect, OutwardEffect):
        outward(ix, state, source, effect.kind, effect.target, effect.args)
    elif isinstance(effect, FlowEffect):
        if effect.op == "start":
            start_flow(ix, state, effect.flow, ctx, notes.started_by(source.id))
        else:
            stop_flow(state, effect.flow, notes.stopped_by(source.id))
    else:
        apply_state_effect(state, source, effect)


def start_flow(ix: RulesetIndex, state: LeadState, name: str, ctx: Context, why: str = "") -> None:
    """Start a flow unless it is live; `why` names the rule behind a `start FLOW` action."""
    if name in state.flows:
        state.note("flow", notes.start_ignored(name))
        return
    if ctx.event is not None and ctx.event == ix.flow_event[name]:
        event, values, ts = ctx.event, ctx.values, ctx.ts
    else:  # steps read no event fields (dsl/model.py, name resolution)
        event, values, ts = None, None, None
    instance = FlowInstance(name, event, values, ts, [[ix.flows[name].steps, 0]])
    state.flows[name] = instance
    state.note("flow", notes.flow_starts(name, why))
    run_steps(ix, state, instance)


def stop_flow(state: LeadState, name: str, why: str) -> None:
    instance = state.flows.pop(name, None)
    if instance is None:
        return
    if instance.timer is not None:
        instance.timer.cancelled = True
    state.note("flow", notes.flow_stops(name, why))
    # Its sends still held by quiet hours die with it (SPEC 9, Delivery); a run that
    # ends by running out of steps keeps them.
    for held in instance.held:
        held.cancelled = True
        state.cancelled_sends.append(OutAction(state.now, name, "cancelled", held.target, dict(held.args)))
        state.note("flow", notes.held_cancelled(name, held.target))
    instance.held.clear()


def resume(ix: RulesetIndex, state: LeadState, timer: WaitTimer) -> None:
    """A wait ended: carry on from where the instance stopped."""
    instance = timer.instance
    if state.flows.get(timer.flow) is not instance:
        return
    instance.timer = None
    state.note("timer", notes.wait_over(timer.flow))
    run_steps(ix, state, instance)


def run_steps(ix: RulesetIndex, state: LeadState, instance: FlowInstance) -> None:
    source = Source(instance.flow, "flow")
    # A step may stop (or restart) this very flow; then this instance is no longer live.
    while state.flows.get(instance.flow) is instance:
        if not instance.stack:
            del state.flows[instance.flow]
            state.note("flow", notes.flow_ends(instance.flow))
            return
        frame = instance.stack[-1]
        steps, position = frame
        if position >= len(steps):
            instance.stack.pop()
            continue
        frame[1] = position + 1
        step = steps[position]
        ctx = Context(state.now, instance.context_event, instance.context_values,
                      instance.context_ts)
        if isinstance(step, ast.Wait):
            d = step.duration
            due = timemath.add_duration(state.now, d.amount, d.unit, ix.timezone)
            instance.timer = state.schedule(WaitTimer, due, flow=instance.flow, instance=instance)
            state.note("flow", notes.flow_waits(instance.flow, notes.duration_text(d.amount, d.unit), due,
                                                ix.timezone))
            return
        with blame(instance.flow, step.span):
            if isinstance(step, ast.If):
                branch = step.then if condition(ix, state, step.cond, ctx) else step.otherwise
                instance.stack.append([branch, 0])
                continue
            effect = evaluate_action(ix, state, step, ctx)
        apply_effect(ix, state, source, effect, ctx)


def on_event(ix: RulesetIndex, state: LeadState, ctx: Context) -> None:
    """Step 5 of an event: `stop on` triggers, then `start on` triggers, flows in file order."""
    names = ix.flows_on.get(ctx.event, [])
    for name in names:
        if name in state.flows and _triggered(ix, state, ix.flows[name], "stop", ctx):
            stop_flow(state, name, notes.stop_on(ctx.event))
    starting = [name for name in names
                if name not in state.flows and _triggered(ix, state, ix.flows[name], "start", ctx)]
    for name in starting:
        start_flow(ix, state, name, ctx)


def _triggered(ix: RulesetIndex, state: LeadState, flow: ast.FlowDecl, op: str,
               ctx: Context) -> bool:
    with blame(flow.name, flow.span):
        return any(t.op == op and t.event == ctx.event and condition(ix, state, t.where, ctx)
                   for t in flow.triggers)
