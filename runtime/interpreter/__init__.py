"""The reference interpreter: SPEC sections 4–7 in plain code, the oracle for the compiler.

`Interpreter(model)` implements the Engine interface of
`leadflow.runtime.engine`: `new_lead`, `feed`, `advance`, `result`, `trace`.
Times are integer microseconds since the epoch, UTC. The precise meaning is
docs/semantics.md; each module here implements one part of it:

    index.py       lookups over the model (which rules react to what)
    state.py       what is remembered per lead; timers
    evaluate.py    expressions          aggregates.py  count/sum/.../since
    actions.py     actions → effects    rules.py       modifiers, firing groups
    settle.py      the settle loop      flows.py       nurture sequences
    delivery.py    send limit, quiet hours
    process.py     events and timers in order
    errors.py      run-time failures named after their rule
"""

from __future__ import annotations

from typing import Any

from leadflow.dsl.model import Model
from leadflow.runtime.engine import LeadResult, TraceEntry
from leadflow.runtime.interpreter import process
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import LeadState

__all__ = ["Interpreter", "LeadState"]


class Interpreter:
    """The reference engine for one checked ruleset."""

    def __init__(self, model: Model):
        self.index = RulesetIndex(model)
        self.model = model
        self.name = model.name
        self.timezone = model.timezone
        self.events = {name: tuple((f.name, f.type) for f in decl.fields)
                       for name, decl in model.events.items()}
        self.lead_fields = tuple((f.name, f.type) for f in model.lead_fields.values())
        self.scores = self.index.score_names
        self.stages = self.index.stage_names

    def new_lead(self, lead_id: str, attrs: dict[str, Any], trace: bool = False) -> LeadState:
        ix = self.index
        return LeadState(
            scores={name: ix.initial_score(name) for name in ix.score_names},
            stage=ix.stage_names[0] if ix.stage_names else None,
            tags=set(),
            attrs={k: v for k, v in attrs.items() if v is not None},
            lead_id=lead_id,
            tracing=trace,
        )

    def feed(self, state: LeadState, ts: int, event: str, values: dict[str, Any]) -> None:
        """Fire timers due at or before `ts`, then apply the event (events in time order).

        An event type the ruleset does not declare is ignored.
        """
        process.feed(self.index, state, ts, event, values)

    def advance(self, state: LeadState, ts: int) -> None:
        """Fire timers due at or before `ts`; a lead with no input yet is created and settled at ts."""
        process.advance(self.index, state, ts)

    def result(self, state: LeadState) -> LeadResult:
        return LeadResult(
            lead_id=state.lead_id,
            scores=dict(state.scores),
            stage=state.stage,
            tags=tuple(sorted(state.tags)),
            attrs=dict(state.attrs),
            actions=list(state.actions),
            transitions=list(state.transitions),
        )

    def trace(self, state: LeadState) -> list[TraceEntry]:
        return list(state.trace)
