"""Dispatch by event type: an event runs only the rules and aggregates that name it.

Adds `Program.dispatch`, an `ir.Dispatch` with one `EventBranch` per event
type that has anything to do (aggregates or trackers to record, `on` rules,
flow triggers), naming the `on` rules of that type in file order. The plain
program has none: every `on` rule tests the event's type itself. With it the
generated loop branches once on the event code (`if code == 0: ... elif
code == 2: ...`) and each branch reads only its own field columns.

Runs after every pass that removes rules: a branch names rules by index.
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir


def _records_or_triggers(program: ir.Program, event: int) -> bool:
    """Does an event of this type update an aggregate or tracker, or start or stop a flow?"""
    return (any(a.event == event for a in program.aggregates)
            or any(t.event == event for t in program.trackers)
            or any(t.event == event for f in program.flows for t in f.starts + f.stops))


def dispatch_by_event(program: ir.Program) -> ir.Program:
    branches = []
    for event in range(len(program.events)):
        rules = tuple(r.index for r in program.rules if r.kind == "on" and r.event == event)
        if rules or _records_or_triggers(program, event):
            branches.append(ir.EventBranch(event, rules))
    return dataclasses.replace(program, dispatch=ir.Dispatch(tuple(branches)))
