"""Small drivers for interpreter tests: rules as text, events as (time, name, values)."""

from __future__ import annotations

from typing import Any

from leadflow.api import load_text
from leadflow.runtime.engine import LeadResult
from leadflow.runtime.interpreter import Interpreter
from leadflow.semantics import timemath


def engine(source: str, path: str = "t.leadflow") -> Interpreter:
    loaded = load_text(source, path)
    assert loaded.ok, loaded.render()
    return Interpreter(loaded.model)


def run(source: str, events: list[tuple], as_of: str | None = None,
        attrs: dict[str, Any] | None = None, trace: bool = False) -> LeadResult:
    """One lead through the rules; times without an offset are in the ruleset timezone."""
    eng = engine(source)
    state = eng.new_lead("a", attrs or {}, trace=trace)
    last = None
    for when, name, *rest in events:
        last = timemath.parse_instant(when, eng.timezone)
        eng.feed(state, last, name, rest[0] if rest else {})
    end = timemath.parse_instant(as_of, eng.timezone) if as_of else last
    if end is not None:
        eng.advance(state, end)
    result = eng.result(state)
    return Traced(result, eng.trace(state)) if trace else result


class Traced:
    """A lead's result with its trace beside it: `.trace`, and every LeadResult field."""

    def __init__(self, result: LeadResult, trace: list):
        self.result = result
        self.trace = trace

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)


def sends(result: LeadResult, kind: str = "send") -> list[tuple[str, str]]:
    """(UTC time, target) of the actions of one kind."""
    return [(timemath.format_instant(a.at), a.target) for a in result.actions if a.kind == kind]


def score(result: LeadResult, name: str = "score") -> float:
    return result.scores[name]
