"""Delivery policy (SPEC 6): `send limit N per D` and `quiet hours A to B`.

A send inside quiet hours is held until the end of the quiet period (a
timer) and written with its delivery time; a flow's held send is cancelled
when its flow run is stopped before then (flows.stop_flow); the send limit is checked at
delivery, counting delivered sends in `(t - D, t]`. A send over the limit is
written with kind `suppressed`. Notifications are neither capped nor delayed.
"""

from __future__ import annotations

from typing import Any

from leadflow.runtime.engine import OutAction
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import DeliveryTimer, LeadState, Source
from leadflow.semantics import notes, timemath
from leadflow.semantics.delivery import limit_reached


def outward(ix: RulesetIndex, state: LeadState, source: Source, kind: str, target: str,
            args: dict[str, Any]) -> None:
    """A `send` or `notify` made now by rule or flow `source`."""
    if kind == "notify":
        state.actions.append(OutAction(state.now, source.id, "notify", target, dict(args)))
        state.note(source.kind, notes.sent(source.id, "notify", target, args))
        return
    quiet = ix.model.quiet_hours
    if quiet is not None:
        start = quiet.start.hour * 60 + quiet.start.minute
        end = quiet.end.hour * 60 + quiet.end.minute
        if timemath.in_clock_range(state.now, start, end, ix.timezone):
            due = timemath.next_local_clock(state.now, end, ix.timezone)
            # A flow's held send belongs to its run: stopping the run cancels it (SPEC 9).
            run = state.flows.get(source.id) if source.kind == "flow" else None
            timer = state.schedule(DeliveryTimer, due, source=source, target=target,
                                   args=dict(args), run=run)
            if run is not None:
                run.held.append(timer)
            state.note(source.kind, notes.send_held(source.id, target, due, ix.timezone))
            return
    deliver(ix, state, source, target, args)


def deliver(ix: RulesetIndex, state: LeadState, source: Source, target: str,
            args: dict[str, Any]) -> None:
    """Deliver a send now, or suppress it when the send limit is reached."""
    limit = ix.model.send_limit
    if limit is not None:
        start = timemath.add_duration(state.now, -limit.per.amount, limit.per.unit, ix.timezone)
        if limit_reached(state.delivered, limit.limit, start):
            state.actions.append(OutAction(state.now, source.id, "suppressed", target, dict(args)))
            state.note(source.kind, notes.send_limited(source.id, target, notes.limit_text(
                limit.limit, limit.per.amount, limit.per.unit)))
            return
    state.delivered.append(state.now)
    state.actions.append(OutAction(state.now, source.id, "send", target, dict(args)))
    state.note(source.kind, notes.sent(source.id, "send", target, args))
