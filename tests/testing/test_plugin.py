"""The pytest plugin (leadflow/testing/plugin.py), run inside pytest with `pytester`.

Each test writes `.leadflow` files into a fresh directory and runs pytest on it;
the plugin is on because leadflow is installed (the `pytest11` entry point).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadflow.api import load_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

SHOP = """\
ruleset shop
event email_open
event purchase(amount: number)
score engagement min 0
stage visitor
stage buyer when count(purchase) >= 1

rule open: on email_open add 1
rule big:  on purchase where amount > 100 add 10

test "an open is worth 1"
  at 2024-01-10T10:00 email_open
  expect engagement == 1
end

test "a big purchase is worth 10"
  at 2024-01-10T10:00 purchase(amount: 150)
  expect engagement == 10
  expect stage == "buyer"
end

test "a small purchase is worth nothing"
  at 2024-01-10T10:00 email_open
  at 2024-01-11T10:00 purchase(amount: 50)
  at 2024-01-12T10:00 email_open
  expect engagement == 2
end
"""


def _write(pytester: pytest.Pytester, name: str, text: str) -> Path:
    path = pytester.path / name
    path.write_text(text, "utf-8")
    return path


def _broken(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def test_every_test_block_is_an_item_named_after_it(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "shop.leadflow::an open is worth 1",
        "shop.leadflow::a big purchase is worth 10",
        "shop.leadflow::a small purchase is worth nothing",
    ])
    assert result.ret == 0


def test_passing_blocks_pass(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)


def test_a_failure_shows_file_line_expected_actual_and_the_minimal_log(pytester):
    text = _broken(SHOP, "  expect engagement == 2\n", "  expect engagement == 3\n")
    _write(pytester, "shop.leadflow", text)
    line = text[: text.index("  expect engagement == 3\n")].count("\n") + 1
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        f"shop.leadflow:{line}: expected engagement == 3, got engagement = 2",
        "the smallest event log that still fails, as a test block:",
        'test "a small purchase is worth nothing (minimal)"',
        "  at 2024-01-10T10:00 email_open",
        "  at 2024-01-12T10:00 email_open",
        "  at 2024-01-12T10:00 expect engagement == 3  # got engagement = 2",
        "end",
    ])
    # The purchase of 50 changes nothing in the failure, so the minimal log drops it.
    assert "purchase(amount: 50)" not in result.stdout.str()
    result.stdout.fnmatch_lines(["FAILED shop.leadflow::a small purchase is worth nothing*"])


def test_k_selects_blocks_by_name(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    result = pytester.runpytest("-k", "purchase and not small")
    result.assert_outcomes(passed=1, deselected=2)


def test_x_stops_at_the_first_failure(pytester):
    text = _broken(SHOP, "  expect engagement == 1\n", "  expect engagement == 5\n")
    _write(pytester, "shop.leadflow", _broken(text, "expect engagement == 10", "expect engagement == 9"))
    result = pytester.runpytest("-x")
    result.assert_outcomes(failed=1)
    assert "stopping after 1 failures" in result.stdout.str()


def test_lf_reruns_only_the_blocks_that_failed(pytester):
    _write(pytester, "shop.leadflow", _broken(SHOP, "expect engagement == 10", "expect engagement == 9"))
    pytester.runpytest().assert_outcomes(passed=2, failed=1)
    result = pytester.runpytest("--lf")
    result.assert_outcomes(failed=1)  # the two that passed are not even collected
    result.stdout.fnmatch_lines(["run-last-failure: rerun previous 1 failure*"])
    result.stdout.fnmatch_lines(["FAILED shop.leadflow::a big purchase is worth 10*"])


def test_the_leadflow_marker(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    pytester.makepyfile(test_other="def test_python():\n    pass\n")
    pytester.runpytest("-m", "leadflow").assert_outcomes(passed=3, deselected=1)
    pytester.runpytest("-m", "not leadflow").assert_outcomes(passed=1, deselected=3)


def test_a_tests_for_file_runs_against_its_ruleset(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    _write(pytester, "shop_tests.leadflow", 'tests for "shop.leadflow"\n\n'
           'test "two opens"\n  at 2024-02-01T09:00 email_open\n'
           '  at 2024-02-01T09:05 email_open\n  expect engagement == 2\nend\n')
    result = pytester.runpytest("shop_tests.leadflow", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["shop_tests.leadflow::two opens PASSED*"])


# --------------------------------------------------- files with errors


BROKEN = 'event purchase(amount: number)\nrule big: on purchse add 10\n\ntest "t"\n  expect score == 0\nend\n'


def test_by_default_a_broken_file_found_in_a_folder_is_passed_over_and_counted(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    (pytester.path / "fixtures").mkdir()
    _write(pytester, "fixtures/typo.leadflow", BROKEN)
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([
        "leadflow: 1 .leadflow file(s) with errors not collected (fixtures/typo.leadflow)*"])


def test_strict_collection_makes_a_broken_file_fail_with_its_diagnostics(pytester):
    _write(pytester, "typo.leadflow", BROKEN)
    pytester.makeini("[pytest]\nleadflow_collect = strict\n")
    result = pytester.runpytest(".")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*typo.leadflow:2:*error: unknown event `purchse`",
                                 "*hint: did you mean `purchase`?",
                                 "FAILED typo.leadflow::check*"])


def test_a_broken_file_named_on_the_command_line_always_fails(pytester):
    _write(pytester, "typo.leadflow", BROKEN)
    result = pytester.runpytest("typo.leadflow")
    result.assert_outcomes(failed=1)


def test_collection_can_be_turned_off(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    pytester.makeini("[pytest]\nleadflow_collect = off\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_an_unknown_collection_mode_is_a_usage_error(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    pytester.makeini("[pytest]\nleadflow_collect = sometimes\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*leadflow_collect = 'sometimes': use one of clean, strict, off*"])


def test_the_projects_golden_bad_inputs_produce_no_failing_items(pytester):
    """leadflow's own suite keeps deliberately broken files under tests/dsl/golden."""
    golden = sorted((ROOT / "tests" / "dsl" / "golden").glob("*.leadflow"))
    assert golden
    target = pytester.path / "golden"
    target.mkdir()
    for path in golden:
        shutil.copy(path, target / path.name)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    # Some hold only warnings (and no test block): they are not broken.
    broken = [path for path in golden if not load_file(str(path)).ok]
    assert len(broken) < len(golden)
    result.stdout.fnmatch_lines([f"leadflow: {len(broken)} .leadflow file(s) with errors*"])


# ----------------------------------------------------------- the examples


def test_the_examples_test_blocks_are_collected_and_pass(pytester):
    for path in EXAMPLES.glob("*.leadflow"):
        shutil.copy(path, pytester.path / path.name)
    result = pytester.runpytest("-p", "no:cacheprovider")
    blocks = sum(path.read_text("utf-8").count('\ntest "') for path in EXAMPLES.glob("*.leadflow"))
    result.assert_outcomes(passed=blocks)


# ------------------------------------------------------------- coverage


def test_coverage_of_the_blocks_that_ran(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    result = pytester.runpytest("--leadflow-coverage", "-k", "open")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines([
        "*leadflow rule coverage*",
        "rule coverage of shop.leadflow (1 tests)",
        "*rule *open *shop.leadflow:8 *yes *1",
        "*rule *big *shop.leadflow:9 *NO *0",
        "*stage *buyer *NO *0",
        "*1/2 rules, 1/2 stages: 50.0%",
    ])


def test_fail_under_fails_the_session(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    result = pytester.runpytest("--leadflow-fail-under", "100", "-k", "open")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL: rule coverage 50.0% is below --leadflow-fail-under 100%"])
    assert pytester.runpytest("--leadflow-fail-under", "100").ret == pytest.ExitCode.OK


# ---------------------------------------------- a failing property test


PROPERTY = '''
from hypothesis import given, settings
from leadflow.testing import event_logs, load, run

SHOP = load("shop.leadflow")

@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(event_logs(SHOP))
def test_nobody_spends_much(log):
    for lead in run(SHOP, log).values():
        assert lead.scores["engagement"] < 10, lead.lead_id
'''


def test_a_falsifying_example_prints_as_a_test_block_that_reproduces_it(pytester):
    _write(pytester, "shop.leadflow", SHOP)
    pytester.makepyfile(test_property=PROPERTY)
    result = pytester.runpytest("test_property.py")
    result.assert_outcomes(failed=1)
    # Shrunk to one purchase just over the threshold, printed as a block to paste.
    result.stdout.fnmatch_lines(["*Failing test case: test_nobody_spends_much(",
                                 "*log=EventLog(", '*test "lead*"',
                                 "*  at 2024-01-08T09:00 purchase(amount: 100.5)",
                                 "*  # at 2024-01-08T09:00 expect ...", "*end", "*),"])
    block = _falsifying_log(result.stdout.lines).replace(
        "# at 2024-01-08T09:00 expect ...", "at 2024-01-08T09:00 expect engagement == 10")
    _write(pytester, "repro.leadflow", 'tests for "shop.leadflow"\n' + block + "\n")
    pytester.runpytest("repro.leadflow").assert_outcomes(passed=1)


def _falsifying_log(lines: list[str]) -> str:
    """The EventLog of Hypothesis's "Failing test case", without pytest's `E` margin."""
    start = next(n for n, line in enumerate(lines) if line.strip().endswith("log=EventLog("))
    body = []
    for line in lines[start + 1:]:
        text = line.removeprefix("E")
        if text.strip() == "),":
            break
        body.append(text)
    indent = min(len(t) - len(t.lstrip()) for t in body if t.strip())
    return "\n".join(t[indent:] for t in body)
