"""Test blocks (SPEC 7) run against an engine.

Each block gets a fresh lead (attributes from its `lead(...)` line). `at T
EVENT(...)` feeds the event (the engine fires the timers due at or before T
first); `at T expect C` advances the clock to T and asserts; a bare `expect C`
asserts at the current clock, which starts at the block's first `at`.

Expectations are evaluated on what the engine reports (its `LeadResult`) plus
the events this runner fed, with the reference evaluator; so the same blocks
hold any engine (interpreter or compiled module) to the same answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NoReturn

from leadflow.dsl import ast
from leadflow.dsl.format_expr import format_expr
from leadflow.dsl.model import Model
from leadflow.runtime.engine import Engine, LeadResult, RulesetRuntimeError
from leadflow.runtime.interpreter import FedEvents, ReportedLead, RulesetIndex
from leadflow.semantics import timemath
from leadflow.semantics.values import value_text
from leadflow.testing.eventlog import time_literal


@dataclass(frozen=True)
class Failure:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class TestOutcome:
    name: str
    span: ast.Span
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


class StopBlock(Exception):
    """The block cannot go on (a bad time, a run-time error); already recorded as a failure."""


def run_tests(engine: Engine, model: Model) -> list[TestOutcome]:
    """Every test block the model carries, in file order."""
    index = RulesetIndex(model)
    return [run_block(engine, index, block) for block in model.tests]


def run_block(engine: Engine, index: RulesetIndex, block: ast.TestBlock) -> TestOutcome:
    outcome = TestOutcome(block.name, block.span)
    runner = _BlockRunner(engine, index, block, outcome)
    try:
        runner.run()
    except StopBlock:
        pass
    return outcome


class _BlockRunner:
    def __init__(self, engine: Engine, index: RulesetIndex, block: ast.TestBlock,
                 outcome: TestOutcome):
        self.engine, self.index, self.block, self.outcome = engine, index, block, outcome
        self.fed = FedEvents()

    def fail(self, span: ast.Span, message: str) -> None:
        self.outcome.failures.append(Failure(span.file, span.line, message))

    def stop(self, span: ast.Span, message: str) -> NoReturn:
        self.fail(span, message)
        raise StopBlock

    def time(self, literal: ast.TimeLiteral) -> int:
        try:
            return timemath.parse_instant(literal.text, self.index.timezone)
        except ValueError as exc:
            self.stop(literal.span, f"error: {exc}")

    def run(self) -> None:
        steps = self.block.steps
        attrs: dict[str, Any] = {}
        for step in steps:
            if isinstance(step, ast.TestLead):
                for value in step.values:
                    attrs[value.name] = self.literal(value, self.index.model.lead_fields.get(value.name))
        first_at = next((s.at for s in steps if isinstance(s, (ast.TestEvent, ast.Expect))
                         and s.at is not None), None)
        clock = self.time(first_at) if first_at is not None else 0
        state = self.engine.new_lead(self.block.name, attrs)
        for step in steps:
            if isinstance(step, ast.TestLead):
                continue
            at = step.at if isinstance(step, (ast.TestEvent, ast.Expect)) else None
            if at is not None:
                t = self.time(at)
                if t < clock:
                    self.stop(at.span, f"error: `at {at.text}` is earlier than the step before "
                                       "it; a test's steps go forward in time")
                clock = t
            try:
                if isinstance(step, ast.TestEvent):
                    self.feed(state, clock, step)
                else:
                    self.engine.advance(state, clock)
                    self.expect(step, self.engine.result(state), clock)
            except RulesetRuntimeError as exc:
                self.stop(step.span, f"error: {exc}")

    def literal(self, value: ast.FieldValue, decl: ast.FieldDecl | None) -> Any:
        raw = value.value.value if isinstance(value.value, (ast.Number, ast.String, ast.Bool)) else None
        kind = decl.type if decl is not None else None
        if kind == "number" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        if kind == "int" and isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if kind == "time" and isinstance(raw, str):
            try:
                return timemath.parse_instant(raw, self.index.timezone)
            except ValueError as exc:
                self.stop(value.span, f"error: {exc}")
        return raw

    def feed(self, state: Any, ts: int, step: ast.TestEvent) -> None:
        decl = self.index.model.events.get(step.event)
        if decl is None:
            self.stop(step.span, f"error: unknown event `{step.event}`")
        fields = {f.name: f for f in decl.fields}
        values = {v.name: self.literal(v, fields.get(v.name)) for v in step.values}
        self.engine.feed(state, ts, step.event, values)
        self.fed.add(step.event, ts, {k: v for k, v in values.items() if k in fields})

    def expect(self, step: ast.Expect, result: LeadResult, now: int) -> None:
        lead = ReportedLead(self.index, result, self.fed, now)
        if lead.holds(step.cond):
            return
        got = "; ".join(self.actual(step.cond, lead)) or "false"
        self.fail(step.span, f"expected {format_expr(step.cond)}, got {got}")

    def actual(self, cond: ast.Expr, lead: ReportedLead) -> list[str]:
        """What the condition read, as `name = value` items, each once."""
        seen: list[str] = []
        for leaf in leaves(cond):
            text = self.describe(leaf, lead)
            if text not in seen:
                seen.append(text)
        return seen

    def describe(self, leaf: ast.Expr, lead: ReportedLead) -> str:
        if isinstance(leaf, ast.Tagged):
            return "tags: " + ", ".join(sorted(lead.tags)) if lead.tags else "no tags"
        if isinstance(leaf, ast.Sent):
            verb = "sent" if leaf.kind == "send" else "notified"
            same = [a for a in lead.actions if a.kind == leaf.kind and a.target == leaf.target]
            matching = [a for a in same if lead.sent_matches(leaf, a)]
            if matching or same:  # the matching one (for `not sent`), else those that differ
                shown = [self.action_text(verb, a) for a in (matching or same)[:3]]
                more = len(matching or same) - len(shown)
                return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")
            others = sorted({a.target for a in lead.actions if a.kind == leaf.kind})
            suppressed = [a for a in lead.actions if a.kind == "suppressed" and a.target == leaf.target]
            text = f"{verb}: " + ", ".join(json.dumps(t, ensure_ascii=False) for t in others) \
                if others else f"nothing {verb}"
            if leaf.kind == "send" and suppressed:
                text += f" ({json.dumps(leaf.target, ensure_ascii=False)} suppressed by the send limit)"
            return text
        value = lead.value(leaf)
        kind = self.index.model.expr_types.get(id(leaf))
        if isinstance(leaf, ast.Since):
            kind = "duration"
        return f"{format_expr(leaf)} = {user_value(value, self.index.timezone, kind)}"

    def action_text(self, verb: str, action) -> str:
        """`sent "offer" at 2024-05-20T10:00 with category = "boda"`, times in the ruleset's zone."""
        text = f"{verb} {json.dumps(action.target, ensure_ascii=False)} at " \
               f"{time_literal(action.at, self.index.timezone)}"
        if action.args:
            text += " with " + ", ".join(f"{k} = {user_value(v, self.index.timezone)}"
                                         for k, v in action.args.items())
        return text


def leaves(expr: ast.Expr) -> list[ast.Expr]:
    """The nodes of a condition that read the lead (not literals), in reading order."""
    if isinstance(expr, (ast.Name, ast.LeadField, ast.StageValue, ast.Tagged, ast.Aggregate,
                         ast.Since, ast.Sent)):
        return [expr]
    if isinstance(expr, ast.Unary):
        return leaves(expr.operand)
    if isinstance(expr, ast.Binary):
        return leaves(expr.left) + leaves(expr.right)
    if isinstance(expr, (ast.In, ast.Matches, ast.IsMissing)):
        return leaves(expr.operand)
    if isinstance(expr, ast.TextOp):
        return leaves(expr.left) + leaves(expr.right)
    if isinstance(expr, ast.InValue):
        return leaves(expr.operand) + leaves(expr.collection)
    if isinstance(expr, ast.Call):
        return [expr] if leaves(expr.operand) else []
    return []


def user_value(value: Any, tz: str, kind: str | None = None) -> str:
    """A value as the user writes it in a rule file (semantics/values.py): a time in
    the ruleset's zone, a duration in days and hours; never raw microseconds."""
    if kind == "time" and isinstance(value, int) and not isinstance(value, bool):
        return time_literal(value, tz)
    if kind == "duration" and isinstance(value, int) and not isinstance(value, bool):
        return timemath.describe_duration(value)
    return value_text(value)
