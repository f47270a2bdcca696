"""Checks for `test` blocks: events and attributes fed, times, and expectations.

In a test, `at T EVENT(field: value)` values are literals that must fit the
declared field types, times must be valid ISO times that never go backwards
within one block, and every `expect` is a condition in which a bare name is a
score (a test has no triggering event).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadflow.dsl import ast
from leadflow.dsl.checks_messages import NUMERIC, describe, literal_hint, type_word
from leadflow.dsl.diagnostics import did_you_mean
from leadflow.dsl.scope import Report, Scope, Symbols, leading_span, name_span
from leadflow.dsl.typecheck import ExprTyper
from leadflow.semantics import timemath

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TIME_EXAMPLES = "write e.g. 2024-01-10, 2024-01-10T09:30 or 2024-01-10T09:30:00Z"
EXPECT_SCOPE = Scope("a test expectation", in_test=True)


def parse_time(text: str, zone: str) -> datetime | None:
    """A test time in UTC; without an offset it is read in the ruleset's timezone.

    timemath's parser, the one `run` and the test runner use, so the checker
    accepts exactly the times they read (and the first of two when the clocks
    go back). timemath is a standard-library leaf module, so importing it here
    pulls nothing of the runtime into the checker.
    """
    try:
        return _EPOCH + timedelta(microseconds=timemath.parse_instant(text, zone))
    except (ValueError, OverflowError):  # not a time, or pushed out of range by the offset
        return None


class TestChecker:
    __test__ = False  # not a pytest class, despite the name

    def __init__(self, symbols: Symbols, typer: ExprTyper, report: Report):
        self.symbols = symbols
        self.typer = typer
        self.report = report

    def block(self, block: ast.TestBlock) -> None:
        latest: tuple[datetime, ast.TimeLiteral] | None = None  # the latest time seen so far
        for step in block.steps:
            if isinstance(step, ast.TestLead):
                self._values(step.values, self.symbols.lead, None)
                continue
            at = step.at
            if at is not None:
                moment = self._time(at)
                if moment is not None and latest is not None and moment < latest[0]:
                    self.report.error(f"time goes backwards: {at.text} is before {latest[1].text} "
                                      f"on line {latest[1].span.line}", at.span,
                                      "the steps of a test run in time order")
                elif moment is not None:
                    latest = (moment, at)
            if isinstance(step, ast.TestEvent):
                self._event(step)
            else:
                self.typer.condition(step.cond, EXPECT_SCOPE, "expect")

    def _time(self, literal: ast.TimeLiteral) -> datetime | None:
        moment = parse_time(literal.text, self.symbols.timezone)
        if moment is None:
            self.report.error(f"`{literal.text}` is not a valid time", literal.span, TIME_EXAMPLES)
        return moment

    def _event(self, step: ast.TestEvent) -> None:
        fields = self.symbols.events.get(step.event)
        if fields is None:
            self.typer.unknown_event(step.event, name_span(step))
            return
        self._values(step.values, fields, step.event)

    def _values(self, values, fields: dict[str, str], event: str | None) -> None:
        """Field values of a test event (`event` set) or of the lead (`event` None)."""
        seen: dict[str, ast.Span] = {}
        for value in values:
            span = leading_span(value.span, value.name)
            shown = f"`{value.name}`"
            if not self.report.is_first(seen, value.name, span, f"{shown} is given twice", shown):
                continue
            if event is not None and value.name == "ts":
                self.report.error("`ts` is the time after `at`, not a field to give", span,
                                  "remove it")
                continue
            if value.name not in fields:
                self._unknown_field(value.name, span, fields, event)
            elif fields[value.name] is not None:
                self._value(value, fields[value.name])

    def _unknown_field(self, name: str, span: ast.Span, fields, event: str | None) -> None:
        known = [f for f in fields if f != "ts"]
        listed = ", ".join(f"`{f}`" for f in known)
        if event is None:
            hint = did_you_mean(name, known) or (
                f"the lead fields are {listed}" if known else f"declare it: `lead({name}: text)`")
            self.report.error(f"unknown lead field `{name}`", span, hint)
        else:
            hint = did_you_mean(name, known) or (
                f"the fields of `{event}` are {listed}" if known
                else f"`{event}` has no fields besides `ts`")
            self.report.error(f"`{event}` has no field `{name}`", span, hint)

    def _value(self, value: ast.FieldValue, field_type: str) -> None:
        literal = value.value
        literal_type = self.typer.type_of(literal, EXPECT_SCOPE)
        if field_type == "time" and literal_type == "text":
            if parse_time(literal.value, self.symbols.timezone) is None:
                self.report.error(f"{describe(literal)} is not a valid time", literal.span,
                                  TIME_EXAMPLES)
            return
        if literal_type == field_type or (field_type == "number" and literal_type in NUMERIC):
            return
        hint = literal_hint(literal, field_type)
        if field_type == "int" and literal_type == "number":
            hint = "an int field takes a whole number"
        elif field_type == "time":
            hint = 'write the time in quotes, e.g. "2024-01-10T09:30"'
        self.report.error(f"`{value.name}` is {type_word(field_type)}, but {describe(literal)} is "
                          f"{type_word(literal_type)}", literal.span, hint)
