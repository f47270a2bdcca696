"""Rulesets loaded and event logs replayed, for tests written in Python (docs/testing.md).

    shop = load("examples/zapateria.leadflow")
    for lead in run(shop, log).values():
        assert lead.scores["engagement"] >= 0

`run(ruleset, log)` replays a log through the reference interpreter (or any
engine) and gives one `LeadRun` per lead.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from leadflow.api import load_file, load_text
from leadflow.dsl.diagnostics import LeadflowError
from leadflow.dsl.model import Model
from leadflow.runtime.engine import Engine, LeadResult, OutAction, TraceEntry
from leadflow.runtime.interpreter import Interpreter
from leadflow.testing.eventlog import SECOND, EventLog, LogEvent, as_instant

__all__ = ["LeadRun", "load", "run"]


def load(source: str | os.PathLike) -> Model:
    """A checked ruleset from a `.leadflow` path or from rule text; LeadflowError if it has errors."""
    text = os.fspath(source)
    loaded = load_file(text) if text.endswith(".leadflow") else load_text(text, "<rules>")
    if not loaded.ok:
        raise LeadflowError([d for d in loaded.diagnostics if d.is_error])
    return loaded.model


@dataclass
class LeadRun:
    """One lead after a run: its result, the events it was fed, and readers for both."""

    lead_id: str
    events: tuple[LogEvent, ...]
    result: LeadResult
    as_of: int | None
    trace: list[TraceEntry] = field(default_factory=list)  # filled when run(..., trace=True)

    @property
    def scores(self) -> dict[str, float]:
        return self.result.scores

    @property
    def stage(self) -> str | None:
        return self.result.stage

    @property
    def tags(self) -> tuple[str, ...]:
        return self.result.tags

    @property
    def actions(self) -> list[OutAction]:
        return self.result.actions

    def sent(self, template: str) -> list[int]:
        """Delivery times of the delivered sends of `template` (not the suppressed ones)."""
        return [a.at for a in self.result.actions if a.kind == "send" and a.target == template]

    def suppressed(self, template: str) -> list[int]:
        return [a.at for a in self.result.actions if a.kind == "suppressed" and a.target == template]

    def notified(self, team: str) -> list[int]:
        return [a.at for a in self.result.actions if a.kind == "notify" and a.target == team]

    def stages(self) -> list[str]:
        """Every stage the lead was in, in order: the first stage, then each transition's."""
        if self.result.stage is None:
            return []
        first = self.result.transitions[0].from_stage if self.result.transitions else self.result.stage
        return [first] + [t.to_stage for t in self.result.transitions]

    def entered(self, stage: str) -> list[int]:
        """When the lead moved into `stage` (the first stage, where leads start, is not entered)."""
        return [t.at for t in self.result.transitions if t.to_stage == stage]

    def events_of(self, name: str, before: int | None = None) -> list[LogEvent]:
        """The lead's events of one type, optionally only those at or before `before`."""
        return [e for e in self.events if e.event == name and (before is None or e.ts <= before)]


_ENGINES: dict[int, tuple[Model, Engine]] = {}


def run(ruleset: Model, log: EventLog, *, as_of: int | dt.datetime | dt.timedelta | None = None,
        engine: Engine | None = None, trace: bool = False) -> dict[str, LeadRun]:
    """Replay a log, lead by lead, through an engine (the reference interpreter by default).

    as_of: where timers stop: by default the log's last event, as `leadflow run`
    does; a timedelta counts from that last event (`as_of=timedelta(days=31)`);
    or an instant (µs or an aware datetime). Events stamped after as_of are not
    applied, as in `leadflow run` (there they are ignored, "after --as-of").
    """
    if engine is None:
        cached = _ENGINES.get(id(ruleset))
        if cached is None or cached[0] is not ruleset:
            cached = _ENGINES[id(ruleset)] = (ruleset, Interpreter(ruleset))
        engine = cached[1]
    until = _as_of(as_of, log)
    results = {}
    for lead_id in log.leads:
        lead_events = log.for_lead(lead_id)
        state = engine.new_lead(lead_id, log.attributes(lead_id), trace=trace)
        for e in lead_events:
            if until is not None and e.ts > until:
                continue
            engine.feed(state, e.ts, e.event, dict(e.values))
        if until is not None:
            engine.advance(state, until)
        results[lead_id] = LeadRun(lead_id, lead_events, engine.result(state), until,
                                   engine.trace(state) if trace else [])
    return results


def _as_of(as_of: int | dt.datetime | dt.timedelta | None, log: EventLog) -> int | None:
    if isinstance(as_of, dt.timedelta):
        return None if log.end is None else log.end + int(as_of.total_seconds() * SECOND)
    if isinstance(as_of, dt.datetime):
        return as_instant(as_of, log.timezone)
    return log.end if as_of is None else as_of
