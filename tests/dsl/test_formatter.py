"""The formatter (`format_module`) and `leadflow fmt`.

Properties over generated trees (tests/dsl/ast_strategies.py): the formatted
text parses back to the same tree, formatting is idempotent, and rule labels and
trailing comments are aligned (checked by `assert_aligned`, written apart from
the formatter). Then the examples, specific layouts, alignment, comments in odd
places, SPEC section 1, and the command line.
"""

from __future__ import annotations

import dataclasses
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
from leadflow.dsl.format_align import display_width
from leadflow.dsl.format_expr import format_duration, format_number
from leadflow.dsl.formatter import format_module
from leadflow.dsl.parser import parse

try:  # tests/dsl is a plain folder today; keep working if it becomes a package
    from ast_strategies import NAMES, _readable_order, declarations, exprs, modules, names, rules
except ImportError:  # pragma: no cover
    from tests.dsl.ast_strategies import (
        NAMES,
        _readable_order,
        declarations,
        exprs,
        modules,
        names,
        rules,
    )

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.leadflow"))


def fmt(text: str) -> str:
    return format_module(parse(text, "t.leadflow"))


def comment_texts(text: str) -> list[str]:
    return [c.text for c in parse(text, "t.leadflow").comments]


def assert_stable(source: str, formatted: str) -> None:
    """Same tree, same comments in the same order, a fixed point, and aligned."""
    assert parse(formatted, "t.leadflow") == parse(source, "t.leadflow")
    assert comment_texts(formatted) == comment_texts(source)
    assert fmt(formatted) == formatted
    assert_aligned(formatted)


LABEL = re.compile(r"rule [A-Za-z_][A-Za-z0-9_]*:")


def assert_aligned(text: str) -> None:
    """The alignment rules of docs/formatting.md, checked on formatted text.

    Rule labels: in a run of `rule NAME:` lines (a rule's indented continuation
    lines do not end it), every body starts one space past the longest label; a
    lone labelled rule has one space. Trailing comments (found by the parser):
    on consecutive lines at one indentation, every `#` stands two spaces past the
    longest code.
    """
    lines = text.split("\n")
    runs, run = [], []
    for line in [*lines, ""]:
        label = LABEL.match(line)
        if label:
            body = line[label.end():]
            head = display_width(line[:label.end()])
            run.append((head, head + len(body) - len(body.lstrip(" "))))
        elif not (run and line.startswith("  ")):
            runs.append(run)
            run = []
    for run in filter(None, runs):
        widest = max(end for end, _ in run)
        assert {start for _, start in run} == {widest + 1}, f"labels not aligned: {run}"

    codes = {c.span.line: lines[c.span.line - 1][: c.span.column - 1]
             for c in parse(text).comments}
    trailing = {number: code for number, code in codes.items() if code.strip()}

    def continues_run(number: int) -> bool:  # line `number` carries on the run of the line above
        above, here = trailing.get(number - 1), trailing.get(number)
        return above is not None and here is not None and indentation(above) == indentation(here)

    for first in sorted(n for n in trailing if not continues_run(n)):
        run = [first]
        while continues_run(run[-1] + 1):
            run.append(run[-1] + 1)
        column = max(display_width(trailing[n].rstrip()) for n in run) + 2
        assert all(display_width(trailing[n]) == column for n in run), \
            f"comments not aligned on lines {run}: {[trailing[n] for n in run]}"


def indentation(code: str) -> int:
    return len(code) - len(code.lstrip(" "))


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


labelled_rules = st.builds(lambda rule, name: dataclasses.replace(rule, name=name), rules, names)


def modules_with_rule_runs() -> st.SearchStrategy:
    """Files where runs of labelled rules (of names of different lengths) are common."""
    chunks = st.lists(declarations.map(lambda d: [d]) | st.lists(labelled_rules, min_size=2, max_size=4),
                      max_size=4)
    return chunks.map(lambda chunks: ast.Module(
        "<generated>", _readable_order([decl for chunk in chunks for decl in chunk])))


@st.composite
def commented_texts(draw) -> str:
    """Formatted text of a generated module, re-spaced, with comments added.

    Trailing comments come in runs of consecutive lines, each after any number
    of spaces; now and then a comment on its own line. The space after each
    `rule NAME:` is redrawn, so the formatter must align from any source layout.
    """
    lines = format_module(draw(modules() | modules_with_rule_runs())).split("\n")[:-1]
    commented: list[bool] = []
    while len(commented) < len(lines):
        commented += [draw(st.booleans())] * draw(st.integers(1, 5))
    out = []
    for number, (line, trailing) in enumerate(zip(lines, commented)):
        if draw(st.integers(0, 3)) == 3:
            out.append(f"# above {number}")
        label = LABEL.match(line)
        if label:
            line = line[: label.end()] + " " * draw(st.integers(1, 9)) + line[label.end():].lstrip(" ")
        if line and trailing:
            line += " " * draw(st.integers(1, 9)) + f"# after {number}"
        out.append(line)
    if draw(st.booleans()):
        out.append("# the end")
    return "\n".join(out) + "\n"


@given(commented_texts())
def test_comments_anywhere_survive_and_formatting_stays_idempotent(source):
    formatted = fmt(source)
    assert parse(formatted) == parse(source)
    assert comment_texts(formatted) == comment_texts(source)
    assert fmt(formatted) == formatted
    assert_aligned(formatted)


@given(modules_with_rule_runs())
def test_runs_of_labelled_rules_parse_back_and_stay_aligned(module):
    text = format_module(module)
    assert parse(text, module.path) == module
    assert format_module(parse(text, module.path)) == text
    assert_aligned(text)


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
    "actions past 100 columns go one per line, commas at line ends": (
        ('rule handoff: on enter_sql notify "sales" with fit = fit, engagement = engagement,'
         ' title = lead.job_title, employees = lead.company_size, stop recycle, tag "handed" once\n'),
        ('rule handoff: on enter_sql\n'
         '  notify "sales" with fit = fit, engagement = engagement, title = lead.job_title,'
         ' employees = lead.company_size,\n  stop recycle,\n  tag "handed"\n  once\n'),
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
    expected = 'flow f\n  stop on e  # goal\n  send "a"   # step\nend\n'
    assert fmt(source) == expected
    assert parse(expected) == parse(source)


def test_crlf_line_endings_become_lf():
    assert fmt("ruleset z # c\r\n\r\n\r\nevent e\r\n") == "ruleset z  # c\n\nevent e\n"


# ------------------------------------------------------------------- alignment

ALIGNMENT = {
    "a run of labelled rules": (
        ("rule open: on email_open add 1\nrule click:   on email_click add 2\n"
         "rule frequent: on purchase count>=3 within 6 months add 15\n"),
        ("rule open:     on email_open add 1\nrule click:    on email_click add 2\n"
         "rule frequent: on purchase count >= 3 within 6 months add 15\n"),
    ),
    "a single labelled rule is not padded": (
        "rule open:      on email_open add 1\n",
        "rule open: on email_open add 1\n",
    ),
    "a blank line breaks a run of labels": (
        "rule a: on e add 1\nrule bb: on e add 2\n\nrule ccc: on e add 3\nrule d: on e add 4\n",
        "rule a:  on e add 1\nrule bb: on e add 2\n\nrule ccc: on e add 3\nrule d:   on e add 4\n",
    ),
    "a comment line breaks a run of labels": (
        "rule a: on e add 1\nrule bb: on e add 2\n# why\nrule ccc:  on e add 3\n",
        "rule a:  on e add 1\nrule bb: on e add 2\n# why\nrule ccc: on e add 3\n",
    ),
    "an unlabelled rule breaks a run of labels": (
        "rule a: on e add 1\nrule bb: on e add 2\non e add 5\nrule ccc: on e add 3\nrule d: on e add 4\n",
        "rule a:  on e add 1\nrule bb: on e add 2\non e add 5\nrule ccc: on e add 3\nrule d:   on e add 4\n",
    ),
    "another statement breaks a run of labels": (
        "rule a: on e add 1\nrule bb: on e add 2\nevent e\nrule ccc:    on e add 3\n",
        "rule a:  on e add 1\nrule bb: on e add 2\nevent e\nrule ccc: on e add 3\n",
    ),
    "a rule broken at its clauses takes part in its run": (
        ('rule a: on e add 1\nrule long: on page_view where url matches "*/deporte*" count > 3'
         ' when lead.country == "ES" tag "deporte", send "best_sellers" once per 30 days\n'
         "rule bb: on e add 2\n"),
        ('rule a:    on e add 1\nrule long: on page_view where url matches "*/deporte*" count > 3\n'
         '  when lead.country == "ES"\n  tag "deporte", send "best_sellers"\n  once per 30 days\n'
         "rule bb:   on e add 2\n"),
    ),
    "labels first, then the comments after them": (
        "rule a: on e add 1 # one\nrule bb: on e add 22 # two\n",
        "rule a:  on e add 1   # one\nrule bb: on e add 22  # two\n",
    ),
    "a run of trailing comments": (
        ("event search(query: text)                # a visit to /busqueda\n"
         "event registration # the lead-capture form\n"),
        ("event search(query: text)  # a visit to /busqueda\n"
         "event registration         # the lead-capture form\n"),
    ),
    "a line without a comment breaks a run of comments": (
        "event a # 1\nevent bbbb # 2\nevent c\nevent d # 3\nevent eeeeeee # 4\n",
        "event a     # 1\nevent bbbb  # 2\nevent c\nevent d        # 3\nevent eeeeeee  # 4\n",
    ),
    "a blank line or a comment line breaks a run of comments": (
        "event a # 1\n\nevent bbbb # 2\n# on its own line\nevent c # 3\n",
        "event a  # 1\n\nevent bbbb  # 2\n# on its own line\nevent c  # 3\n",
    ),
    "comments in a flow align at each indentation": (
        ('flow f # header\n  start on e # start\n  send "a" # a\n  if x > 1 # cond\n'
         '    send "bb" # b\n    wait 1 day # w\n  end # endif\n  wait 2 days # later\nend # done\n'),
        ('flow f  # header\n  start on e  # start\n  send "a"    # a\n  if x > 1    # cond\n'
         '    send "bb"   # b\n    wait 1 day  # w\n  end          # endif\n  wait 2 days  # later\n'
         "end  # done\n"),
    ),
    "comments in a test block align": (
        ('test "t"\n  at 2024-01-10 purchase(amount: 150) # 10\n  at 2024-01-11 email_open # 11\n'
         "  expect engagement == 11 # total\nend\n"),
        ('test "t"\n  at 2024-01-10 purchase(amount: 150)  # 10\n'
         "  at 2024-01-11 email_open             # 11\n"
         "  expect engagement == 11              # total\nend\n"),
    ),
}


@pytest.mark.parametrize("source, expected", ALIGNMENT.values(), ids=ALIGNMENT.keys())
def test_alignment(source, expected):
    assert fmt(source) == expected
    assert_stable(source, expected)


def test_alignment_padding_does_not_count_towards_the_line_length():
    # 100 characters: the longest rule that stays on one line.
    rule = 'rule a: on page_view where url matches "' + "x" * 53 + '" add 1'
    assert len(rule) == 100
    formatted = fmt(f"{rule}\nrule a_much_longer_label: on e add 1\n")
    first, second, end = formatted.split("\n")
    assert len(first) == 100 + len("_much_longer_label") and first.endswith(" add 1")
    assert second == "rule a_much_longer_label: on e add 1" and end == ""


# SPEC section 1, verbatim: the canonical example.
SPEC_EXAMPLE = '''\
# examples/zapateria.leadflow — an online shoe shop
ruleset zapateria
timezone "Europe/Madrid"

event email_open
event email_click(campaign: text)
event page_view(url: text)
event search(query: text)
event registration
event purchase(amount: number, category: text)

lead(country: text, industry: text)

score engagement min 0
stage visitor
stage mql when engagement >= 20
stage sql when engagement >= 60 and count(purchase) >= 1

rule open:      on email_open add 1
rule click:     on email_click add 2
rule big:       on purchase where amount > 100 add 10
rule huge:      on purchase where amount > 300 add 50
rule frequent:  on purchase count>=3 within 6 months add 15
rule loyal_offer: on purchase count == 3 within 6 months send "offer" with category = category
rule heels:     on page_view where url matches "*/tacon*" count > 3 tag "vestir"
rule cooling:   every 30 days without activity subtract 5
rule handoff:   on enter sql notify "sales"
rule recycle:   on exit sql send "nurture_restart"

flow cart_recovery
  start on page_view where url matches "*/mi_cesta*"
  stop on page_view where url matches "*/gracias*"
  stop on purchase
  send "cart_items"
  wait 2 days
  send "data_kept_notice"
  wait 3 days
  send "can_we_help"
  wait 25 days
  send "coupon" with code = "VUELVE10"
end

test "third purchase within six months earns the bonus and the offer"
  at 2024-01-10 purchase(amount: 50, category: "botas")
  at 2024-03-01 purchase(amount: 20, category: "deporte")
  expect engagement == 0
  at 2024-05-20 purchase(amount: 80, category: "boda")
  expect engagement == 15
  expect sent "offer"
end
'''

# The SPEC lines up nine rule bodies at column 17 and lets `rule loyal_offer:`
# overrun it; the formatter lines all ten up one space past the longest label.
SPEC_RULES_FORMATTED = '''\
rule open:        on email_open add 1
rule click:       on email_click add 2
rule big:         on purchase where amount > 100 add 10
rule huge:        on purchase where amount > 300 add 50
rule frequent:    on purchase count >= 3 within 6 months add 15
rule loyal_offer: on purchase count == 3 within 6 months send "offer" with category = category
rule heels:       on page_view where url matches "*/tacon*" count > 3 tag "vestir"
rule cooling:     every 30 days without activity subtract 5
rule handoff:     on enter sql notify "sales"
rule recycle:     on exit sql send "nurture_restart"
'''


def test_spec_section_1_changes_only_its_rule_column_and_count_spacing():
    formatted = fmt(SPEC_EXAMPLE)
    spec_rules = "".join(line + "\n" for line in SPEC_EXAMPLE.split("\n") if line.startswith("rule "))
    assert formatted == SPEC_EXAMPLE.replace(spec_rules, SPEC_RULES_FORMATTED)
    assert_stable(SPEC_EXAMPLE, formatted)
    # Exactly what changed: the space after nine labels, and `count>=3`.
    before, after = SPEC_EXAMPLE.split("\n"), formatted.split("\n")
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after) if old != new]
    assert [new.split(":")[0] for _, new in changed] == [
        f"rule {name}" for name in
        ("open", "click", "big", "huge", "frequent", "heels", "cooling", "handoff", "recycle")]
    for old, new in changed:
        body = new[new.index(":") + 1:]
        assert len(new) - len(body.lstrip(" ")) == len("rule loyal_offer: ")  # the body's column
        assert old.replace("count>=3", "count >= 3").split() == new.split()


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
    assert result.exit_code == 2  # a usage error, as for every command (docs/cli.md)
    assert "no such file" in result.stderr


def test_fmt_usage_errors_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no path means here, where there is no .leadflow file
    assert run().exit_code == 2
    assert run("--check").exit_code == 2
    assert run(str(tmp_path)).exit_code == 2  # a directory without rule files
    assert run("--frobnicate", "x.leadflow").exit_code == 2


def test_fmt_refuses_to_write_text_that_would_change_the_rules(tmp_path, monkeypatch):
    path = tmp_path / "r.leadflow"
    path.write_text(UGLY, "utf-8")
    monkeypatch.setattr(fmt_command, "format_module", lambda module: "ruleset z\n")
    result = run(str(path))
    assert result.exit_code == 1
    assert "internal error" in result.stderr
    assert path.read_text("utf-8") == UGLY
