"""The smallest event log that still fails a test block, as a test block to paste.

When a block fails, `leadflow test` and the pytest plugin print it cut down to
what its first failure needs: the `lead(...)` line, the events before the
failing step, and the failing expectation, timed at the clock it was checked
at (a bare `expect` gets the `at` it inherited, so the cut-down block checks
at the same instant). Then every event whose removal leaves the failure
exactly as it was (same expected, same actual) is dropped, one at a time.
"""

from __future__ import annotations

import json

from leadflow.dsl import ast
from leadflow.dsl.format_statements import format_statement
from leadflow.runtime.engine import Engine
from leadflow.runtime.interpreter import RulesetIndex
from leadflow.testing.runner import Failure, run_block

# Each candidate costs one run of the block; blocks are short, but keep it bounded.
MAX_RUNS = 400


def minimal_block(engine: Engine, index: RulesetIndex, block: ast.TestBlock,
                  failure: Failure) -> str | None:
    """The block, cut down to reproduce `failure`, as source text; None when it cannot be
    located (e.g. the failure is not on one of the block's steps)."""
    steps = _steps_up_to(block, failure)
    if steps is None:
        return None
    runs = 0

    def still_fails(candidate: list) -> bool:
        nonlocal runs
        runs += 1
        outcome = run_block(engine, index, ast.TestBlock(block.name, tuple(candidate), block.span))
        return any(f.message == failure.message for f in outcome.failures)

    if not still_fails(steps):
        return None  # the failure depends on something the cut removed: do not print a wrong block
    i = len(steps) - 2  # the last step is the failing one: keep it
    while i >= 0 and runs < MAX_RUNS:
        if isinstance(steps[i], ast.TestEvent):
            candidate = steps[:i] + steps[i + 1:]
            if still_fails(candidate):
                steps = candidate
        i -= 1
    return render(block.name + " (minimal)", steps, failure)


def _steps_up_to(block: ast.TestBlock, failure: Failure) -> list | None:
    """The lead line and the events before the failing step, then the failing step with its time."""
    kept: list = []
    clock: ast.TimeLiteral | None = None
    for step in block.steps:
        at = getattr(step, "at", None)
        on_failure = step.span.file == failure.path and step.span.line == failure.line
        if on_failure:
            if isinstance(step, ast.Expect) and step.at is None and clock is not None:
                step = ast.Expect(step.cond, clock, step.span)
            return kept + [step]
        if at is not None:
            clock = at
        if isinstance(step, (ast.TestLead, ast.TestEvent)):
            kept.append(step)
    return None


def render(name: str, steps: list, failure: Failure) -> str:
    lines = [f"test {json.dumps(name, ensure_ascii=False)}"]
    for step in steps:
        lines.append("  " + format_statement(step))
    got = failure.message.split(", got ", 1)
    if len(got) == 2:
        lines[-1] += f"  # got {got[1]}"
    lines.append("end")
    return "\n".join(lines)
