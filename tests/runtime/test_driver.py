"""The driver's replay loop, against a recording engine: what it calls, in which order."""

from __future__ import annotations

import pyarrow as pa
import pytest

from leadflow.runtime.driver import LeadFailed, check_finite, replay
from leadflow.runtime.engine import LeadResult, RulesetRuntimeError

EVENT_NAMES = ("email_open", "purchase")
BY_EVENT = ((), (("amount", 0), ("category", 1)))


class Recorder:
    """Implements the Engine protocol by writing down every call."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[tuple] = []
        self.fail_on = fail_on

    def new_lead(self, lead_id, attrs, trace=False):
        self.calls.append(("new", lead_id, attrs))
        return lead_id

    def feed(self, state, ts, event, values):
        if state == self.fail_on:
            raise RulesetRuntimeError("did not settle", ["a", "b"], "x.leadflow:3")
        self.calls.append(("feed", state, ts, event, values))

    def advance(self, state, ts):
        self.calls.append(("advance", state, ts))

    def result(self, state):
        return LeadResult(state, {}, None, (), {}, [], [])

    def trace(self, state):
        return []


def batch(rows):
    lead_ids, times, kinds, amounts, categories = zip(*rows)
    return pa.RecordBatch.from_arrays(
        [pa.array(lead_ids), pa.array(times, pa.int64()), pa.array(kinds, pa.int32()),
         pa.array(amounts, pa.float64()), pa.array(categories, pa.string())],
        ["lead_id", "ts_us", "ev_no", "v0", "v1"])


def test_leads_are_fed_in_order_and_advanced_to_as_of_with_attributes_merged():
    batches = [batch([("b", 1, 0, None, None), ("b", 2, 1, 50.0, None)]),
               batch([("b", 3, 0, 9.0, "x"), ("d", 4, 1, 7.0, "botas")])]
    attrs = iter([("a", {"country": "ES"}), ("b", {"country": "FR"}), ("c", {}), ("e", {"x": 1})])
    engine, emitted = Recorder(), []
    replay(engine, batches, EVENT_NAMES, BY_EVENT, attrs, 100, emitted.append)
    assert engine.calls == [
        ("new", "a", {"country": "ES"}), ("advance", "a", 100),
        ("new", "b", {"country": "FR"}),
        ("feed", "b", 1, "email_open", {}),
        ("feed", "b", 2, "purchase", {"amount": 50.0}),  # a missing value is left out
        ("feed", "b", 3, "email_open", {}),  # fields of other events are not passed
        ("advance", "b", 100),
        ("new", "c", {}), ("advance", "c", 100),
        ("new", "d", {}), ("feed", "d", 4, "purchase", {"amount": 7.0, "category": "botas"}),
        ("advance", "d", 100),
        ("new", "e", {"x": 1}), ("advance", "e", 100),
    ]
    assert [r.lead_id for r in emitted] == ["a", "b", "c", "d", "e"]


def test_without_as_of_nothing_is_advanced():
    engine = Recorder()
    replay(engine, [batch([("a", 1, 0, None, None)])], EVENT_NAMES, BY_EVENT, iter([]), None,
           lambda r: None)
    assert [c[0] for c in engine.calls] == ["new", "feed"]


def test_a_runtime_error_names_the_lead():
    with pytest.raises(LeadFailed) as failure:
        replay(Recorder(fail_on="b"), [batch([("a", 1, 0, None, None), ("b", 2, 0, None, None)])],
               EVENT_NAMES, BY_EVENT, iter([]), 5, lambda r: None)
    assert failure.value.lead_id == "b" and failure.value.error.rules == ("a", "b")


def test_finite_scores_pass_even_when_their_sum_overflows():
    check_finite(None, None, {"x": 1e308, "y": 1e308}, False)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_a_score_that_is_not_finite_is_named(bad):
    with pytest.raises(RulesetRuntimeError, match=f"score y became {bad}"):
        check_finite(None, None, {"x": 1.0, "y": bad}, False)
