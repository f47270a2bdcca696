"""A failing test block prints the smallest event log that still fails it (leadflow/testing/repro.py)."""

from __future__ import annotations

import re
from pathlib import Path
from textwrap import dedent

from click.testing import CliRunner

from leadflow.cli import cli

RULES = """\
ruleset shop
timezone "Europe/Madrid"
event email_open
event page_view(url: text)
event purchase(amount: number)
score engagement min 0
rule open:    on email_open add 1
rule big:     on purchase where amount > 100 add 10
rule loyal:   on purchase count >= 2 within 30 days add 5
rule cooling: every 30 days without activity subtract 5
"""


def _leadflow_test(tmp_path: Path, block: str, name: str = "shop.leadflow"):
    path = tmp_path / name
    path.write_text(RULES + block, "utf-8")
    return CliRunner().invoke(cli, ["test", str(path)])


def _printed_block(output: str) -> str:
    """The block printed after the failure, unindented."""
    start = output.index("the smallest event log that still fails, as a test block:\n")
    lines = output[start:].splitlines()[1:]
    block = []
    for line in lines:
        block.append(line[4:])
        if line.strip() == "end":
            break
    return "\n".join(block)


def test_the_events_the_failure_does_not_need_are_dropped(tmp_path):
    result = _leadflow_test(tmp_path, """
test "two purchases within a month"
  at 2024-04-01T10:00 email_open
  at 2024-04-02T10:00 page_view(url: "/botas")
  at 2024-04-03T10:00 purchase(amount: 150)
  at 2024-04-04T10:00 email_open
  at 2024-04-10T10:00 purchase(amount: 50)
  expect engagement == 18
  at 2024-04-20T10:00 page_view(url: "/sandalias")
end
""")
    assert result.exit_code == 1
    assert _printed_block(result.output) == dedent("""\
        test "two purchases within a month (minimal)"
          at 2024-04-01T10:00 email_open
          at 2024-04-03T10:00 purchase(amount: 150)
          at 2024-04-04T10:00 email_open
          at 2024-04-10T10:00 purchase(amount: 50)
          at 2024-04-10T10:00 expect engagement == 18  # got engagement = 17
        end""")


def test_a_bare_expect_keeps_the_clock_it_inherited(tmp_path):
    """The failing `expect` ran at the clock of `at … expect` before it: the cut block says so."""
    result = _leadflow_test(tmp_path, """
test "cooling"
  at 2024-04-01T10:00 purchase(amount: 150)
  at 2024-05-01T10:00 expect engagement == 5
  expect engagement == 10
end
""")
    assert result.exit_code == 1
    assert _printed_block(result.output) == dedent("""\
        test "cooling (minimal)"
          at 2024-04-01T10:00 purchase(amount: 150)
          at 2024-05-01T10:00 expect engagement == 10  # got engagement = 5
        end""")


def test_the_printed_block_reproduces_the_failure(tmp_path):
    result = _leadflow_test(tmp_path, """
test "opens add up"
  lead()
  at 2024-04-01T10:00 email_open
  at 2024-04-01T11:00 page_view(url: "/x")
  at 2024-04-01T12:00 email_open
  expect engagement == 3
end
""")
    first = re.search(r"shop\.leadflow:\d+: (.*)  \(test", result.output).group(1)
    block = _printed_block(result.output)
    tests_file = tmp_path / "repro.leadflow"
    tests_file.write_text('tests for "shop.leadflow"\n' + block + "\n", "utf-8")
    again = CliRunner().invoke(cli, ["test", str(tests_file)])
    assert again.exit_code == 1
    assert first in again.output  # the same expected and actual
    assert "page_view" not in block


def test_passing_blocks_print_nothing_extra(tmp_path):
    result = _leadflow_test(tmp_path, 'test "ok"\n  at 2024-04-01T10:00 email_open\n'
                                      "  expect engagement == 1\nend\n")
    assert result.exit_code == 0
    assert "smallest event log" not in result.output
