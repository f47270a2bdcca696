"""What the interpreter remembers about one lead, and the timers it has pending.

Everything here is plain data; the behaviour lives in the sibling modules.
`Facts` is the part an expression can read (scores, stage, tags, attributes,
event history); `LeadState` adds what the engine needs to carry on (timers,
rule memories, flows, outputs). The test runner builds a bare `Facts` from an
engine's result, so `expect` conditions are evaluated the same way whatever
engine ran the lead.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from leadflow.runtime.engine import OutAction, PointChange, TraceEntry, Transition


@dataclass
class EventHistory:
    """The applied events of one type, in time order: parallel lists of times and values."""

    ts: list[int] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Series:
    """The events of one type that pass one filter that reads only the event itself.

    Such a filter gives the same answer for an event forever, so each event is
    tested once (`scanned` counts how many of the type's events have been
    tested) and the matches are kept here with running totals for aggregates
    without a window.
    """

    ts: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)  # the field's value, or None for count/since
    scanned: int = 0
    total: Any = 0  # sum of the present values, added in time order
    present: int = 0  # how many values are present
    low: Any = None
    high: Any = None
    distinct: set = field(default_factory=set)


@dataclass(frozen=True)
class Source:
    """Who acts: a rule (its id) or a flow (its name); `kind` is the trace kind."""

    id: str
    kind: str  # "rule" or "flow"


@dataclass(frozen=True)
class Context:
    """Where an expression is evaluated: the time, and the event whose fields bare names read."""

    now: int
    event: str | None = None
    values: dict[str, Any] | None = None
    ts: int | None = None
    # Inside an aggregate's `where`: the context it was evaluated in, whose event
    # `this.x` reads (None elsewhere: `this.x` reads this context's own event).
    outer: Context | None = None

    @property
    def this(self) -> Context:
        return self.outer if self.outer is not None else self


@dataclass
class Facts:
    """What expressions read: the lead as it stands and its applied events."""

    scores: dict[str, float]
    stage: str | None
    tags: set[str]
    attrs: dict[str, Any]
    logs: dict[str, EventHistory] = field(default_factory=dict)
    series: dict[tuple, Series] = field(default_factory=dict)
    actions: list[OutAction] = field(default_factory=list)  # outward: send, notify, suppressed


# ------------------------------------------------------------------ timers


@dataclass(eq=False)
class Timer:
    """A pending timer; the heap orders by (due, seq), seq being creation order."""

    due: int
    seq: int
    cancelled: bool = field(default=False, init=False)


@dataclass(eq=False)
class EveryTimer(Timer):
    """The k-th period of `every D without X`, counted from `anchor` (the last X)."""

    rule: int = 0  # index into Interpreter.rules
    anchor: int = 0
    k: int = 1


@dataclass(eq=False)
class WaitTimer(Timer):
    """The end of a flow's `wait`: the instance carries on from its saved position."""

    flow: str = ""
    instance: Any = None


@dataclass(eq=False)
class ExpireTimer(Timer):
    """`expires after D`: take back what one firing changed, per score."""

    rule: int = 0
    changes: tuple[tuple[str, float, float], ...] = ()  # (score, actual change, points counted)


@dataclass(eq=False)
class DeliveryTimer(Timer):
    """A send held back by quiet hours, delivered at the end of the quiet period."""

    source: Source | None = None
    target: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    run: Any = None  # the FlowInstance that made the send, which cancels it when stopped


@dataclass
class RuleMemory:
    """Per lead, per rule: how often and when it fired, and its live points per score."""

    fired: int = 0
    last_fired: int | None = None
    contribution: dict[str, float] = field(default_factory=dict)


@dataclass(eq=False)
class FlowInstance:
    """A live run of a flow: the event that started it and where its steps stand."""

    flow: str
    context_event: str | None
    context_values: dict[str, Any] | None
    context_ts: int | None
    stack: list[list] = field(default_factory=list)  # [steps, next index] frames; If pushes one
    timer: WaitTimer | None = None
    held: list[DeliveryTimer] = field(default_factory=list)  # its sends held by quiet hours


@dataclass
class LeadState(Facts):
    lead_id: str = ""
    now: int | None = None
    created: bool = False  # settled at least once
    had_event: bool = False
    first_seen: int | None = None  # the first applied event
    last_activity: int | None = None  # the last applied event
    stage_since: int | None = None  # the last stage change
    timers: list[tuple[int, int, Timer]] = field(default_factory=list)  # a heap
    next_seq: int = 0
    rules: dict[int, RuleMemory] = field(default_factory=dict)
    while_held: dict[int, dict[str, float]] = field(default_factory=dict)  # rule → score → held
    when_prev: dict[int, bool] = field(default_factory=dict)
    every_timers: dict[int, EveryTimer] = field(default_factory=dict)
    flows: dict[str, FlowInstance] = field(default_factory=dict)
    delivered: list[int] = field(default_factory=list)  # times of delivered sends
    transitions: list[Transition] = field(default_factory=list)
    tracing: bool = False
    trace: list[TraceEntry] = field(default_factory=list)
    points: list[PointChange] | None = None  # the points ledger, when asked for
    # Held sends of stopped flow runs (LeadResult.cancelled). Not `cancelled`: the snapshot
    # codec skips fields by name, and a Timer has a `cancelled` flag it must keep.
    cancelled_sends: list[OutAction] = field(default_factory=list)

    def memory(self, rule: int) -> RuleMemory:
        if rule not in self.rules:
            self.rules[rule] = RuleMemory()
        return self.rules[rule]

    def schedule(self, timer_type: type, due: int, **fields: Any) -> Timer:
        timer = timer_type(due, self.next_seq, **fields)
        self.next_seq += 1
        heapq.heappush(self.timers, (due, timer.seq, timer))
        return timer

    def pop_due(self, until: int) -> Timer | None:
        """The next live timer due at or before `until`, removed from the heap."""
        while self.timers and self.timers[0][0] <= until:
            _, _, timer = heapq.heappop(self.timers)
            if not timer.cancelled:
                return timer
        return None

    def note(self, kind: str, text: str) -> None:
        """Add a line to the trace (for `explain`) when tracing."""
        if self.tracing:
            self.trace.append(TraceEntry(self.now if self.now is not None else 0, kind, text,
                                         dict(self.scores), self.stage))
