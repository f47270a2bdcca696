"""Turn Lark's parse failures into friendly diagnostics.

Lark reports what it expected as a set of terminal names; this module names
them the way a rule author would (`add 5`, a string, a duration) and recognises
the common situations (a rule with no action, a reserved word used as a name,
an unknown duration unit) to give a specific message and a hint.
"""

from __future__ import annotations

import lark

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, did_you_mean, error

ACTION_STARTS = {"ADD", "SUBTRACT", "SET", "TAG", "UNTAG", "SEND", "NOTIFY", "START", "STOP"}
UNIT_WORDS = ("minutes", "hours", "days", "weeks", "months", "years")
UNIT_TERMINALS = {w.upper() for w in UNIT_WORDS} | {w[:-1].upper() for w in UNIT_WORDS}
DECLARATION_STARTS = {
    "RULESET", "TIMEZONE", "TESTS", "EVENT", "LEAD", "SCORE", "STAGE", "RULE", "ON",
    "WHEN", "EVERY", "WHILE", "SEND", "QUIET", "FLOW", "TEST",
}
EXPRESSION_STARTS = {"NUMBER", "STRING", "NAME", "LEAD", "STAGE", "TAGGED", "COUNT", "SINCE",
                     "LPAR", "MINUS", "NOT", "TRUE", "FALSE", "SUM", "MIN", "MAX", "AVG", "DISTINCT"}

_PUNCTUATION = {
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "COMMA": "`,`", "COLON": "`:`",
    "EQUAL": "`=`", "DOT": "`.`", "PERCENT": "`%`", "MINUS": "`-`", "PLUS": "`+`", "STAR": "`*`",
    "SLASH": "`/`", "CMP": "a comparison such as `>=`", "NAME": "a name", "NUMBER": "a number",
    "STRING": 'a string in double quotes', "TIME": "a time such as 2024-01-10",
    "CLOCK": "a time of day such as 22:00", "$END": "the end of the file",
}


def _describe_terminal(name: str) -> str:
    if name in _PUNCTUATION:
        return _PUNCTUATION[name]
    return f"`{name.lower()}`"


def _describe_token(tok: lark.Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    text = str(tok)
    if tok.type == "NAME":
        return f"the name `{text}`"
    if tok.type == "STRING":
        return f"the string {text}"
    if tok.type == "NUMBER":
        return f"the number `{text}`"
    return f"`{text}`"


def describe_syntax_error(exc: lark.exceptions.UnexpectedInput, text: str, path: str) -> Diagnostic:
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        return _unexpected_character(exc, text, path)
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        return _unexpected_token(exc.token, set(exc.expected), text, path)
    if isinstance(exc, lark.exceptions.UnexpectedEOF):
        eof = lark.Token("$END", "", end_pos=len(text))
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        eof.line, eof.column, eof.end_line, eof.end_column = line, column, line, column + 1
        return _unexpected_token(eof, set(exc.expected), text, path)
    return error("cannot read this file", ast.Span(path, 1, 1, 1, 2))


def _unexpected_character(exc: lark.exceptions.UnexpectedCharacters, text: str, path: str) -> Diagnostic:
    line, column = exc.line, exc.column
    span = ast.Span(path, line, column, line, column + 1)
    char = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else ""
    if char == '"':
        return error("this string is not closed", span, 'strings end with `"` on the same line')
    if char == "'":
        return error("strings use double quotes", span, 'write "text", not \'text\'')
    if char == "&" or char == "|":
        word = "and" if char == "&" else "or"
        return error(f"`{char}` is not an operator here", span, f"write `{word}`")
    if char == "!":
        return error("`!` is not an operator here", span, "write `not`, or `!=` for inequality")
    if char.isprintable() and not char.isspace():
        return error(f"unexpected character `{char}`", span)
    return error(f"unexpected character {char!r} (U+{ord(char):04X})" if char else "unexpected input",
                 span, "leadflow files are plain text")


def _unexpected_token(tok: lark.Token, expected: set[str], text: str, path: str) -> Diagnostic:
    span = ast.Span(path, tok.line, tok.column, tok.end_line or tok.line,
                    tok.end_column or tok.column + 1)
    found = _describe_token(tok)
    word = str(tok)

    # A reserved word where a name belongs.
    if "NAME" in expected and tok.type not in ("NAME", "$END") and word.isidentifier():
        return error(f"`{word}` is a reserved word and cannot be used as a name", span,
                     f"choose another name, such as `{word}_`")

    # A rule or flow step missing its action.
    if ACTION_STARTS <= expected | {"START", "STOP"} and "ADD" in expected and "NAME" not in expected:
        return error(f"expected an action such as `add 5` here, found {found}", span,
                     'actions: add N, subtract N, subtract N%, set lead.x = ..., tag "t", '
                     'untag "t", send "template", notify "team", start FLOW, stop FLOW')

    # A duration with a bad or missing unit.
    if UNIT_TERMINALS <= expected:
        hint = did_you_mean(word, UNIT_WORDS) if tok.type == "NAME" else None
        return error(f"expected a unit of time after the number, found {found}", span,
                     hint or "units: minutes, hours, days, weeks, months, years")

    # An expression that stops short.
    if EXPRESSION_STARTS <= expected:
        return error(f"expected a value or condition here, found {found}", span,
                     "for example `amount > 100`, `lead.country == \"ES\"` or `count(purchase) >= 3`")

    # Something left over where a new statement should start.
    if DECLARATION_STARTS & expected and len(expected & DECLARATION_STARTS) >= 8:
        hint = None
        if tok.type == "NAME":
            hint = did_you_mean(word, [k.lower() for k in DECLARATION_STARTS])
        return error(f"expected a declaration, rule, flow or test, found {found}", span,
                     hint or "every statement starts with a keyword such as `event`, `rule`, `on` or `flow`")

    wanted = sorted(_describe_terminal(t) for t in expected)
    if len(wanted) > 6:
        wanted = wanted[:6] + ["…"]
    return error(f"unexpected {found}", span, "expected " + ", ".join(wanted))
