"""One lead's inputs, in order (docs/semantics.md, "Order of processing for one lead").

At an event at time t: fire the timers due at or before t (each followed by a
settle); record the event; evaluate the event's `on` rules on the same state
and apply them in file order; flows stop, then start; settle.
"""

from __future__ import annotations

from typing import Any

from leadflow.runtime.interpreter import flows
from leadflow.runtime.interpreter.delivery import deliver
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.rules import allowed, expire, fire_group, on_event_holds
from leadflow.runtime.interpreter.settle import settle
from leadflow.runtime.interpreter.state import (
    Context,
    DeliveryTimer,
    EventHistory,
    EveryTimer,
    ExpireTimer,
    LeadState,
    WaitTimer,
)
from leadflow.semantics import notes, timemath
from leadflow.semantics.failures import out_of_order
from leadflow.semantics.values import event_text


def feed(ix: RulesetIndex, state: LeadState, ts: int, event: str, values: dict[str, Any]) -> None:
    fields = ix.event_fields.get(event)
    if fields is None:
        return  # an event type the ruleset does not declare: not applied, not activity
    if state.now is not None and ts < state.now:
        raise ValueError(out_of_order(event, ts, state.now))
    fire_due(ix, state, ts)
    state.now = ts
    present = {name: values[name] for name in fields if values.get(name) is not None}
    log = state.logs.setdefault(event, EventHistory())
    log.ts.append(ts)
    log.values.append(present)
    state.note("event", event_text(event, present.items()))
    restart_every_clocks(ix, state, event, ts)
    state.had_event = True
    if state.first_seen is None:
        state.first_seen = ts
    state.last_activity = ts

    ctx = Context(ts, event, present, ts)
    holding = [r for r in ix.on_rules.get(event, []) if on_event_holds(ix, state, r, ctx)]
    fire_group(ix, state, holding, ctx)
    flows.on_event(ix, state, ctx)
    settle(ix, state)
    state.created = True


def advance(ix: RulesetIndex, state: LeadState, ts: int) -> None:
    """Fire timers due at or before ts; a lead not yet created is created and settled at ts."""
    fire_due(ix, state, ts)
    if state.now is None or ts > state.now:
        state.now = ts
    if not state.created:
        settle(ix, state)
        state.created = True


def fire_due(ix: RulesetIndex, state: LeadState, until: int) -> None:
    """Timers due at or before `until`, in due order (ties: creation order), each then a settle."""
    while (timer := state.pop_due(until)) is not None:
        state.now = max(state.now, timer.due) if state.now is not None else timer.due
        if isinstance(timer, EveryTimer):
            _every(ix, state, timer)
        elif isinstance(timer, WaitTimer):
            flows.resume(ix, state, timer)
        elif isinstance(timer, ExpireTimer):
            expire(ix, state, timer)
        elif isinstance(timer, DeliveryTimer):
            if timer.run is not None:
                timer.run.held.remove(timer)
            state.note("timer", notes.quiet_over(timer.target))
            deliver(ix, state, timer.source, timer.target, timer.args)
        settle(ix, state)


def restart_every_clocks(ix: RulesetIndex, state: LeadState, event: str, ts: int) -> None:
    """`every D without X`: the clock starts at the first event and restarts at each X."""
    for rule in ix.every_rules:
        without = ix.rules[rule].rule.trigger.without
        if state.had_event and without is not None and without != event:
            continue
        old = state.every_timers.pop(rule, None)
        if old is not None:
            old.cancelled = True
        _schedule_every(ix, state, rule, ts, 1)


def _schedule_every(ix: RulesetIndex, state: LeadState, rule: int, anchor: int, k: int) -> None:
    """The k-th period after `anchor`: anchor + k×D, so months do not drift (31 Jan → 29 Feb → 31 Mar)."""
    every = ix.rules[rule].rule.trigger.every
    due = timemath.every_due(anchor, k, every.amount, every.unit, ix.timezone)
    if due is None:
        return  # a zero-length period would fire forever
    state.every_timers[rule] = state.schedule(EveryTimer, due, rule=rule, anchor=anchor, k=k)


def _every(ix: RulesetIndex, state: LeadState, timer: EveryTimer) -> None:
    trigger = ix.rules[timer.rule].rule.trigger
    period = notes.every_text(trigger.every.amount, trigger.every.unit, trigger.without)
    state.note("timer", notes.period_over(ix.rule_id(timer.rule), period))
    state.every_timers.pop(timer.rule, None)
    fire_group(ix, state, [timer.rule], Context(state.now))
    if allowed(ix, state, timer.rule, state.now) or ix.modifiers[timer.rule].once_per is not None:
        _schedule_every(ix, state, timer.rule, timer.anchor, timer.k + 1)
    # else: `once` / `up to N` is used up for good, so later periods could never fire.
