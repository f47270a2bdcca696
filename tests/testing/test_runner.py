"""leadflow/testing/runner.py: test blocks against an engine, failures with file:line."""

from __future__ import annotations

from leadflow.api import load_text
from leadflow.dsl.checker import build_model
from leadflow.dsl.parser import parse
from leadflow.runtime.interpreter import Interpreter
from leadflow.testing.runner import run_tests


def engine(source: str, path: str = "t.leadflow") -> Interpreter:
    loaded = load_text(source, path)
    assert loaded.ok, loaded.render()
    return Interpreter(loaded.model)

RULES = """timezone "Europe/Madrid"
event purchase(amount: number, category: text)
lead(country: text)
score engagement min 0
rule big: on purchase where amount > 100 add 10
rule promo: on purchase add 5 expires after 1 day
"""


def outcomes(text: str):
    loaded = load_text(text, "r.leadflow")
    assert loaded.ok, loaded.render()
    return run_tests(Interpreter(loaded.model), loaded.model)


def test_each_block_gets_a_fresh_lead_and_its_attributes():
    results = outcomes(RULES + """
test "one"
  lead(country: "ES")
  at 2024-01-01T10:00 purchase(amount: 150, category: "a")
  expect engagement == 15
  expect lead.country == "ES"
end
test "two"
  at 2024-01-01T10:00 purchase(amount: 10, category: "a")
  expect engagement == 5
  expect lead.country is missing
end
""")
    assert [(o.name, o.passed) for o in results] == [("one", True), ("two", True)]


def test_at_expect_fires_timers_due_at_or_before_that_time():
    results = outcomes(RULES + """
test "expiry"
  at 2024-01-01T10:00 purchase(amount: 10, category: "a")
  at 2024-01-02T09:59 expect engagement == 5
  at 2024-01-02T10:00 expect engagement == 0
end
""")
    assert results[0].passed, results[0].failures


def test_failures_name_the_expect_line_and_what_was_read():
    results = outcomes(RULES + """
test "wrong"
  at 2024-01-01T10:00 purchase(amount: 150, category: "a")
  expect engagement == 99 or count(purchase where amount > 100) == 7
  expect sum(purchase.amount within 1 day) < 0
end
""")
    (outcome,) = results
    assert [str(f) for f in outcome.failures] == [
        ("r.leadflow:10: expected engagement == 99 or count(purchase where amount > 100) == 7, "
         "got engagement = 15; count(purchase where amount > 100) = 1"),
        ("r.leadflow:11: expected sum(purchase.amount within 1 day) < 0, "
         "got sum(purchase.amount within 1 day) = 150"),
    ]


def test_a_bare_expect_before_any_at_sees_the_lead_settled_at_the_first_at():
    results = outcomes(RULES + """
score fit
rule retail: while lead.country == "ES" add 7 to fit
test "fit before events"
  lead(country: "ES")
  expect fit == 7
  at 2024-01-01 purchase(amount: 1, category: "a")
  expect fit == 7
end
""")
    assert results[0].passed, results[0].failures


def test_runner_refuses_time_going_backwards_even_unchecked():
    # The checker rejects this too; the runner must not rely on it.
    text = RULES + """
test "back"
  at 2024-02-01 purchase(amount: 1, category: "a")
  at 2024-01-01 purchase(amount: 1, category: "a")
  expect engagement == 0
end
"""
    model = build_model(parse(text, "r.leadflow"))
    (outcome,) = run_tests(Interpreter(model), model)
    assert [str(f) for f in outcome.failures] == [
        ("r.leadflow:10: error: `at 2024-01-01` is earlier than the step before it; "
         "a test's steps go forward in time")]


def test_runner_works_with_any_engine_through_the_interface():
    # A wrapper that only exposes the Engine protocol: expectations are evaluated on
    # the result and the runner's own record of events, not on interpreter internals.
    inner = engine(RULES)

    class Opaque:
        name, timezone, events = inner.name, inner.timezone, inner.events
        lead_fields, scores, stages = inner.lead_fields, inner.scores, inner.stages

        def new_lead(self, lead_id, attrs, trace=False):
            return [inner.new_lead(lead_id, attrs, trace)]

        def feed(self, box, ts, event, values):
            inner.feed(box[0], ts, event, values)

        def advance(self, box, ts):
            inner.advance(box[0], ts)

        def result(self, box):
            return inner.result(box[0])

        def trace(self, box):
            return inner.trace(box[0])

    loaded = load_text(RULES + """
test "opaque"
  at 2024-01-01 purchase(amount: 150, category: "a")
  at 2024-01-01T01:00 purchase(amount: 50, category: "b")
  expect count(purchase) == 2 and distinct(purchase.category) == 2 and engagement == 20
end
""", "r.leadflow")
    (outcome,) = run_tests(Opaque(), loaded.model)
    assert outcome.passed, outcome.failures
