"""bound_windows: each aggregate keeps only the state its reads need."""

from __future__ import annotations

import dataclasses

import pytest
from irkit import AMOUNT, count, on, program

from leadflow.compiler import ir
from leadflow.compiler.passes import bound_windows

WEEK = ir.Dur(micros=7 * 86_400_000_000)


def storage_after(agg: ir.Aggregate, rules) -> tuple[str, int]:
    after = bound_windows(program(rules, aggregates=[agg])).aggregates[0]
    return after.storage, after.keep


def check(op: str, n: int) -> list[ir.Rule]:
    return [on(0, count=ir.CountCheck(0, op, n))]


def compared(op: str, n) -> list[ir.Rule]:
    return [on(0, when=ir.Compare(op, ir.AggValue(0), ir.Const(n)))]


CASES = [
    ("count without window: a counter", count(0), check(">=", 3), ("counter", 0)),
    (">= 3 within: the last 3 times", count(0, within=WEEK), check(">=", 3), ("recent", 3)),
    ("== 3 within: the last 4 times", count(0, within=WEEK), check("==", 3), ("recent", 4)),
    ("> 3 within: the last 4 times", count(0, within=WEEK), check(">", 3), ("recent", 4)),
    ("< 2 within: the last 2 times", count(0, within=WEEK), check("<", 2), ("recent", 2)),
    ("compared in a condition", count(0, within=WEEK), compared("<=", 2), ("recent", 3)),
    ("constant on the left", count(0, within=WEEK),
     [on(0, when=ir.Compare(">", ir.Const(5), ir.AggValue(0)))], ("recent", 5)),
    ("read as a number: the whole window", count(0, within=WEEK),
     [on(0, actions=(ir.AddScore(0, ir.AggValue(0)),))], ("window", 0)),
    ("sum without window: a running sum", ir.Aggregate(0, "sum", 0, "amount", None, None),
     compared(">", 10), ("running", 0)),
    ("avg without window: running", ir.Aggregate(0, "avg", 0, "amount", None, None),
     compared(">", 10), ("running", 0)),
    ("distinct without window: a set", ir.Aggregate(0, "distinct", 0, "amount", None, None),
     compared(">", 1), ("distinct", 0)),
    ("sum within: the window", ir.Aggregate(0, "sum", 0, "amount", None, WEEK),
     compared(">", 10), ("window", 0)),
    ("a replayed filter stays replayed",
     count(0, where=ir.Compare(">", AMOUNT, ir.Score(0)), storage="replay"), check(">=", 1),
     ("replay", 0)),
]


@pytest.mark.parametrize("agg, rules, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_storage(agg, rules, expected):
    assert storage_after(agg, rules) == expected


def test_a_shared_aggregate_keeps_enough_for_every_read():
    rules = [on(0, count=ir.CountCheck(0, ">=", 3)), on(1, count=ir.CountCheck(0, "==", 3))]
    after = bound_windows(program(rules, aggregates=[count(0, within=WEEK)]))
    assert after.aggregates[0] == dataclasses.replace(count(0, within=WEEK), storage="recent", keep=4)
