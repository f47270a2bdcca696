"""A lead as any engine reported it, read with the interpreter's own evaluator.

Test blocks (leadflow/testing/runner.py) hold every engine to the same answers:
they feed events to an engine, take its `LeadResult`, and judge each `expect`
condition here, with the reference evaluator, on that result plus the events
the test fed. This is the interpreter's public way in for them: nothing
outside runtime/interpreter/ needs its facts, contexts or evaluator.
"""

from __future__ import annotations

from typing import Any

from leadflow.dsl import ast
from leadflow.runtime.engine import LeadResult, OutAction
from leadflow.runtime.interpreter.evaluate import evaluate, sent_matches, truthy
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import Context, EventHistory, Facts


class FedEvents:
    """The events a test fed one lead, by type, as the evaluator's aggregates read them."""

    def __init__(self):
        self.logs: dict[str, EventHistory] = {}
        self.series: dict = {}  # the aggregate cache, kept across the block's expectations

    def add(self, event: str, ts: int, values: dict[str, Any]) -> None:
        """One event, in time order; missing (None) values are left out."""
        log = self.logs.setdefault(event, EventHistory())
        log.ts.append(ts)
        log.values.append({k: v for k, v in values.items() if v is not None})


class ReportedLead:
    """An engine's result for one lead at `now`, with the events it was fed."""

    def __init__(self, index: RulesetIndex, result: LeadResult, fed: FedEvents, now: int):
        self.index = index
        self.facts = Facts(dict(result.scores), result.stage, set(result.tags), dict(result.attrs),
                           fed.logs, fed.series, list(result.actions))
        self.context = Context(now)

    @property
    def tags(self) -> set[str]:
        return self.facts.tags

    @property
    def actions(self) -> list[OutAction]:
        """The outward actions: send, notify, suppressed."""
        return self.facts.actions

    def value(self, expr: ast.Expr) -> Any:
        """The value of an expression (None: missing)."""
        return evaluate(self.index, self.facts, expr, self.context)

    def holds(self, cond: ast.Expr) -> bool:
        return truthy(self.value(cond))

    def sent_matches(self, expr: ast.Sent, action: OutAction) -> bool:
        """Is this action the one a `sent "x" with ...` condition names?"""
        return sent_matches(self.index, self.facts, expr, action, self.context)
