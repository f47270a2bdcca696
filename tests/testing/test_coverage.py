"""Rule coverage (leadflow/testing/coverage.py, `leadflow test --coverage`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from leadflow.api import load_file
from leadflow.cli import cli
from leadflow.runtime.interpreter import Interpreter
from leadflow.testing import event_logs, load, run
from leadflow.testing.coverage import CoverageRecorder, merge, render, targets
from leadflow.testing.runner import run_tests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

RULES = """\
ruleset cov
event open
event buy(amount: number)
event leave
lead(vip: bool)
score points min 0
stage cold
stage warm when points >= 5
stage hot when points >= 50

rule opened: on open add 1
rule bought: on buy where amount > 100 add 10
rule never:  on buy where amount < 0 add 1
rule vip:    while lead.vip == true add 5
rule quit:   on leave stop welcome
rule greet:  on enter warm notify "team"

flow welcome
  start on open
  send "hello"
  wait 1 day
  if points >= 3
    send "tips"
  else
    send "nudge"
  end
end

flow gift
  start on buy
  if amount > 1000
    send "vip_gift"
  end
end
"""

TESTS = """
test "a vip opens an email"
  lead(vip: true)
  at 2024-03-01T10:00 open
  expect stage == "warm"
  at 2024-03-02T10:00 expect sent "tips"
end

test "leaving with no welcome flow running"
  at 2024-03-01T10:00 leave
  expect points == 0
end

test "a purchase"
  at 2024-03-01T10:00 buy(amount: 150)
  expect points == 10
end
"""


def _coverage(tmp_path: Path, text: str = RULES + TESTS):
    path = tmp_path / "cov.leadflow"
    path.write_text(text, "utf-8")
    model = load_file(str(path)).model
    recorder = CoverageRecorder(Interpreter(model))
    outcomes = run_tests(recorder, model)
    assert all(o.passed for o in outcomes), [f for o in outcomes for f in o.failures]
    return recorder.coverage()


def _counts(cov) -> dict[str, int]:
    return {t.label: cov.count(t) for t in cov.targets}


def test_what_fired_and_how_often(tmp_path):
    counts = _counts(_coverage(tmp_path))
    assert counts == {
        "opened": 1, "bought": 1, "never": 0,
        "vip": 1,  # a `while` rule counts when it starts holding
        "quit": 1,  # fired, though stopping a flow that is not running leaves no trace line
        "greet": 2,
        'welcome: send "hello"': 1, "welcome: wait 1 day": 1, "welcome: if points >= 3": 1,
        'welcome: send "tips"': 1, 'welcome: send "nudge"': 0,
        # The gift flow ran out of steps after a false `if` with no else: the `if` ran.
        "gift: if amount > 1000": 1, 'gift: send "vip_gift"': 0,
        "cold": 3, "warm": 2, "hot": 0,  # every lead starts in the first stage
    }


def test_the_percentage_and_what_was_missed(tmp_path):
    cov = _coverage(tmp_path)
    assert (cov.covered, len(cov.targets)) == (12, 16)
    assert cov.percent == 75.0
    assert [t.label for t in cov.missed()] == ["never", 'welcome: send "nudge"',
                                              'gift: send "vip_gift"', "hot"]


def test_a_step_after_a_wait_the_test_never_reaches_is_not_covered(tmp_path):
    cov = _coverage(tmp_path, RULES + 'test "t"\n  at 2024-03-01T10:00 open\nend\n')
    counts = _counts(cov)
    assert counts['welcome: send "hello"'] == 1 and counts["welcome: wait 1 day"] == 1
    assert counts["welcome: if points >= 3"] == 0 and counts['welcome: send "tips"'] == 0


def test_targets_are_in_file_order_with_their_lines():
    model = load(RULES)
    found = targets(model)
    assert [t.kind for t in found] == ["rule"] * 6 + ["step"] * 7 + ["stage"] * 3
    tips = next(t for t in found if t.label == 'welcome: send "tips"')
    assert tips.line == RULES.splitlines().index('    send "tips"') + 1
    assert tips.key == "welcome/2/then/0"


def test_the_table(tmp_path):
    text = render([_coverage(tmp_path)])
    assert re.search(r"rule +never +cov\.leadflow:13 +NO +0", text)
    assert re.search(r"stage +cold +cov\.leadflow:7 +yes +3", text)
    assert "5/6 rules, 5/7 flow steps, 2/3 stages: 75.0%" in text
    assert text.endswith("rule coverage: 75.0% (12 of 16 rules, flow steps and stages fired)")


@settings(max_examples=15, deadline=None)
@given(event_logs(load(EXAMPLES / "zapateria.leadflow")))
def test_recording_changes_nothing(log):
    shop = load(EXAMPLES / "zapateria.leadflow")
    recorder = CoverageRecorder(Interpreter(shop))
    with_recorder = run(shop, log, engine=recorder)
    plain = run(shop, log)
    assert {k: v.result for k, v in with_recorder.items()} == {k: v.result for k, v in plain.items()}


# --------------------------------------------------------------- the CLI


def test_leadflow_test_coverage(tmp_path):
    path = tmp_path / "cov.leadflow"
    path.write_text(RULES + TESTS, "utf-8")
    result = CliRunner().invoke(cli, ["test", "--coverage", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 passed, 0 failed" in result.output
    assert "rule coverage: 75.0%" in result.output


@pytest.mark.parametrize("threshold,code", [("75", 0), ("75.1", 1), ("100", 1)])
def test_fail_under(tmp_path, threshold, code):
    path = tmp_path / "cov.leadflow"
    path.write_text(RULES + TESTS, "utf-8")
    result = CliRunner().invoke(cli, ["test", "--fail-under", threshold, str(path)])
    assert result.exit_code == code, result.output
    assert "rule coverage: 75.0%" in result.output  # --fail-under implies --coverage
    assert ("is below --fail-under" in result.output) == bool(code)


def test_fail_under_must_be_a_percentage(tmp_path):
    result = CliRunner().invoke(cli, ["test", "--fail-under", "120", "x.leadflow"])
    assert result.exit_code == 2


def test_the_examples_tests_fire_every_rule_flow_step_and_stage():
    files = sorted(str(p) for p in EXAMPLES.glob("*.leadflow"))
    result = CliRunner().invoke(cli, ["test", "--fail-under", "100", *files])
    assert result.exit_code == 0, result.output
    assert "rule coverage: 100.0%" in result.output


def test_a_rulesets_own_tests_and_its_tests_file_add_up():
    shop, more = EXAMPLES / "zapateria.leadflow", EXAMPLES / "zapateria_tests.leadflow"
    coverages = []
    for path in (shop, more):
        model = load_file(str(path)).model
        recorder = CoverageRecorder(Interpreter(model))
        run_tests(recorder, model)
        coverages.append(recorder.coverage())
    alone = coverages[0]
    assert alone.percent < 100  # the shop's own ten tests miss the flows the tests file covers
    (both,) = merge(coverages)
    assert both.tests == len(load_file(str(shop)).model.tests) + len(load_file(str(more)).model.tests)
    assert both.percent == 100.0
