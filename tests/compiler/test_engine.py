"""The compiled engine: loading, the cache, run-time errors with file:line, batch entry points."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from engines import all_engines, load

from leadflow.api import load_file
from leadflow.compiler import compile_model
from leadflow.compiler.engine import CompiledEngine, convert_result
from leadflow.compiler.load import cache_dir, load_source
from leadflow.runtime.driver import RunOptions, run
from leadflow.runtime.engine import LeadResult, RulesetRuntimeError
from leadflow.runtime.explain import explain
from leadflow.runtime.interpreter import Interpreter
from leadflow.runtime.readers import expand_inputs
from leadflow.testing.runner import run_tests

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400_000_000
T0 = 1_717_200_000_000_000  # 2024-06-01T00:00:00Z

SIMPLE = "event buy(amount: number)\nscore a\nrule big: on buy where amount > 10 add 5\n"


def test_a_module_is_loaded_fresh_and_never_into_shared_globals():
    first = load_source(compile_model(load(SIMPLE)))
    other = load_source(compile_model(load(SIMPLE.replace("add 5", "add 6"))))
    assert first is not other and first.__dict__ is not other.__dict__
    assert first.__name__ not in sys.modules and "_run" not in globals()
    assert first.NAME is None and first.SCORES == ("a",)


def test_compiling_the_same_ruleset_again_uses_the_cache():
    model = load(SIMPLE + "rule cached: on buy add 1\n")
    before = set(os.listdir(cache_dir())) if cache_dir().exists() else set()
    first = CompiledEngine(model)
    written = set(os.listdir(cache_dir())) - before
    assert len([n for n in written if n.endswith(".py")]) == 1
    again = CompiledEngine(load(SIMPLE + "rule cached: on buy add 1\n"))
    assert again.module is first.module
    assert set(os.listdir(cache_dir())) - before == written  # nothing compiled twice


def test_options_are_part_of_the_cache_key():
    model = load(SIMPLE)
    assert CompiledEngine(model).module is not CompiledEngine(model, optimized=False).module


def test_the_engine_interface(tmp_path):
    engine = CompiledEngine(load(SIMPLE))
    assert (engine.name, engine.timezone, engine.scores, engine.stages) == (None, "UTC", ("a",), ())
    assert engine.events == {"buy": (("amount", "number"),)}
    state = engine.new_lead("l1", {"ignored": None})
    engine.feed(state, T0, "buy", {"amount": 20.0})
    engine.feed(state, T0 + 1, "not_declared", {})
    engine.advance(state, T0 + DAY)
    result = engine.result(state)
    assert isinstance(result, LeadResult)
    assert (result.lead_id, result.scores, result.attrs) == ("l1", {"a": 5.0}, {})
    with pytest.raises(ValueError, match="time order"):
        engine.feed(state, T0 - 1, "buy", {"amount": 1.0})


def test_trace_lines_are_recorded_only_when_asked():
    engine = CompiledEngine(load(SIMPLE))
    quiet, loud = engine.new_lead("l1", {}), engine.new_lead("l2", {}, trace=True)
    for state in (quiet, loud):
        engine.feed(state, T0, "buy", {"amount": 20.0})
    assert engine.trace(quiet) == []
    kinds = [(e.kind, e.text) for e in engine.trace(loud)]
    assert kinds == [("event", "buy(amount: 20)"), ("rule", "big: add 5 → a 5")]
    assert engine.trace(loud)[-1].scores == {"a": 5.0}


def test_a_failing_rule_is_named_with_its_file_and_line():
    text = "event buy(units: int)\nscore a\n\nrule huge: on buy add units * 2\n"
    engine = CompiledEngine(load(text))
    state = engine.new_lead("l1", {})
    with pytest.raises(RulesetRuntimeError) as raised:  # an int too large for a float score
        engine.feed(state, T0, "buy", {"units": 10 ** 400})
    assert raised.value.where == "gen.leadflow:4" and raised.value.rules == ("huge",)
    assert "gen.leadflow:4: huge failed: OverflowError" in str(raised.value)


FLAPPING = """event buy
score a
stage cold
stage hot when a >= 5
rule bump: on buy add 10
rule cool: on enter hot subtract 10
rule heat: on exit hot add 10
"""


def test_a_ruleset_that_does_not_settle_names_the_same_rules_on_both_engines():
    engines = all_engines(load(FLAPPING))
    messages = []
    for name in ("interpreter", "compiled", "plain"):
        state = engines[name].new_lead("l1", {})
        with pytest.raises(RulesetRuntimeError) as raised:
            engines[name].feed(state, T0, "buy", {})
        messages.append((str(raised.value), raised.value.rules, raised.value.where))
    assert messages[0] == messages[1] == messages[2]
    message, rules, where = messages[0]
    assert "does not settle" in message and "stage cold (gen.leadflow:3)" in message
    assert (rules, where) == (("heat",), "gen.leadflow:3")  # the last round's; where: its first


def test_feed_columns_over_several_slices_equals_feeding_each_event():
    text = SIMPLE + "rule many: on buy count >= 2 within 1 day add 1\nrule idle: every 1 day without buy add 100\n"
    engine = CompiledEngine(load(text))
    times = [T0, T0 + 1000, T0 + 2 * DAY, T0 + 2 * DAY + 5]
    codes = [0, 0, 0, 0]
    columns = [[20.0, None, 5.0, 30.0]]
    sliced = engine.new_lead("l1", {})
    engine.feed_columns(sliced, times, codes, columns, 0, 1)
    engine.feed_columns(sliced, times, codes, columns, 1, 4)
    engine.advance(sliced, T0 + 3 * DAY)
    fed = engine.new_lead("l1", {})
    for t, amount in zip(times, columns[0]):
        engine.feed(fed, t, "buy", {"amount": amount})
    engine.advance(fed, T0 + 3 * DAY)
    whole = convert_result(engine.run_lead_columns("l1", {}, times, codes, columns, 0, 4, T0 + 3 * DAY))
    assert engine.result(sliced) == engine.result(fed) == whole
    # big +5, many +1 (2nd buy), idle +100 (day 1; the buy at day 2 restarts it), big +5, many +1
    assert whole.scores["a"] == 5 + 1 + 100 + 5 + 1


def test_a_lead_with_attributes_and_no_events_is_created_and_settled_at_as_of():
    text = "event buy\nlead(region: text)\nscore a\nrule fit: while lead.region == \"es\" add 10\n"
    engines = all_engines(load(text))
    for name, engine in engines.items():
        state = engine.new_lead("l1", {"region": "es"})
        engine.advance(state, T0)
        assert engine.result(state).scores == {"a": 10.0}, name


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.leadflow")),
                         ids=lambda p: p.stem)
def test_the_examples_test_blocks_pass_on_the_compiled_engine(example, monkeypatch):
    monkeypatch.chdir(ROOT)
    loaded = load_file(os.path.relpath(example, ROOT))
    assert loaded.ok, loaded.render()
    outcomes = run_tests(CompiledEngine(loaded.model), loaded.model)
    failures = [str(f) for o in outcomes for f in o.failures]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("optimized", [True, False], ids=["optimized", "plain"])
def test_leadflow_run_writes_the_same_files_with_either_engine(optimized, monkeypatch, tmp_path):
    """The example shop log through `leadflow run` (driver.run): every output file identical."""
    monkeypatch.chdir(ROOT)
    events = ROOT / "examples" / "data" / "zapateria_events.csv"
    leads = ROOT / "examples" / "data" / "zapateria_leads.csv"
    if not (events.exists() and leads.exists()):
        pytest.skip("examples/data not generated")
    model = load_file("examples/zapateria.leadflow").model
    outputs = {}
    for name, engine in (("interpreter", Interpreter(model)),
                         ("compiled", CompiledEngine(model, optimized=optimized))):
        out = tmp_path / name
        options = RunOptions(expand_inputs([str(events)]), expand_inputs([str(leads)])[0],
                             out_dir=str(out))
        run(engine, options)
        outputs[name] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert outputs["interpreter"].keys() == outputs["compiled"].keys()
    for file in outputs["interpreter"]:
        assert outputs["interpreter"][file] == outputs["compiled"][file], file


@pytest.mark.parametrize("lead", ["Z0001", "Z0120", "Z0253", "Z0400"])
def test_explain_shows_the_same_timeline_with_either_engine(lead, monkeypatch):
    monkeypatch.chdir(ROOT)
    events = ROOT / "examples" / "data" / "zapateria_events.csv"
    if not events.exists():
        pytest.skip("examples/data not generated")
    model = load_file("examples/zapateria.leadflow").model
    options = RunOptions(expand_inputs([str(events)]))
    timelines = [explain(engine, options, lead).timeline
                 for engine in (Interpreter(model), CompiledEngine(model))]
    assert timelines[0] and timelines[0] == timelines[1]
