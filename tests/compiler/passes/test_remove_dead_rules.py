"""remove_dead_rules: rules that can never fire are dropped, each with a warning."""

from __future__ import annotations

import dataclasses

import pytest
from irkit import AMOUNT, count, on, program, rule

from leadflow.compiler import ir
from leadflow.compiler.passes import remove_dead_rules

FALSE = ir.Const(False)

DEAD = [
    ("where false", on(0, where=FALSE), "its `where` is always false"),
    ("when false", on(0, when=FALSE), "its `when` is always false"),
    ("count below one", on(0, count=ir.CountCheck(0, "<", 1)), "`count` clause can never hold"),
    ("count zero", on(0, count=ir.CountCheck(0, "==", 0)), "`count` clause can never hold"),
    ("up to zero times", on(0, modifiers=ir.Modifiers(up_to=0)), "`up to 0 times`"),
    ("a when rule on false", rule(0, "when", when=FALSE), "condition is always false"),
    ("entering a stage never reached", rule(0, "enter", stage=1), "can never be reached"),
]


@pytest.mark.parametrize("dead, reason", [c[1:] for c in DEAD], ids=[c[0] for c in DEAD])
def test_drops_a_dead_rule_with_a_warning(dead, reason):
    alive = dataclasses.replace(on(1), index=1)
    p = program([dead, alive], aggregates=[count(0)], stages=("cold", "hot"),
                stage_conds=(None, FALSE))
    after = remove_dead_rules(p)
    assert after.rules == (alive,)
    assert len(after.warnings) == 1
    file, line, message = after.warnings[0]
    assert (file, line) == ("t.leadflow", 10) and "rule `r0` can never fire" in message
    assert reason in message
    assert dataclasses.replace(after, rules=p.rules, warnings=()) == p


LIVE = [
    ("a real filter", on(0, where=ir.Compare(">", AMOUNT, ir.Const(1)))),
    ("count at least one", on(0, count=ir.CountCheck(0, ">=", 1))),
    ("count below two", on(0, count=ir.CountCheck(0, "<", 2))),
    ("exiting the first stage", rule(0, "exit", stage=0)),
    ("an every rule", rule(0, "every", period=ir.Dur(micros=1), without=None)),
]


@pytest.mark.parametrize("live", [c[1] for c in LIVE], ids=[c[0] for c in LIVE])
def test_keeps_a_rule_that_can_fire(live):
    p = program([live], aggregates=[count(0)], stages=("cold", "hot"),
                stage_conds=(None, FALSE))
    assert remove_dead_rules(p) == p
