"""The small interface the runtime drives, whatever made the engine.

An engine is the reference interpreter (`leadflow.runtime.interpreter`) or a
compiled module (`leadflow.compiler`); the runtime (readers, `run`, `explain`,
`test`) only uses what is defined here. Times are integers: microseconds since
the Unix epoch, UTC. Field values arrive already typed: `number` → float,
`int` → int, `text` → str, `bool` → bool, `time` → int microseconds; a missing
value is absent from the dict (or None).

A compiled module must import only the standard library, so it cannot import
this file; it provides the same attributes and functions, and returns objects
with the same fields (duck typing), which is why these are plain dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class OutAction:
    """An outward action: kind "send", "notify" or "suppressed" (a send over the limit);
    "cancelled" for a held send whose flow run stopped (LeadResult.cancelled only)."""

    at: int
    rule: str  # rule id, or the flow name for a flow step
    kind: str
    target: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Transition:
    at: int
    from_stage: str
    to_stage: str


@dataclass
class PointChange:
    """One row of the points ledger: a score changed by `change` (after clamping and caps).

    `rule` is the rule id for a rule firing (as in OutAction.rule), the flow name
    for a flow step, `expire:<rule id>` when `expires after` takes points back and
    `while:<rule id>` when a `while` rule stops holding (docs/cli.md, points).
    """

    at: int
    rule: str
    score: str
    change: float
    value: float  # the score right after


@dataclass
class TraceEntry:
    """One line of `explain`: what happened, and the scores and stage right after it."""

    at: int
    kind: str  # "event", "timer", "rule", "flow", "stage", "expire", "while"
    text: str
    scores: dict[str, float]
    stage: str | None


@dataclass
class LeadResult:
    lead_id: str
    scores: dict[str, float]  # in declaration order
    stage: str | None  # None when the ruleset declares no stage
    tags: tuple[str, ...]  # sorted
    attrs: dict[str, Any]
    actions: list[OutAction]
    transitions: list[Transition]
    points: list[PointChange] = field(default_factory=list)  # only for a lead made with points=True
    first_seen: int | None = None  # the lead's first applied event (None: it has none)
    last_activity: int | None = None  # its last applied event
    stage_since: int | None = None  # its last stage change (None: never changed stage)
    pending: list[Any] = field(default_factory=list)  # runtime/pending.py Scheduled items
    # Held sends of a flow run stopped before delivery (kind "cancelled", at: when it
    # stopped); never in `actions` (SPEC 9, Delivery).
    cancelled: list[OutAction] = field(default_factory=list)


class RulesetRuntimeError(Exception):
    """A ruleset misbehaved at run time (e.g. did not settle in 10 rounds).

    `where` is "file:line" of the rule file, `rules` the ids of the rules involved.
    """

    def __init__(self, message: str, rules: Iterable[str] = (), where: str | None = None):
        self.rules = tuple(rules)
        self.where = where
        super().__init__(message)

    def __reduce__(self) -> tuple:  # crosses processes in a split run (runtime/partitioned.py)
        return type(self), (str(self), self.rules, self.where)


class Engine(Protocol):
    """What the runtime needs from an engine."""

    name: str | None
    timezone: str
    events: dict[str, tuple[tuple[str, str], ...]]  # event → ((field, type), ...) declared order
    lead_fields: tuple[tuple[str, str], ...]
    scores: tuple[str, ...]
    stages: tuple[str, ...]

    def new_lead(self, lead_id: str, attrs: dict[str, Any], trace: bool = False,
                 points: bool = False) -> Any:
        """A fresh lead state; with trace=True it records TraceEntry items, with points=True
        the points ledger (PointChange items)."""

    def feed(self, state: Any, ts: int, event: str, values: dict[str, Any]) -> None:
        """Fire timers due at or before `ts`, then apply the event."""

    def advance(self, state: Any, ts: int) -> None:
        """Fire timers due at or before `ts`."""

    def result(self, state: Any) -> LeadResult:
        """The lead as it stands: scores, stage, tags, attributes, actions, transitions."""

    def trace(self, state: Any) -> list[TraceEntry]:
        """What happened so far (empty unless the state was made with trace=True)."""

    def save_state(self, state: Any) -> str:
        """The lead as JSON text (data only), without the actions and transitions it emitted."""

    def load_state(self, text: str, points: bool = False) -> Any:
        """A lead saved by save_state (points=True: it records the ledger from now on);
        runtime/snapshot.py's SnapshotError when it is not one."""

    def next_due(self, state: Any) -> int | None:
        """No timer of the lead fires before this time; None when none is pending."""


def run_lead(engine: Engine, lead_id: str, attrs: dict[str, Any],
             events: Iterable[tuple[int, str, dict[str, Any]]], as_of: int | None) -> LeadResult:
    """Drive one lead: its events in time order, then timers up to as_of."""
    state = engine.new_lead(lead_id, attrs)
    for ts, event, values in events:
        engine.feed(state, ts, event, values)
    if as_of is not None:
        engine.advance(state, as_of)
    return engine.result(state)
