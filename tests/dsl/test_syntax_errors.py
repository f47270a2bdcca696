"""Friendly syntax errors: the message, the caret position and the hint of each common mistake.

The golden files (test_golden_diagnostics.py) pin the full rendered text of
realistic files; these tests pin the parts one by one on minimal inputs.
"""

from __future__ import annotations

import textwrap

import pytest

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, LeadflowError, error
from leadflow.dsl.parser import MAX_DEPTH, parse


def diagnose(text: str) -> Diagnostic:
    """The one diagnostic that parsing `text` gives."""
    with pytest.raises(LeadflowError) as caught:
        parse(textwrap.dedent(text), "t.leadflow")
    (found,) = caught.value.diagnostics
    return found


def where(d: Diagnostic) -> tuple[int, int]:
    return d.span.line, d.span.column


# Each case: source, the message, the (line, column) of the caret, and a piece of the hint
# (None: no hint).
CASES = {
    "rule-without-action-at-end": (
        "on purchase where amount > 100",
        "expected an action such as `add 5` after the condition, found the end of the file",
        (1, 31), "add N, subtract N"),
    "rule-without-action-then-next-rule": (
        "on purchase where amount > 100\non email_open add 1",
        "expected an action such as `add 5` after the condition, found `on` on line 2",
        (1, 31), "tag \"t\""),
    "trigger-without-action": (
        "on enter sql",
        "expected an action such as `add 5` after `on enter sql`, found the end of the file",
        (1, 13), "notify"),
    "missing-unit": (
        "on purchase count >= 3 within 6 add 1",
        "expected a unit of time after `6`, found `add`", (1, 33), "`6 months`"),
    "missing-unit-at-end-of-line": (
        "flow f\n start on x\n wait 2\n send \"x\"\nend",
        "expected a unit of time after `2`, found `send` on line 4", (3, 8), "units:"),
    "unknown-unit": (
        "on purchase count >= 3 within 6 mnths add 1",
        "`mnths` is not a unit of time", (1, 33), "did you mean `months`?"),
    "unknown-unit-in-a-value": (
        "on purchase where since(purchase) > 30 dais add 1",
        "`dais` is not a unit of time", (1, 40), "did you mean `days`?"),
    "reserved-word-as-event": (
        "event count", "`count` is a reserved word and cannot be used as an event name",
        (1, 7), "`count_`"),
    "reserved-word-as-field": (
        "event purchase(amount: number, min: int)",
        "`min` is a reserved word and cannot be used as a field name", (1, 32), "`min_`"),
    "reserved-word-as-rule-name": (
        "rule stage: on x add 1",
        "`stage` is a reserved word and cannot be used as a rule name", (1, 6), "`stage_`"),
    "unclosed-string": (
        'on x tag "vip', "this string is not closed", (1, 10), "same line"),
    "single-quotes": (
        "on x tag 'vip'", "strings use double quotes, not single quotes", (1, 10), 'write "vip"'),
    "typographic-quotes": (
        "on x tag \u201cvip\u201d", "`\u201c` is a typographic quote", (1, 10), "plain double quote"),
    "and-and": ("on x where a && b add 1", "`&&` is not an operator in leadflow", (1, 14),
                "write `and`"),
    "or-or": ("on x where a || b add 1", "`||` is not an operator in leadflow", (1, 14),
              "write `or`"),
    "single-ampersand": ("on x where a & b add 1", "`&` is not an operator in leadflow", (1, 14),
                         "write `and`"),
    "bang": ("on x where !a add 1", "`!` is not an operator in leadflow", (1, 12), "`not`"),
    "flow-without-end": (
        "flow f\n  start on x\n  send \"a\"\n",
        "expected `end` to close the flow `f` from line 1, found the end of the file",
        (3, 11), "its own `end`"),
    "test-without-end-before-next-test": (
        'test "one"\n  expect a == 1\ntest "two"\nend',
        'expected `end` to close the test "one" from line 1, found `test`', (3, 1), "own `end`"),
    "if-without-end": (
        "flow f\n  start on x\n  if a > 1\n    send \"a\"\n  end\nrule r: on x add 1",
        "expected `end` to close the flow `f` from line 1, found `rule`", (6, 1),
        "the `if` on line 3 took the `end` on line 5"),
    "if-without-end-inside-a-test-file": (
        "flow f\n  start on x\n  if a > 1\n    send \"a\"\n",
        "expected `end` to close the `if` from line 3, found the end of the file", (4, 13),
        "own `end`"),
    "rule-name-without-colon": (
        "rule big on purchase add 1", "expected `:` after the rule name `big`, found `on`",
        (1, 10), "write `rule big: on ...`"),
    "rule-without-name": (
        "rule on purchase add 1", "`rule` must be followed by a name and `:`", (1, 1),
        "leave the label out"),
    "label-without-on": (
        "rule big: purchase add 1",
        "expected `on`, `when`, `every` or `while` after `rule big:`, found the name `purchase`",
        (1, 11), "did you mean `on purchase`?"),
    "assignment-in-condition": (
        "on x where amount = 5 add 1", "`=` sets a value; to compare, write `==`", (1, 19),
        "`amount == 100`"),
    "arrow-for-greater-or-equal": (
        "on x where amount => 5 add 1", "`=>` is not an operator", (1, 19), "write `>=`"),
    "not-equal-as-angle-brackets": (
        "on x where amount <> 5 add 1", "`<>` is not an operator", (1, 19), "!="),
    "stray-word-at-top-level": (
        "evnt purchase", "expected a declaration, rule, flow or test, found the name `evnt`",
        (1, 1), "did you mean `event`?"),
    "label-without-rule-keyword": (
        "big: on purchase add 1",
        "expected a declaration, rule, flow or test, found the name `big`", (1, 1),
        "write `rule big: ...`"),
    "action-at-top-level": (
        "add 5", "`add` is an action, but no rule is open", (1, 1), "`on EVENT add ...`"),
    "wait-outside-flow": ("wait 2 days", "`wait` is only allowed inside a flow", (1, 1), "flow"),
    "expect-outside-test": ("expect a == 1", "`expect` is only allowed inside a test", (1, 1),
                            "test"),
    "stray-end": ("end", "`end` closes nothing here", (1, 1), "an `end` too many"),
    "missing-comma": (
        'on x add 1 tag "t"', "expected `,` before `tag` to add another action", (1, 12),
        "commas"),
    "action-after-modifier": (
        'on x add 1 once tag "t"', "`tag` cannot follow the rule's modifiers", (1, 17),
        "every action first"),
    "junk-after-rule": (
        "on x add 1 2", "expected a new statement after the rule, found the number `2`", (1, 12),
        "starts with a keyword"),
    "missing-where": (
        "on purchase amount > 100 add 1", "a condition on the event starts with `where`",
        (1, 13), "`on purchase where amount > ...`"),
    "misspelt-action": (
        "on x where a > 1 ad 5", "expected an action such as `add 5`, found the name `ad`",
        (1, 18), "did you mean `add`?"),
    "bad-time-literal": (
        'test "t"\n  at 2024-13 x\nend', "`2024-13` is not a time", (2, 6), "2024-01-10T09:30"),
    "time-with-slashes": (
        'test "t"\n  at 2024/01/10 x\nend', "`2024/01/10` is not a time", (2, 6), "offset"),
    "time-with-a-bad-offset": (
        'test "t"\n  at 2024-01-10T09:30+2:00 x\nend', "`2024-01-10T09:30+2:00` is not a time",
        (2, 6), "`2024-01-10T09:30+02:00`"),
    "test-step-without-event": (
        'test "t"\n  at 2024-01-10\nend',
        "expected an event or `expect` after `at 2024-01-10`, found `end` on line 3", (2, 16),
        "`at 2024-01-10 purchase(amount: 50)`"),
    "declaration-cut-short-before-next-line": (
        "event\nrule x: on y add 1", "expected a name after `event`, found `rule` on line 2",
        (1, 6), None),
    "time-with-a-space": (
        'test "t"\n  at 2024-01-10 09:30 x\nend', "a date and a time of day are joined with `T`",
        (2, 6), "write `2024-01-10T09:30`"),
    "time-with-one-digit-hour": (
        'test "t"\n  at 2024-01-10T9:30 x\nend', "`2024-01-10T9:30` is not a time", (2, 6),
        "2024-01-10T09:30"),
    "quiet-hours-one-digit": (
        "quiet hours 9:00 to 17:00", "`9:00` is not a time of day", (1, 13), "`08:00`"),
    "count-with-a-decimal": (
        "on purchase count >= 3.5 add 1", "a count of events is a whole number, not `3.5`",
        (1, 22), "`count >= 3.5` means `count >= 4`"),
    "count-greater-than-a-decimal": (
        "on purchase count > 3.5 add 1", "a count of events is a whole number, not `3.5`",
        (1, 21), "`count > 3.5` means `count > 3`"),
    "count-equal-to-a-decimal": (
        "on purchase count == 3.5 add 1", "a count of events is a whole number, not `3.5`",
        (1, 22), "can never hold"),
    "fractional-duration": (
        "on x add 1 once per 1.5 days", "a duration is a whole number of days, not `1.5`",
        (1, 21), "write `36 hours`"),
    "fractional-duration-of-months": (
        "on x add 1 once per 1.5 months", "a duration is a whole number of months, not `1.5`",
        (1, 21), "use a whole number"),
    "unclosed-paren": (
        "on x where (a > 1 add 1", "this `(` is never closed", (1, 12), "add `)` before `add`"),
    "unclosed-paren-at-end": (
        "stage s when (a > 1 and (b < 2)", "this `(` is never closed", (1, 14),
        "add the missing `)`"),
    "unclosed-event-fields": (
        'test "t"\n  at 2024-01-10 x(a: 1\nend', "this `(` is never closed", (2, 18),
        "before `end` on line 3"),
    "unclosed-list": (
        'on x where a in ["a" add 1', "this `[` is never closed", (1, 17), "add `]`"),
    "unmatched-close-paren": (
        "on x where a > 1) add 1", "this `)` has no matching `(`", (1, 17), "remove it"),
    "aggregate-without-parens": (
        "stage s when count > 1", "`count` needs parentheses, as in `count(purchase)`", (1, 14),
        "reserved word"),
    "condition-cut-short": (
        "stage s when a > 1 and", "expected a condition after `and`, found the end of the file",
        (1, 23), "for example"),
    "value-missing": (
        "stage s when a >", "expected a value after `>`, found the end of the file", (1, 17),
        "a number"),
    "keyword-as-a-value": (
        "stage s when a > event", "expected a value after `>`, found `event`", (1, 18),
        "reserved word"),
    "unquoted-string": (
        "timezone Europe/Madrid", "expected a string in double quotes, found the name `Europe`",
        (1, 10), 'write "Europe/Madrid"'),
    "while-with-another-action": (
        'while lead.x == 1 tag "t"',
        "a `while` rule needs `add N` or `subtract N` after its condition, found `tag`", (1, 19),
        "for example"),
    "bad-flow-step": (
        "flow f\n  start on x\n  5\nend",
        "expected a flow step (an action, `wait` or `if`) or `end`, found the number `5`", (3, 3),
        "actions:"),
    "bad-escape": (
        r'on x send "c:\\temp\q"', r"`\q` is not a valid escape in a string", (1, 20),
        r"write `\\` for a backslash"),
    "braces": ("flow f {", "`{` is not part of leadflow", (1, 8), "close with `end`"),
    "semicolon": ("on x add 1;", "`;` is not needed", (1, 11), "remove it"),
    "no-break-space": ("on x\u00a0add 1", "`U+00A0` (no-break space) is not ordinary white space",
                       (1, 5), "plain space"),
    "nul-character": ("on x add 1 \x00", "unexpected character U+0000", (1, 12), "plain text"),
}


@pytest.mark.parametrize("text, message, position, hint", CASES.values(), ids=CASES.keys())
def test_common_mistake(text, message, position, hint):
    found = diagnose(text)
    assert found.message == message
    assert where(found) == position
    if hint is None:
        assert found.hint is None
    else:
        assert found.hint is not None and hint in found.hint
    assert found.severity == "error"


@pytest.mark.parametrize("text, message, position, hint", CASES.values(), ids=CASES.keys())
def test_no_message_reads_unexpected_the(text, message, position, hint):
    assert "unexpected the" not in diagnose(text).message


def test_the_end_of_file_caret_sits_just_past_the_last_token():
    found = diagnose("on purchase where amount > 100   # why no action?\n\n\n")
    assert where(found) == (1, 31)
    assert (found.span.end_line, found.span.end_column) == (1, 32)
    rendered = found.render("on purchase where amount > 100   # why no action?\n\n\n")
    assert rendered.splitlines()[2] == "   |                               ^"


def test_a_caret_underlines_the_whole_unexpected_token():
    rendered = diagnose("event purchase(amount: number, count: int)").render(
        "event purchase(amount: number, count: int)")
    assert rendered.splitlines()[2].endswith("^^^^^")
    assert rendered.splitlines()[2].index("^") == rendered.splitlines()[1].index("count")


def test_every_message_has_position_source_line_caret_and_hint():
    text = "event purchase\non purchase where amount = 5 add 1\n"
    rendered = diagnose(text).render(text).splitlines()
    assert rendered[0] == "t.leadflow:2:26: error: `=` sets a value; to compare, write `==`"
    assert rendered[1] == " 2 | on purchase where amount = 5 add 1"
    assert rendered[2] == "   |                          ^"
    assert rendered[3].startswith("  hint: ")


def test_generic_fallback_names_what_was_expected_without_an_article_slip():
    found = diagnose("score engagement min")
    assert found.message == "expected `-` or a number, found the end of the file"


def test_nesting_deeper_than_the_limit_is_a_diagnostic():
    found = diagnose("stage s when " + "not " * (MAX_DEPTH + 5) + "a")
    assert found.message.startswith(f"too deeply nested: more than {MAX_DEPTH}")
    assert found.span.line == 1


def test_nesting_at_a_realistic_depth_is_fine():
    parse("stage s when " + "not " * 40 + "a", "t")
    parse("stage s when " + " + ".join(["a"] * 40) + " > 1", "t")


def test_a_number_with_absurdly_many_digits_is_a_diagnostic():
    assert diagnose("on x add " + "9" * 5000).message.startswith("this number has more than")


def test_a_lone_surrogate_escape_is_a_diagnostic():
    assert diagnose(r'on x tag "\ud800"').message == "this string holds half of a \\u surrogate pair"


def test_builder_errors_are_all_reported_at_once():
    with pytest.raises(LeadflowError) as caught:
        parse("on x count >= 1.5 add 1\non y add 1 once per 0.5 weeks\nsend limit 2.5 per 1 day", "t")
    assert [d.span.line for d in caught.value.diagnostics] == [1, 2, 3]


# ------------------------------------------------------------------ rendering


def render(text: str, line: int, column: int, end_column: int | None = None) -> list[str]:
    span = ast.Span("f", line, column, line, end_column or column + 1)
    return error("m", span).render(text).splitlines()


def test_only_newlines_end_lines_when_rendering():
    """The lexer counts only \\n as a line break; form feeds and \\r must not shift the excerpt."""
    text = "event a\x0c\nevent b\r\nevent \u2028c\n"
    assert render(text, 2, 7)[1] == " 2 | event b"
    assert render(text, 3, 1)[1] == " 3 | event ?c"


def test_tabs_and_control_characters_take_one_column():
    text = "on\tx add\x01 1"
    lines = render(text, 1, 11)
    assert lines[1] == " 1 | on x add? 1"
    assert lines[2].index("^") == lines[1].index("1", 5)


def test_long_lines_are_cut_around_the_caret():
    text = "x" * 5000 + " oops " + "y" * 5000
    lines = render(text, 1, 5002, 5006)
    assert len(lines[1]) < 130
    assert lines[1][lines[2].index("^"):].startswith("oops")


def test_wide_characters_keep_the_caret_aligned():
    lines = render('tag "\u6f22\u5b57" x', 1, 10)
    assert lines[2] == "   | " + " " * 11 + "^"


def test_a_span_past_the_last_line_renders_without_source():
    assert render("event a", 9, 1) == ["f:9:1: error: m"]


# ------------------------------------------- errors deep into a large file

MANY_RULES = "event purchase(amount: number)\n" + "".join(
    f"rule r{i}: on purchase where amount > {i} add 1\n" for i in range(2000))


@pytest.mark.parametrize("tail, message, column", [
    ("on purchase where amount > 100",
     "expected an action such as `add 5` after the condition, found the end of the file", 31),
    ("rule late on purchase add 1",
     "expected `:` after the rule name `late`, found `on`", 11),
    ("flow f\n  start on purchase\n  if amount > 1\n    tag \"x\"\n",
     "expected `end` to close the `if` from line 2004, found the end of the file", 12),
], ids=["missing-action", "missing-colon", "missing-end"])
def test_an_error_after_thousands_of_rules_reads_as_in_a_small_file(tail, message, column):
    found = diagnose(MANY_RULES + tail)
    assert found.message == message
    assert found.span.line == MANY_RULES.count("\n") + 1 + tail.rstrip("\n").count("\n")
    assert found.span.column == column


# ------------------------------------------------ several errors in one run


def diagnose_all(text: str) -> list[Diagnostic]:
    with pytest.raises(LeadflowError) as caught:
        parse(textwrap.dedent(text), "t.leadflow")
    return caught.value.diagnostics


def test_each_broken_declaration_is_reported_with_its_own_position():
    found = diagnose_all("""\
        event purchase(amount: number)
        on purchase where amount = 1 add 1
        on purchase add 1
        on purchase add 10 and tag "x"
        rule x: on purchase add 'y'
        on purchase add 2
        """)
    assert [where(d) for d in found] == [(2, 26), (4, 20), (5, 25)]
    assert "`==`" in found[0].message
    assert found[1].message == "`and` cannot join two actions"
    assert "double quotes" in found[2].message


def test_a_flow_missing_its_end_is_one_error_and_the_next_rule_is_read():
    found = diagnose_all("""\
        flow f
          start on x
          send "a"
        on x add 1 1
        """)
    assert [where(d) for d in found] == [(4, 1), (4, 12)]
    assert found[0].message.startswith("expected `end` to close the flow `f`")


def test_recovery_stops_after_the_limit():
    from leadflow.dsl.syntax_errors import MAX_SYNTAX_ERRORS

    found = diagnose_all("on x add\n" * (MAX_SYNTAX_ERRORS + 10))
    assert len(found) == MAX_SYNTAX_ERRORS
    assert [d.span.line for d in found] == list(range(1, MAX_SYNTAX_ERRORS + 1))


def test_an_error_in_the_last_declaration_is_reported_once():
    found = diagnose_all("on x add 1\non x add\n")
    assert [where(d) for d in found] == [(2, 9)]


TEXT_TESTS = {
    "like": ('on p where url like "%/tacon%" add 1', "`like`", 'url matches "*/tacon*"'),
    "ilike": ('on p where url ilike "X%" add 1', "`ilike`", 'lower(url) matches "x*"'),
    "endswith": ('on p where url endswith ".pdf" add 1', "`endswith`", 'url matches "*.pdf"'),
    "startswith": ('on p where url startswith "/a" add 1', "`startswith`",
                   'url starts with "/a"'),
    "in-aggregate": ('when count(p where url includes "a") > 1 add 1', "`includes`",
                     'url contains "a"'),
}


@pytest.mark.parametrize("text,word,suggestion", TEXT_TESTS.values(), ids=TEXT_TESTS.keys())
def test_string_tests_from_other_languages_suggest_leadflows_own(text, word, suggestion):
    found = diagnose(text)
    assert found.message == f"{word} is not an operator in leadflow"
    assert f"write `{suggestion}`" in found.hint


def test_a_word_joining_actions_asks_for_a_comma():
    found = diagnose('on p add 5 then send "x"')
    assert found.message == "`then` cannot join two actions"
    assert found.hint.endswith('`add 5, send "x"`')
    # `and` in a condition before the actions is not about actions
    assert "cannot join" not in diagnose('on p where a > 1 and tag "x"').message
