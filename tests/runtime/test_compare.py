"""`diff`'s core: one staged read for both versions, lead comparison rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime import compare
from leadflow.runtime.compare import PairEngine, compare_lead, diff, new_summary
from leadflow.runtime.driver import RunOptions
from leadflow.runtime.engine import LeadResult, OutAction
from leadflow.runtime.interpreter import Interpreter
from leadflow.runtime.readers import InputFile

RULES = '''\
event open
event buy(amount: number)
score points
stage cold
stage warm when points >= 3
rule o: on open add 1
rule b: on buy where amount > 10 add 5, send "thanks"
'''


def log(tmp_path: Path) -> RunOptions:
    path = tmp_path / "events.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lead_id", "event", "ts", "amount"])
        writer.writerows([("a", "open", "2024-01-01T10:00:00Z", ""),
                          ("a", "buy", "2024-01-02T10:00:00Z", "20"),
                          ("b", "open", "2024-01-01T11:00:00Z", ""),
                          ("c", "signup", "2024-01-03T11:00:00Z", "")])
    return RunOptions([InputFile(str(path), "csv")])


def engines(new_text: str, engine_type=Interpreter):
    return (engine_type(load_text(RULES, "old.leadflow").model),
            engine_type(load_text(new_text, "new.leadflow").model))


@pytest.fixture
def stagings(monkeypatch):
    """Counts how many times the inputs are staged (read)."""
    made = []
    real = compare.Staging

    def counting(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compare, "Staging", counting)
    return made


@pytest.mark.parametrize("engine_type", [Interpreter, CompiledEngine], ids=["interpreter", "compiled"])
def test_a_rule_change_reads_the_log_once(tmp_path, stagings, engine_type):
    old, new = engines(RULES.replace("add 5", "add 1"), engine_type)
    summary = diff(old, new, log(tmp_path), new_summary(old, new, "old", "new"))
    assert stagings == [1]
    # c appears only in a row of an undeclared event type: a lead all the same (its row
    # of leads.csv, unchanged).
    assert (summary.leads, summary.changed) == (3, 1)
    assert summary.stage_matrix == {("warm", "cold"): 1, ("cold", "cold"): 2}
    assert summary.score_deltas == {"points": [-4.0]}


def test_the_compiled_pair_takes_whole_segments():
    old, new = engines(RULES.replace("add 5", "add 1"), CompiledEngine)
    assert hasattr(PairEngine(old, new), "feed_columns")


def test_different_event_declarations_read_the_log_per_version(tmp_path, stagings):
    old, new = engines(RULES + 'event signup\nrule s: on signup add 2\n')
    changes = []
    summary = diff(old, new, log(tmp_path), new_summary(old, new, "old", "new"), changes.append)
    assert stagings == [1, 1]
    # c's only row is a type the old version ignores: there it stays as new as a lead can be.
    assert [c.lead_id for c in changes] == ["c"]
    assert changes[0].old.scores == {"points": 0.0} and changes[0].new.scores == {"points": 2.0}
    assert summary.leads == 3


def result(actions=(), **fields) -> LeadResult:
    base = {"lead_id": "x", "scores": {"s": 1.0}, "stage": None, "tags": (), "attrs": {},
            "actions": list(actions), "transitions": []}
    return LeadResult(**{**base, **fields})


def test_actions_are_compared_by_what_the_lead_receives_not_the_rule():
    sent = OutAction(10, "welcome", "send", "hello", {"n": 1})
    renamed = OutAction(10, "greeting", "send", "hello", {"n": 1.0})
    assert compare_lead(result([sent]), result([renamed])) is None
    later = OutAction(11, "welcome", "send", "hello", {"n": 1})
    change = compare_lead(result([sent, sent]), result([sent, later]))
    assert change.added == [later] and change.removed == [sent]


def test_tags_and_attributes_count_as_changes():
    change = compare_lead(result(tags=("a", "b")), result(tags=("b", "c")))
    assert (change.tags_gained, change.tags_lost) == (("c",), ("a",))
    assert compare_lead(result(attrs={"x": 1}), result(attrs={"x": 2})).attrs_changed
