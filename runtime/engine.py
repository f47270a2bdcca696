"""The small interface the runtime drives, whatever made the engine.

An engine is the reference interpreter (`leadflow.runtime.interpreter`) or a
compiled module (`leadflow.compiler`); the runtime (readers, `run`, `explain`,
`test`) only uses what is defined here. Times are integers: microseconds since
the Unix epoch, UTC. Field values arrive already typed: `number` → float,
`int` → int, `text` → str, `bool` → bool, `time` → int microseconds; a missing
value is absent from the dict (or None).

The records an engine gives back (actions, stage changes, ledger rows, trace
lines, a lead's result, the run-time error) are semantics/records.py's, for
both engines: the interpreter imports them, and a compiled module, which
imports only the standard library, carries that same source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from leadflow.semantics.records import (
    LeadResult,
    OutAction,
    PointChange,
    RulesetRuntimeError,
    TraceEntry,
    Transition,
)

__all__ = ["Engine", "LeadResult", "OutAction", "PointChange", "RulesetRuntimeError",
           "TraceEntry", "Transition", "run_lead"]


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
