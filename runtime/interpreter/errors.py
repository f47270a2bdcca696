"""Run-time failures named after the rule (or flow, or stage) whose evaluation failed.

A ruleset can fail while running even after checking: `add units * 2` with
an integer too large for a float score. The user gets a RulesetRuntimeError
naming the rule and its `file:line`, never a Python traceback.
"""

from __future__ import annotations

from leadflow.dsl import ast
from leadflow.runtime.engine import RulesetRuntimeError
from leadflow.semantics.failures import rule_failed


class blame:  # lower case: read as `with blame(rule_id, span):`
    """Turn an arithmetic or type failure inside the block into a RulesetRuntimeError.

    A plain class rather than @contextmanager: it wraps every rule evaluation,
    and a generator-based context manager costs several times more.
    """

    __slots__ = ("span", "who")

    def __init__(self, who: str, span: ast.Span):
        self.who = who
        self.span = span

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None or isinstance(exc, RulesetRuntimeError):
            return False
        if isinstance(exc, (ArithmeticError, TypeError, ValueError)):
            where = f"{self.span.file}:{self.span.line}"
            raise RulesetRuntimeError(*rule_failed(self.who, where, exc)) from exc
        return False
