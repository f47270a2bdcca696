"""`expect sent "x" with k = v` in test blocks, and failures written as the block is
written: times in the ruleset's timezone, values as the user writes them.
Both engines run the same blocks (the runner reads only what an engine reports)."""

from __future__ import annotations

import pytest

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.interpreter import Interpreter
from leadflow.testing.runner import run_tests

ENGINES = [pytest.param(Interpreter, id="interpreter"), pytest.param(CompiledEngine, id="compiled")]

RULES = """timezone "Europe/Madrid"
quiet hours 22:00 to 08:00
event purchase(amount: number, category: text, paid_at: time)
score engagement
rule offer: on purchase where amount > 50 send "offer" with category = category, amount = amount
rule team: on purchase notify "sales" with vip = amount > 100
"""


def outcomes(engine, text: str):
    loaded = load_text(RULES + text, "r.leadflow")
    assert loaded.ok, loaded.render()
    return run_tests(engine(loaded.model), loaded.model)


@pytest.mark.parametrize("engine", ENGINES)
def test_sent_with_arguments_matches_the_arguments_given(engine):
    [result] = outcomes(engine, """
test "the wedding offer"
  at 2024-05-20T10:00 purchase(amount: 80, category: "boda")
  expect sent "offer" with category = "boda"
  expect sent "offer" with category = "boda", amount = 80
  expect sent "offer" with amount = 80.0
  expect not sent "offer" with category = "botas"
  expect not sent "offer" with category = "boda", amount = 81
  expect not sent "offer" with coupon = "X"
  expect notified "sales" with vip = false
  expect not notified "sales" with vip = true
end
""")
    assert result.failures == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failure_shows_the_sends_in_the_rulesets_timezone_with_the_values_as_written(engine):
    [result] = outcomes(engine, """
test "wrong category"
  at 2024-05-20T10:00 purchase(amount: 80, category: "boda")
  expect sent "offer" with category = "botas"
  expect not sent "offer"
end
""")
    assert [str(f) for f in result.failures] == [
        ('r.leadflow:10: expected sent "offer" with category = "botas", got sent "offer" at '
         '2024-05-20T10:00 with category = "boda", amount = 80'),
        ('r.leadflow:11: expected not sent "offer", got sent "offer" at 2024-05-20T10:00 with '
         'category = "boda", amount = 80'),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_send_held_by_quiet_hours_does_not_count_until_delivered(engine):
    [result] = outcomes(engine, """
test "night purchase"
  at 2024-05-20T23:30 purchase(amount: 80, category: "boda")
  expect not sent "offer" with category = "boda"
  at 2024-05-21T08:00 expect sent "offer" with category = "boda"
  expect sent "offer" with category = "bodas"
end
""")
    [failure] = result.failures
    assert failure.message.endswith('got sent "offer" at 2024-05-21T08:00 with category = "boda", '
                                    "amount = 80")


@pytest.mark.parametrize("engine", ENGINES)
def test_times_and_durations_in_failures_are_never_raw_microseconds(engine):
    [result] = outcomes(engine, """
test "times"
  at 2024-05-20T10:00:30 purchase(amount: 80, category: "boda", paid_at: "2024-05-19T09:00")
  at 2024-05-22T12:00 expect max(purchase.paid_at) == max(purchase.ts) or since(purchase) < 1 day
end
""")
    [failure] = result.failures
    assert failure.message == (
        "expected max(purchase.paid_at) == max(purchase.ts) or since(purchase) < 1 day, got "
        "max(purchase.paid_at) = 2024-05-19T09:00; max(purchase.ts) = 2024-05-20T10:00:30; "
        "since(purchase) = 2 days 1 hour 59 minutes 30 seconds")
