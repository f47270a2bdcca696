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
    reported.py    any engine's result read with this evaluator (test blocks)

The public API is `__all__`: the engine, its lead state (coverage reads it),
the ruleset index, and `FedEvents`/`ReportedLead` for judging test blocks.
Code outside runtime/interpreter/ imports nothing else from here.
"""

from __future__ import annotations

from typing import Any

from leadflow.dsl import ast
from leadflow.dsl.model import Model
from leadflow.runtime.engine import LeadResult, OutAction, TraceEntry, Transition
from leadflow.runtime.interpreter import process
from leadflow.runtime.interpreter import state as lead_state
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.reported import FedEvents, ReportedLead
from leadflow.runtime.interpreter.state import FlowInstance, LeadState
from leadflow.runtime.pending import Scheduled, flow_waits
from leadflow.runtime.snapshot import Codec, SnapshotError

__all__ = ["FedEvents", "FlowInstance", "Interpreter", "LeadState", "ReportedLead",
           "RulesetIndex"]


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

    def new_lead(self, lead_id: str, attrs: dict[str, Any], trace: bool = False,
                 points: bool = False) -> LeadState:
        ix = self.index
        return LeadState(
            scores={name: ix.initial_score(name) for name in ix.score_names},
            stage=ix.stage_names[0] if ix.stage_names else None,
            tags=set(),
            attrs={k: v for k, v in attrs.items() if v is not None},
            lead_id=lead_id,
            tracing=trace,
            points=[] if points else None,
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
            points=list(state.points or ()),
            cancelled=list(state.cancelled_sends),
            first_seen=state.first_seen,
            last_activity=state.last_activity,
            stage_since=state.stage_since,
        )

    def trace(self, state: LeadState) -> list[TraceEntry]:
        return list(state.trace)

    # -- saving a lead between runs (`run --state`) ------------------------------
    def save_state(self, lead: LeadState) -> str:
        """The lead as JSON text, without what it already emitted (see runtime/snapshot.py)."""
        return self._codec.dumps(lead)

    def load_state(self, text: str, points: bool = False) -> LeadState:
        """A lead saved by `save_state` (SnapshotError when it is not one of this ruleset)."""
        lead = self._codec.loads(text)
        if not isinstance(lead, LeadState):
            raise SnapshotError("not a lead snapshot of this ruleset")
        lead.points = [] if points else None
        return lead

    def scheduled(self, lead: LeadState) -> list[Scheduled]:
        """The lead's live timers (runtime/pending.py), in due order."""
        items = []
        for due, _, timer in sorted(lead.timers, key=lambda entry: entry[:2]):
            if timer.cancelled:
                continue
            if isinstance(timer, lead_state.EveryTimer):
                items.append(Scheduled(due, "every", self.index.rule_id(timer.rule)))
            elif isinstance(timer, lead_state.ExpireTimer):
                items.append(Scheduled(due, "expire", self.index.rule_id(timer.rule),
                                       tuple((score, actual) for score, actual, _ in timer.changes)))
            elif isinstance(timer, lead_state.DeliveryTimer):
                items.append(Scheduled(due, "held_send", timer.source.id, timer.target))
            elif lead.flows.get(timer.flow) is timer.instance:
                steps, position = timer.instance.stack[-1]
                waits = flow_waits(self.model.flows[timer.flow])
                number = next(k for k, (s, i) in enumerate(waits, 1) if s is steps and i == position - 1)
                items.append(Scheduled(due, "flow_step", timer.flow, number))
        return items

    def next_due(self, lead: LeadState) -> int | None:
        """When the lead's next timer is due (None: none pending)."""
        return min((due for due, _, timer in lead.timers if not timer.cancelled), default=None)

    @property
    def _codec(self) -> Codec:
        codec = self.__dict__.get("_codec_cache")
        if codec is None:
            codec = self.__dict__["_codec_cache"] = Codec(
                (LeadState, lead_state.EventHistory, lead_state.RuleMemory, lead_state.EveryTimer,
                 lead_state.WaitTimer, lead_state.ExpireTimer, lead_state.DeliveryTimer,
                 lead_state.FlowInstance, lead_state.Source,
                 OutAction, Transition),
                external=_flow_parts(self.model),
                # Outputs already written, the trace, the ledger, and a cache rebuilt from `logs`.
                skip={"actions": list, "transitions": list, "trace": list, "series": dict,
                      "points": lambda: None, "cancelled_sends": list})
        return codec


def _flow_parts(model: Model) -> dict[str, tuple]:
    """Stable names for the step lists a live flow run points at: `flow/2.then/0.else`."""
    parts: dict[str, tuple] = {"()": ()}

    def visit(token: str, steps: tuple) -> None:
        parts[token] = steps
        for i, step in enumerate(steps):
            if isinstance(step, ast.If):
                visit(f"{token}/{i}.then", step.then)
                visit(f"{token}/{i}.else", step.otherwise)

    for name, flow in model.flows.items():
        visit(name, flow.steps)
    return parts
