"""Differential properties: the compiled module agrees with the reference interpreter.

On Hypothesis-generated rulesets (as text, through the real parser and
checker) and event logs, on every output -- scores, stage, tags, attributes,
actions with their times, transitions, the points ledger -- for:

  compiled == interpreter      (all optimizer passes on, fed event by event)
  plain == interpreter         (every pass off), hence optimized == unoptimized
  batch == interpreter         (run_lead_columns: a lead's rows in one call)

A run-time error must be one in both (a ruleset that does not settle names the
same rules). On every engine the points ledger adds up to the scores.
"""

from __future__ import annotations

from engines import all_engines, differences, ledger_problems, load, run_columns, run_fed
from hypothesis import given, note
from hypothesis import strategies as st
from ruleset_strategies import event_logs, lead_attrs, rulesets
from strategies import compiler_rulesets

DAY = 86_400_000_000


def check_all(text: str, rows, attrs: dict, extra_days: int) -> None:
    note(text)
    model = load(text)
    as_of = max(r.ts for r in rows) + extra_days * DAY
    engines = all_engines(model)
    reference = run_fed(engines["interpreter"], rows, attrs, as_of)
    outcomes = {
        "compiled": run_fed(engines["compiled"], rows, attrs, as_of),
        "plain": run_fed(engines["plain"], rows, attrs, as_of),
        "batch": run_columns(engines["compiled"], rows, attrs, as_of),
    }
    for name, got in outcomes.items():
        found = differences(reference, got)
        assert not found, f"{name} differs from the interpreter:\n" + "\n".join(found)
    found = differences(outcomes["plain"], outcomes["compiled"])
    assert not found, "optimized differs from unoptimized:\n" + "\n".join(found)
    for name, results in [("interpreter", reference), *outcomes.items()]:
        found = ledger_problems(engines["interpreter"], results)
        assert not found, f"{name}: the points ledger does not add up:\n" + "\n".join(found)


@given(rulesets(), event_logs(), lead_attrs(), st.integers(0, 45))
def test_compiled_agrees_with_the_interpreter_on_general_rulesets(ruleset, rows, attrs, extra_days):
    check_all(ruleset.source(), rows, attrs, extra_days)


@given(compiler_rulesets(), event_logs(), lead_attrs(), st.integers(0, 200))
def test_compiled_agrees_with_the_interpreter_on_optimizer_shapes(text, rows, attrs, extra_days):
    check_all(text, rows, attrs, extra_days)
