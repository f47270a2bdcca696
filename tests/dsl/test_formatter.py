"""The formatter (`format_module`) and `leadflow fmt`.

Properties over generated trees (tests/dsl/ast_strategies.py): the formatted
text parses back to the same tree, and formatting is idempotent. Then the
examples, specific layouts, comments in odd places, and the command line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from leadflow.cli import cli
from leadflow.commands import fmt as fmt_command
from leadflow.dsl import ast
from leadflow.dsl.format_expr import format_duration, format_number
from leadflow.dsl.formatter import format_module
from leadflow.dsl.parser import parse

try:  # tests/dsl is a plain folder today; keep working if it becomes a package
    from ast_strategies import NAMES, exprs, modules
except ImportError:  # pragma: no cover
    from tests.dsl.ast_strategies import NAMES, exprs, modules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.leadflow"))


def fmt(text: str) -> str:
    return format_module(parse(text, "t.leadflow"))


def comment_texts(text: str) -> list[str]:
    return [c.text for c in parse(text, "t.leadflow").comments]


def assert_stable(source: str, formatted: str) -> None:
    """Same tree, same comments in the same order, and a fixed point."""
    assert parse(formatted, "t.leadflow") == parse(source, "t.leadflow")
    assert comment_texts(formatted) == comment_texts(source)
    assert fmt(formatted) == formatted


# ------------------------------------------------------------------ properties


@given(modules())
def test_formatted_text_parses_back_to_the_same_tree(module):
    assert parse(format_module(module), module.path) == module


@given(exprs())
def test_expressions_parse_back_to_the_same_tree(expr):
    # Denser than whole modules: every example is one deep expression.
    module = ast.Module("<generated>", (ast.Rule(None, ast.WhenCond(expr), (ast.Add(expr),)),))
    assert parse(format_module(module), module.path) == module


@given(modules())
def test_formatting_is_idempotent(module):
    once = format_module(module)
    assert format_module(parse(once, module.path)) == once


@given(modules())
def test_formatted_text_has_no_trailing_whitespace_and_one_final_newline(module):
    text = format_module(module)
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert text == "" or (text.endswith("\n") and not text.endswith("\n\n"))


@st.composite
def commented_texts(draw) -> str:
    """Formatted text of a generated module with comments added at line ends and on lines of their own."""
    lines = format_module(draw(modules())).split("\n")[:-1]
    out = []
    for number, line in enumerate(lines):
        if draw(st.booleans()):
            out.append(f"# above {number}")
        out.append(line + (f"  # after {number}" if line and draw(st.booleans()) else ""))
    if draw(st.booleans()):
        out.append("# the end")
    return "\n".join(out) + "\n"


@given(commented_texts())
def test_comments_anywhere_survive_and_formatting_stays_idempotent(source):
    formatted = fmt(source)
    assert parse(formatted) == parse(source)
    assert comment_texts(formatted) == comment_texts(source)
    assert fmt(formatted) == formatted


def test_the_name_pool_holds_no_keyword():
    grammar = (ROOT / "grammars" / "leadflow.lark").read_text("utf-8")
    keywords = set(re.findall(r'"([a-z]+)"', grammar))
    assert {"on", "count", "stage", "lead", "min"} <= keywords  # the scrape works
    assert not keywords & set(NAMES)


# -------------------------------------------------------------------- examples


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_format_stably_and_keep_every_comment(path):
    source = path.read_text("utf-8")
    formatted = fmt(source)
    assert_stable(source, formatted)
    assert comment_texts(source)  # the examples do have comments to keep


# --------------------------------------------------------------------- layouts

LAYOUTS = {
    "spacing": (
        'rule a:on x where amount>100 and url matches"*/a*" add 10,tag "t"\n',
        'rule a: on x where amount > 100 and url matches "*/a*" add 10, tag "t"\n',
    ),
    "count clause": (
        "on purchase count>=3 within 6 months add 15\n",
        "on purchase count >= 3 within 6 months add 15\n",
    ),
    "durations singular for one": (
        "every 1 days without activity subtract 5 once per 2 day\n",
        "every 1 day without activity subtract 5 once per 2 days\n",
    ),
    "numbers keep int and float": (
        "score s min -5 max 99.950\non x add 3.0, add 7, subtract 12.5%\n",
        "score s min -5 max 99.95\non x add 3.0, add 7, subtract 12.5%\n",
    ),
    "strings re-escaped": (
        'on e tag "caf\\u00e9\\t\\/"\n',
        'on e tag "café\\t/"\n',
    ),
    "parentheses only where needed": (
        "when (a + (b * c)) > ((d - e) - f) and (x or y) add (1)\n",
        "when a + b * c > d - e - f and (x or y) add 1\n",
    ),
    "parentheses that change the tree are kept": (
        "when (a < b) == c and a - (b - c) > (a + b) * -(c) and not (x and y) add 1\n",
        "when (a < b) == c and a - (b - c) > (a + b) * -c and not (x and y) add 1\n",
    ),
    "unary minus and not": (
        "when not not x and -(-a) < - b add 1\n",
        "when not not x and --a < -b add 1\n",
    ),
    "in, matches, missing": (
        'when x not in[1,-2.5,"a",true] or y is not missing or lead.c in [] add 1\n',
        'when x not in [1, -2.5, "a", true] or y is not missing or lead.c in [] add 1\n',
    ),
    "aggregates": (
        "when sum( p.amount where amount>1 within 1 weeks)>=count(p) and since(v)>30 days add 1\n",
        "when sum(p.amount where amount > 1 within 1 week) >= count(p) and since(v) > 30 days add 1\n",
    ),
    "declarations": (
        ('ruleset   z\ntimezone  "UTC"\nevent e()\nevent f( a:text ,b:number)\nlead()\n'
        "send limit 3 per 7 days\nquiet hours 22:00 to 08:30\n"),
        ('ruleset z\ntimezone "UTC"\nevent e\nevent f(a: text, b: number)\nlead()\n'
        "send limit 3 per 7 days\nquiet hours 22:00 to 08:30\n"),
    ),
    "every rule form and modifier": (
        ("rule w: while lead.i in [\"retail\"] add 10 to fit\n"
        "on enter sql notify \"sales\" with who = lead.owner once\n"
        "on exit sql set lead.x = 1, start f, stop g up to 3 times capped at 40"
        " expires after 1 month\n"),
        ("rule w: while lead.i in [\"retail\"] add 10 to fit\n"
        "on enter sql notify \"sales\" with who = lead.owner once\n"
        "on exit sql set lead.x = 1, start f, stop g up to 3 times capped at 40"
        " expires after 1 month\n"),
    ),
    "blank lines collapse, trailing spaces go": (
        "\n\nruleset z   \n\n\n\nevent e\nevent f\n\n\n",
        "ruleset z\n\nevent e\nevent f\n",
    ),
    "blocks stand apart, indented by two": (
        ("event e\nflow f start on e send \"a\" wait 2 days if x > 1 send \"b\" else if y"
        " untag \"c\" end end end\ntest \"t\" at 2024-01-10 e expect sent \"a\" end\nevent g\n"),
        ('event e\n\nflow f\n  start on e\n  send "a"\n  wait 2 days\n  if x > 1\n    send "b"\n'
        '  else\n    if y\n      untag "c"\n    end\n  end\nend\n\ntest "t"\n'
        '  at 2024-01-10 e\n  expect sent "a"\nend\n\nevent g\n'),
    ),
    "flow triggers first, one step per line": (
        'flow f\n  send "a" with k = 1, j = "x", tag "t"\n  stop on buy\n  start on visit where u matches "*"\nend\n',
        ('flow f\n  stop on buy\n  start on visit where u matches "*"\n  send "a" with k = 1, j = "x"\n'
        '  tag "t"\nend\n'),
    ),
    "tests": (
        ('test "t"\nlead(c: "ES", n: -3)\nat 2024-01-10T09:30 e(a: 1.5, b: false)\n'
        'at 2024-02-01T00:00:00Z expect s == 0\nexpect not notified "x"\nend\n'),
        ('test "t"\n  lead(c: "ES", n: -3)\n  at 2024-01-10T09:30 e(a: 1.5, b: false)\n'
        '  at 2024-02-01T00:00:00Z expect s == 0\n  expect not notified "x"\nend\n'),
    ),
    "a long send stays on one line": (
        ('flow f\n  send "offer" with a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8,\n'
         '    i = 9, j = 10, k = 11, l = 12, m = 13\nend\n'),
        ('flow f\n  send "offer" with a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8,'
         ' i = 9, j = 10, k = 11, l = 12, m = 13\nend\n'),
    ),
    "a rule past 100 columns breaks at its clauses": (
        ('rule long: on page_view where url matches "*/deporte*" count > 3 when lead.country == "ES"'
        ' tag "deporte", send "best_sellers" once per 30 days\n'),
        ('rule long: on page_view where url matches "*/deporte*" count > 3\n'
        '  when lead.country == "ES"\n  tag "deporte", send "best_sellers"\n  once per 30 days\n'),
    ),
    "empty file": ("\n\n   \n", ""),
}


@pytest.mark.parametrize("source, expected", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_layout(source, expected):
    assert fmt(source) == expected
    assert_stable(source, expected)


@pytest.mark.parametrize("value, text", [
    (15, "15"), (0, "0"), (99.95, "99.95"), (3.0, "3.0"), (-5, "-5"), (-2.5, "-2.5"),
    (1e-05, "0.00001"), (1e16, "10000000000000000.0"), (-0.0, "0.0"),
    (1e28, "9999999999999999583119736832.0"),  # 30 characters: the most a number may have
])
def test_numbers_never_use_an_exponent(value, text):
    assert format_number(value) == text
    assert parse(f"score s min {text}").body[0].min == value


def test_a_number_that_has_no_literal_is_refused():
    with pytest.raises(ValueError):
        format_number(float("nan"))


@pytest.mark.parametrize("amount, unit, text", [
    (1, "day", "1 day"), (2, "day", "2 days"), (0, "month", "0 months"), (1, "year", "1 year"),
])
def test_durations(amount, unit, text):
    assert format_duration(ast.Duration(amount, unit)) == text


# -------------------------------------------------------------------- comments

COMMENTS = {
    "top and bottom of the file": (
        "# top\n\n# second\nruleset z\n\n\n# bottom\n# last\n",
        "# top\n\n# second\nruleset z\n\n# bottom\n# last\n",
    ),
    "end of line after a rule": (
        "rule a: on e add 1   # one point\nrule b: on e add 2#two\n",
        "rule a: on e add 1  # one point\nrule b: on e add 2  #two\n",
    ),
    "two statements on a line: the comment follows the second": (
        "event a event b # about b\n",
        "event a\nevent b  # about b\n",
    ),
    "between a rule's actions spread over lines": (
        "rule a: on e  # the trigger\n  add 1,  # points\n  tag \"t\"  # the tag\nevent f\n",
        "# the trigger\n# points\nrule a: on e add 1, tag \"t\"  # the tag\nevent f\n",
    ),
    "inside a flow, on its header, before end and after end": (
        "flow f # header\n  # before start\n  start on e\n\n  send \"a\" # sent\n  # before end\nend # after end\n",
        "flow f  # header\n  # before start\n  start on e\n\n  send \"a\"  # sent\n  # before end\nend  # after end\n",
    ),
    "in an if and its else": (
        ("flow f\n  if x # cond\n    # first\n    send \"a\"\n  else # other\n    wait 1 day\n"
        "    # tail\n  end # endif\nend\n"),
        ("flow f\n  if x  # cond\n    # first\n    send \"a\"\n  else\n    # other\n    wait 1 day\n"
        "    # tail\n  end  # endif\nend\n"),
    ),
    "inside a multi-line if condition": (
        "flow f\n  if x and # why\n     y\n    send \"a\"\n  end\nend\n",
        "flow f\n  # why\n  if x and y\n    send \"a\"\n  end\nend\n",
    ),
    "in a test block and an empty flow": (
        ("test \"t\" # header\n  at 2024-01-10 e # feed\n  # check\n  expect x == 1\nend\n"
        "flow g\n  # nothing yet\nend\n"),
        ("test \"t\"  # header\n  at 2024-01-10 e  # feed\n  # check\n  expect x == 1\nend\n\n"
        "flow g\n  # nothing yet\nend\n"),
    ),
    "a comment block before a flow keeps the blank line above it": (
        "event e\n# the flow\nflow f\nend\n# after\n",
        "event e\n\n# the flow\nflow f\nend\n\n# after\n",
    ),
    "comments with the same text are each kept": (
        "flow f\n  if x and # same\n     y\n    send \"a\"  # same\n  end\nend\n",
        "flow f\n  # same\n  if x and y\n    send \"a\"  # same\n  end\nend\n",
    ),
    "a comment only": ("  # alone  \n", "# alone\n"),
}


@pytest.mark.parametrize("source, expected", COMMENTS.values(), ids=COMMENTS.keys())
def test_comments_stay(source, expected):
    assert fmt(source) == expected
    assert_stable(source, expected)


def test_comments_of_a_trigger_written_after_the_steps_move_up_with_it():
    source = 'flow f\n  send "a"  # step\n  stop on e  # goal\nend\n'
    expected = 'flow f\n  stop on e  # goal\n  send "a"  # step\nend\n'
    assert fmt(source) == expected
    assert parse(expected) == parse(source)


def test_crlf_line_endings_become_lf():
    assert fmt("ruleset z # c\r\n\r\n\r\nevent e\r\n") == "ruleset z  # c\n\nevent e\n"


# ------------------------------------------------------------------------ CLI

UGLY = "ruleset  z\nrule a:on e add 1 # c\n"
PRETTY = "ruleset z\nrule a: on e add 1  # c\n"


def run(*args: str):
    return CliRunner().invoke(cli, ["fmt", *args])


def test_fmt_rewrites_files_in_place(tmp_path):
    path = tmp_path / "r.leadflow"
    path.write_text(UGLY, "utf-8")
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text("utf-8") == PRETTY
    assert f"reformatted {path}" in result.stderr


def test_fmt_leaves_a_formatted_file_untouched(tmp_path):
    path = tmp_path / "r.leadflow"
    path.write_text(PRETTY, "utf-8")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # a fixed, old modification time
    result = run(str(path))
    assert result.exit_code == 0
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert result.stderr == ""


def test_fmt_check_changes_nothing_and_lists_what_would_change(tmp_path):
    ugly, pretty = tmp_path / "ugly.leadflow", tmp_path / "pretty.leadflow"
    ugly.write_text(UGLY, "utf-8")
    pretty.write_text(PRETTY, "utf-8")
    result = run("--check", str(ugly), str(pretty))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"would reformat {ugly}"
    assert ugly.read_text("utf-8") == UGLY
    assert run("--check", str(pretty)).exit_code == 0


def test_fmt_reports_a_syntax_error_and_still_formats_the_others(tmp_path):
    broken, ugly = tmp_path / "broken.leadflow", tmp_path / "ugly.leadflow"
    broken.write_text("event e\nrule a: on e add\n", "utf-8")
    ugly.write_text(UGLY, "utf-8")
    result = run(str(broken), str(ugly))
    assert result.exit_code == 1
    assert f"{broken}:2:" in result.stderr and "error:" in result.stderr
    assert "rule a: on e add" in result.stderr  # the source line is shown
    assert broken.read_text("utf-8") == "event e\nrule a: on e add\n"
    assert ugly.read_text("utf-8") == PRETTY


def test_fmt_formats_a_file_with_semantic_errors(tmp_path):
    path = tmp_path / "r.leadflow"
    path.write_text("rule a:on undeclared_event add   1\n", "utf-8")
    assert run(str(path)).exit_code == 0
    assert path.read_text("utf-8") == "rule a: on undeclared_event add 1\n"


def test_fmt_reports_a_missing_file(tmp_path):
    result = run(str(tmp_path / "nope.leadflow"))
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_fmt_usage_errors_exit_2(tmp_path):
    assert run().exit_code == 2
    assert run("--check").exit_code == 2
    assert run(str(tmp_path)).exit_code == 2  # a directory
    assert run("--frobnicate", "x.leadflow").exit_code == 2


def test_fmt_refuses_to_write_text_that_would_change_the_rules(tmp_path, monkeypatch):
    path = tmp_path / "r.leadflow"
    path.write_text(UGLY, "utf-8")
    monkeypatch.setattr(fmt_command, "format_module", lambda module: "ruleset z\n")
    result = run(str(path))
    assert result.exit_code == 1
    assert "internal error" in result.stderr
    assert path.read_text("utf-8") == UGLY
