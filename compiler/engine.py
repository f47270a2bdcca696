"""The compiled engine: a loaded compiled module behind the runtime's Engine interface.

    engine = CompiledEngine(load_file("rules.leadflow").model)   # compiled once, then cached
    state = engine.new_lead("L1", {"country": "ES"})
    engine.feed(state, ts, "purchase", {"amount": 120.0})
    engine.result(state)                      # a leadflow.runtime.engine.LeadResult

For batch runs, `run_lead_columns` evaluates one lead's whole event slice in
one call inside the generated module (see its docstring); `batch_calls` gives
`leadflow run` the module's own functions, `run_leads` among them (many whole
leads in one call, results to a callback: runtime/driver.py `replay`).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from leadflow.compiler.load import compiled_module
from leadflow.runtime.engine import (
    LeadResult,
    OutAction,
    PointChange,
    RulesetRuntimeError,
    TraceEntry,
    Transition,
)
from leadflow.runtime.pending import Scheduled
from leadflow.runtime.snapshot import Codec, SlotCodec

if TYPE_CHECKING:
    from leadflow.dsl.model import Model
    from leadflow.runtime.ruleset_facts import RulesetFacts


class CompiledEngine:
    """Engine interface over a compiled module (leadflow.runtime.engine.Engine)."""

    def __init__(self, model: Model, optimized: bool = True, skip: Iterable[str] = (),
                 module: types.ModuleType | None = None):
        self.model: Model | None = model
        self.facts: RulesetFacts | None = None  # None: read off the model (runtime/ruleset_facts.py)
        self._bind(module if module is not None else compiled_module(model, optimized, skip))

    @classmethod
    def from_module(cls, module: types.ModuleType, facts: RulesetFacts) -> CompiledEngine:
        """An engine for a module loaded without its model (compiler/cached_engine.py): a
        run reads the rest of what it needs in `facts`; `explain` and split runs need the
        model, and load the ruleset themselves."""
        engine = cls.__new__(cls)
        engine.model, engine.facts = None, facts
        engine._bind(module)
        return engine

    def _bind(self, module: types.ModuleType) -> None:
        self.module = module
        m = module
        self.name = m.NAME
        self.timezone = m.TIMEZONE
        self.events = dict(m.EVENTS)
        self.lead_fields = m.LEAD_FIELDS
        self.scores = m.SCORES
        self.stages = m.STAGES
        self.event_codes = m.EVENT_CODES  # event name → code (the order of self.events)
        self.slots = m.SLOTS  # the input columns: (field, type), as semantics/slots.py lays them out
        self.slots_read = m.SLOTS_READ  # the ones its rules read (a run may leave the others None)
        # For `scheduled`, which runs for every lead a run writes: each `every` rule's
        # deadline slot (only those rules have one).
        lead_slots = set(m.Lead.__slots__)
        self._every_deadlines = [(rule_id, attrgetter(f"ed{index}"))
                                 for index, (rule_id, _) in m._RULES.items()
                                 if f"ed{index}" in lead_slots]
        self._heap = hasattr(m.Lead, "th")  # a timer heap: timers other than `every` deadlines

    # -- the Engine interface -------------------------------------------------
    def new_lead(self, lead_id: str, attrs: dict[str, Any], trace: bool = False,
                 points: bool = False) -> Any:
        return self.module.new_lead(lead_id, attrs, trace, points)

    def feed(self, state: Any, ts: int, event: str, values: dict[str, Any]) -> None:
        with _runtime_errors(self.module):
            self.module.feed(state, ts, event, values)

    def advance(self, state: Any, ts: int) -> None:
        with _runtime_errors(self.module):
            self.module.advance(state, ts)

    def result(self, state: Any) -> LeadResult:
        return convert_result(self.module.result(state))

    def trace(self, state: Any) -> list[TraceEntry]:
        return [TraceEntry(e.at, e.kind, e.text, dict(e.scores), e.stage)
                for e in self.module.trace(state)]

    # -- saving a lead between runs (`run --state`) ------------------------------
    def save_state(self, state: Any) -> str:
        """The lead as JSON text, without what it already emitted (see runtime/snapshot.py),
        and without window entries no later event can count (the module's `compact`)."""
        self.module.compact(state)
        return self._codec.dumps(state)

    def load_state(self, text: str, points: bool = False) -> Any:
        """A lead saved by `save_state` (SnapshotError when it is not one of this module)."""
        lead = self._codec.loads(text)
        if points:
            self.module.record_points(lead)
        return lead

    def scheduled(self, state: Any) -> list[Scheduled]:
        """The lead's live timers (runtime/pending.py), read off the module's lead slots.

        The module's timer heap also keeps entries that will do nothing: the wait of a
        flow run since stopped, a held send its stopped run cancelled, an `every`
        deadline moved later; they are dropped when they come up, and left out here.
        """
        m, items = self.module, []
        heap = getattr(state, "th", None) if self._heap else None
        if heap:
            held_by_stopped = getattr(state, "fx", None) or {}
            for due, seq, kind, a, b in heap:
                if kind == 0 and getattr(state, f"es{a}") == seq:
                    items.append(Scheduled(due, "every", m._RULES[a][0]))
                elif kind == 1:
                    items.append(Scheduled(due, "expire", m._RULES[a][0],
                                           tuple((m.SCORES[k], actual) for k, actual, _ in b)))
                elif kind == 2 and getattr(state, f"ft{a}") == b[0]:
                    items.append(Scheduled(due, "flow_step", m._FLOW_NAMES[a], m._WAITS[(a, b[1])]))
                elif kind == 3 and not (a[2] is not None and a[2] in held_by_stopped):
                    items.append(Scheduled(due, "held_send", a[0], b[0]))
        never = m._NEVER
        for rule_id, deadline in self._every_deadlines:
            due = deadline(state)
            if due < never:
                items.append(Scheduled(due, "every", rule_id))
        if len(items) > 1:
            items.sort(key=_due)
        return items

    def next_due(self, state: Any) -> int | None:
        """When the lead's first timer that will do something is due (None: none): the
        first of `scheduled`. `run --state` indexes its saved leads by it, so that a later
        run loads only the leads with a timer due (it takes it from the pending timers it
        lists anyway). The module's own `next_due` is a lower bound that timers which will
        do nothing keep early: a third of the leads a daily run loaded only for a timer
        had none to fire."""
        return min((item.due for item in self.scheduled(state)), default=None)

    @property
    def _codec(self) -> SlotCodec:
        codec = self.__dict__.get("_codec_cache")
        if codec is None:
            m = self.module
            values = Codec((), skip={"acts": list, "trans": list, "trc": lambda: None,
                                       "pts": lambda: None, "cnc": list})
            # Outputs already written, the trace and the ledger are not part of what carries on.
            codec = self.__dict__["_codec_cache"] = SlotCodec(m.Lead, m.new_lead("", {}), values)
        return codec

    # -- batch -------------------------------------------------------------------
    @property
    def batch_calls(self) -> BatchCalls:
        """The module's own functions, for a run that writes output files (runtime/driver.py).

        No wrapper per call: the caller catches `error` (the module's
        RulesetRuntimeError) once around its loop and makes it the runtime's with
        `runtime_error`. `result` gives the module's LeadResult, which has the
        fields of leadflow.runtime.engine.LeadResult (what OutputTables.add reads),
        sharing the lead's lists: the lead must be done.
        """
        m = self.module
        return BatchCalls(m.new_lead, m.feed_columns, m.advance, m.final_result, m.RulesetRuntimeError,
                          runtime_error, m.run_leads)

    def feed_columns(self, state: Any, times: Sequence[int], codes: Sequence[int],
                     columns: Sequence[Sequence[Any]], start: int, stop: int,
                     until: int | None = None) -> None:
        """Apply rows `start..stop` of columnar input to one lead: like `feed` on each row
        (then `advance(state, until)`, with `until`).

        `times` (µs UTC, the lead's rows in time order), `codes` (index of the
        event in self.events) and `columns[j]` (values of self.slots[j], None
        when missing) are aligned lists, e.g. one Arrow batch of `leadflow run`
        converted with to_pylist(); the loop over the rows runs inside the
        compiled module.
        """
        with _runtime_errors(self.module):
            self.module.feed_columns(state, times, codes, columns, start, stop, until)

    def run_lead_columns(self, lead_id: str, attrs: dict[str, Any], times: Sequence[int],
                         codes: Sequence[int], columns: Sequence[Sequence[Any]], start: int,
                         stop: int, as_of: int | None, trace: bool = False,
                         points: bool = False) -> Any:
        """new_lead + feed_columns + advance to `as_of` + result, in one call.

        Returns the module's LeadResult (its copy of semantics/records.py's class;
        `convert_result` makes it the runtime's).
        """
        with _runtime_errors(self.module):
            return self.module.run_lead_columns(lead_id, attrs, times, codes, columns, start, stop,
                                                as_of, trace, points)


def convert_result(r: Any) -> LeadResult:
    """A compiled module's LeadResult (its copy of semantics/records.py) as the runtime's, copied
    so that the lead can go on without changing it."""
    return LeadResult(
        lead_id=r.lead_id,
        scores=dict(r.scores),
        stage=r.stage,
        tags=tuple(r.tags),
        attrs=dict(r.attrs),
        actions=[OutAction(a.at, a.rule, a.kind, a.target, dict(a.args)) for a in r.actions],
        transitions=[Transition(t.at, t.from_stage, t.to_stage) for t in r.transitions],
        points=[PointChange(p.at, p.rule, p.score, p.change, p.value) for p in r.points],
        cancelled=[OutAction(a.at, a.rule, a.kind, a.target, dict(a.args)) for a in r.cancelled],
        first_seen=r.first_seen,
        last_activity=r.last_activity,
        stage_since=r.stage_since,
    )


_due = attrgetter("due")


class BatchCalls(NamedTuple):
    new_lead: Callable[..., Any]
    feed_columns: Callable[..., None]
    advance: Callable[[Any, int], None]
    result: Callable[[Any], Any]
    error: type[Exception]
    runtime_error: Callable[[Exception], RulesetRuntimeError]
    run_leads: Callable[..., None]  # whole new leads of a batch, results to a callback


def runtime_error(exc: Exception) -> RulesetRuntimeError:
    """A compiled module's RulesetRuntimeError as the runtime's, keeping rules and where."""
    return RulesetRuntimeError(str(exc), exc.rules, exc.where)


class _runtime_errors:
    """Re-raise the module's RulesetRuntimeError as the runtime's, keeping rules and where."""

    def __init__(self, module: types.ModuleType):
        self.module = module

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is not None and isinstance(exc, self.module.RulesetRuntimeError):
            raise runtime_error(exc) from exc
        return False
