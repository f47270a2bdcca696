"""Rule coverage: which rules, flow steps and stages the tests made act (`leadflow test --coverage`).

Targets, per ruleset:
- every rule, by id: it *fired* (its trigger and modifiers let it act; a
  `while` rule: it started holding points);
- every flow step, nested `if` branches included: it ran;
- every stage: a lead was in it (entered it, or started there: the first stage).

`CoverageRecorder` wraps the reference interpreter as an Engine. Nothing in the
interpreter changes: rule firings are read from the per-lead rule memories the
interpreter keeps anyway (`RuleMemory.fired`); `while` rules and flow steps are
observed each time the interpreter notes something in a lead's trace (it
notes every action, wait, start and stop, tracing on or off), by looking at
which `while` rules hold and where each live flow instance stands in its
steps. A flow instance's frames `[steps, next index]` say that every step
before the index has run. The one step that can run without a note is a
`stop FLOW` of a flow that is not live; when it is the last step of a flow it
is still counted, as a flow that ran out of steps ran all its top-level steps.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from leadflow.dsl import ast
from leadflow.dsl.format_expr import format_expr
from leadflow.dsl.format_statements import format_statement
from leadflow.dsl.model import Model
from leadflow.runtime.engine import LeadResult, TraceEntry
from leadflow.runtime.interpreter import FlowInstance, Interpreter, LeadState

KINDS = ("rule", "step", "stage")


@dataclass(frozen=True)
class Target:
    """One thing coverage counts. `key` is stable across loads of the same file."""

    kind: str  # "rule", "step" (of a flow) or "stage"
    key: str  # rule id, `flow/1/then/0`, stage name
    label: str  # how it reads in the table
    file: str
    line: int


def targets(model: Model) -> list[Target]:
    """The rules (file order), then every flow's steps, then the stages."""
    found = [Target("rule", r.id, r.id, r.rule.span.file, r.rule.span.line) for r in model.rules]
    for name, flow in model.flows.items():
        found += [Target("step", key, f"{name}: {_step_label(step)}", step.span.file,
                         step.span.line) for key, step in flow_steps(name, flow.steps)]
    found += [Target("stage", s.name, s.name, s.span.file, s.span.line) for s in model.stages]
    return found


def flow_steps(prefix: str, steps: tuple) -> Iterator[tuple[str, Any]]:
    """(key, step) for every step of a flow, depth first: `cart_recovery/1`, `x/2/then/0`."""
    for i, step in enumerate(steps):
        key = f"{prefix}/{i}"
        yield key, step
        if isinstance(step, ast.If):
            yield from flow_steps(f"{key}/then", step.then)
            yield from flow_steps(f"{key}/else", step.otherwise)


def _step_label(step: Any) -> str:
    text = f"if {format_expr(step.cond)}" if isinstance(step, ast.If) else format_statement(step)
    return text if len(text) <= 50 else text[:47] + "..."


# ------------------------------------------------------------ the results


@dataclass
class Coverage:
    """Counts per target of one ruleset, summed over every test that ran against it."""

    ruleset: str  # the rule file's path
    targets: list[Target]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, key) → times
    tests: int = 0

    def count(self, target: Target) -> int:
        return self.counts.get((target.kind, target.key), 0)

    @property
    def covered(self) -> int:
        return sum(1 for t in self.targets if self.count(t) > 0)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / len(self.targets) if self.targets else 100.0

    def missed(self) -> list[Target]:
        return [t for t in self.targets if self.count(t) == 0]

    def add(self, counts: dict[tuple[str, str], int], tests: int) -> None:
        for key, n in counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        self.tests += tests


def merge(coverages: list[Coverage]) -> list[Coverage]:
    """One Coverage per rule file: a ruleset's own tests and its `tests for` files add up."""
    merged: dict[str, Coverage] = {}
    for cov in coverages:
        key = os.path.realpath(cov.ruleset)
        if key not in merged:
            merged[key] = Coverage(cov.ruleset, cov.targets)
        merged[key].add(cov.counts, cov.tests)
    return list(merged.values())


def total_percent(coverages: list[Coverage]) -> float:
    total = sum(len(c.targets) for c in coverages)
    return 100.0 * sum(c.covered for c in coverages) / total if total else 100.0


_KIND_NAMES = {"rule": "rules", "step": "flow steps", "stage": "stages"}


def render(coverages: list[Coverage]) -> str:
    """A table per ruleset (what, name, line, fired, count) and a total percentage."""
    out = []
    for cov in coverages:
        out.append(f"rule coverage of {cov.ruleset} ({cov.tests} tests)")
        rows = [("what", "name", "line", "fired", "count")]
        rows += [(t.kind, t.label, f"{os.path.basename(t.file)}:{t.line}",
                  "yes" if cov.count(t) else "NO", str(cov.count(t))) for t in cov.targets]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[4])
        parts = []
        for kind in KINDS:
            of_kind = [t for t in cov.targets if t.kind == kind]
            if of_kind:
                hit = sum(1 for t in of_kind if cov.count(t))
                parts.append(f"{hit}/{len(of_kind)} {_KIND_NAMES[kind]}")
        out.append(f"  {', '.join(parts)}: {cov.percent:.1f}%")
        out.append("")
    covered = sum(c.covered for c in coverages)
    total = sum(len(c.targets) for c in coverages)
    out.append(f"rule coverage: {total_percent(coverages):.1f}% ({covered} of {total} rules, "
               "flow steps and stages fired)")
    return "\n".join(out)


# ------------------------------------------------------------ recording


class CoverageRecorder:
    """An Engine (the reference interpreter) that records what every lead it makes does."""

    def __init__(self, interpreter: Interpreter):
        self.interpreter = interpreter
        self.model = interpreter.model
        self.step_keys = {id(step): key for name, flow in self.model.flows.items()
                          for key, step in flow_steps(name, flow.steps)}
        self.observers: list[_LeadObserver] = []
        # The Engine attributes, as the interpreter has them.
        self.name, self.timezone = interpreter.name, interpreter.timezone
        self.events, self.lead_fields = interpreter.events, interpreter.lead_fields
        self.scores, self.stages = interpreter.scores, interpreter.stages

    def new_lead(self, lead_id: str, attrs: dict[str, Any], trace: bool = False) -> LeadState:
        fresh = self.interpreter.new_lead(lead_id, attrs, trace)
        state = _ObservedLeadState(**{f.name: getattr(fresh, f.name)
                                      for f in dataclasses.fields(fresh)})
        state.observer = _LeadObserver(self)
        self.observers.append(state.observer)
        state.observer.state = state
        return state

    def feed(self, state: LeadState, ts: int, event: str, values: dict[str, Any]) -> None:
        self.interpreter.feed(state, ts, event, values)

    def advance(self, state: LeadState, ts: int) -> None:
        self.interpreter.advance(state, ts)

    def result(self, state: LeadState) -> LeadResult:
        return self.interpreter.result(state)

    def trace(self, state: LeadState) -> list[TraceEntry]:
        return self.interpreter.trace(state)

    def coverage(self) -> Coverage:
        """What the leads made so far did, as counts per target."""
        cov = Coverage(self.model.path, targets(self.model))
        counts: dict[tuple[str, str], int] = {}

        def bump(kind: str, key: str, n: int = 1) -> None:
            if n:
                counts[(kind, key)] = counts.get((kind, key), 0) + n

        first_stage = self.model.stages[0].name if self.model.stages else None
        for observer in self.observers:
            state = observer.state
            observer.observe(state)
            for index, memory in state.rules.items():
                bump("rule", self.model.rules[index].id, memory.fired)
            for index, starts in observer.while_starts.items():
                bump("rule", self.model.rules[index].id, starts)
            for steps_run in observer.executed.values():
                for key in steps_run:
                    bump("step", key)
            if first_stage is not None:
                bump("stage", first_stage)
            for transition in state.transitions:
                bump("stage", transition.to_stage)
        cov.add(counts, len(self.observers))
        return cov


class _ObservedLeadState(LeadState):
    """A lead state that lets its observer look after every line the interpreter notes."""

    observer: _LeadObserver

    def note(self, kind: str, text: str) -> None:
        super().note(kind, text)
        self.observer.observe(self)


class _LeadObserver:
    """Per lead: the flow steps each flow instance ran, and how often `while` rules started holding."""

    def __init__(self, recorder: CoverageRecorder):
        self.recorder = recorder
        self.state: LeadState | None = None
        self.live: dict[str, FlowInstance] = {}  # flow name → the instance last seen live
        self.executed: dict[FlowInstance, set[str]] = {}
        self.held: dict[int, Any] = {}  # while rule → the `held` record last seen
        self.while_starts: dict[int, int] = {}

    def observe(self, state: LeadState) -> None:
        keys = self.recorder.step_keys
        for name, instance in state.flows.items():
            self.live[name] = instance
            seen = self.executed.setdefault(instance, set())
            for steps, position in instance.stack:
                seen.update(keys[id(s)] for s in steps[:position] if id(s) in keys)
        for name, instance in list(self.live.items()):
            if state.flows.get(name) is instance:
                continue
            del self.live[name]
            if not instance.stack:  # ran out of steps: every top-level step ran
                flow = self.recorder.model.flows[name]
                self.executed[instance].update(keys[id(s)] for s in flow.steps)
        for rule, held in state.while_held.items():
            if self.held.get(rule) is not held:  # a new holding (a fresh record each time)
                self.held[rule] = held
                self.while_starts[rule] = self.while_starts.get(rule, 0) + 1
        for rule in [r for r in self.held if r not in state.while_held]:
            del self.held[rule]
