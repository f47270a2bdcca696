"""Turn Lark's parse failures into friendly diagnostics.

Two kinds of failure reach here:

- the lexer meets a character no token starts with (`'`, `&&`, an unclosed
  string): `_unexpected_character` names the usual intent;
- the parser meets a token it cannot take. Lark's LALR tables report what they
  expected only after reducing on the bad token, which loses context, so
  `_context_at` replays the parse up to the token and asks the parser, in the
  state just before it, which terminals it accepts and what it holds on its
  stack (the open `flow`, the unclosed `(`). The ordered recognisers in
  `syntax_hints` then pick a specific message and hint.
"""

from __future__ import annotations

import re
import unicodedata

import lark

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, error
from leadflow.dsl.syntax_hints import ErrorContext, describe_unexpected_token

# Enough to fix a file in one go; past this, later errors are mostly echoes of earlier ones.
MAX_SYNTAX_ERRORS = 20

# A line that starts a declaration: a statement keyword at the very start of the
# line. Bodies of flows and tests are indented (`leadflow fmt` writes them so),
# and their steps start with other words, so this is where parsing can resume.
_DECLARATION_LINE = re.compile(
    r"^(?:ruleset|timezone|tests|event|lead|score|stage|rule|on|when|every|while|quiet|flow|test"
    r"|send[ \t]+limit)\b", re.MULTILINE)


def describe_syntax_errors(exc: lark.exceptions.UnexpectedInput, text: str, path: str,
                           parser: lark.Lark) -> list[Diagnostic]:
    """A diagnostic for the first syntax error, then one for each later broken declaration.

    After each error the parse resumes at the next line that starts a
    declaration (see _DECLARATION_LINE), with everything before it blanked out
    (newlines kept) so that lines and columns stay those of the file. Each
    declaration is parsed on its own grammar state, so an error does not
    cascade into the declarations after it. At most MAX_SYNTAX_ERRORS.
    """
    found = [describe_syntax_error(exc, text, path, parser)]
    start = 0
    while len(found) < MAX_SYNTAX_ERRORS:
        resume = _resume_point(exc, text, start)
        if resume is None:
            break
        rest = re.sub(r"[^\n]", " ", text[:resume]) + text[resume:]
        try:
            parser.parse(rest)
        except lark.exceptions.UnexpectedInput as again:
            found.append(describe_syntax_error(again, rest, path, parser))
            exc, start = again, resume
            continue
        break
    return found


def _resume_point(exc: lark.exceptions.UnexpectedInput, text: str, start: int) -> int | None:
    """Where the next declaration after the error `exc` starts, past `start`; None at the end."""
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        if exc.token.type == "$END":
            return None
        position = exc.token.start_pos
    elif isinstance(exc, lark.exceptions.UnexpectedCharacters):
        position = exc.pos_in_stream
    else:
        return None
    line_start = text.rfind("\n", 0, position) + 1
    # The token the parser stopped at may itself start a declaration (the `rule`
    # after a flow that lacks its `end`): resume there, unless it is where this
    # attempt began, which would go round in circles.
    at = line_start if position == line_start and line_start > start else \
        text.find("\n", position) + 1
    if at <= 0:
        return None
    match = _DECLARATION_LINE.search(text, at)
    return match.start() if match else None


def describe_syntax_error(exc: lark.exceptions.UnexpectedInput, text: str, path: str,
                          parser: lark.Lark) -> Diagnostic:
    """One diagnostic for a Lark parse failure in `text`, read from `path`."""
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        return _unexpected_character(exc.pos_in_stream, exc.line, exc.column, text, path)
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        start = _replay_start(exc)
        try:
            context = _context_at(exc.token, text, path, parser, start)
        except lark.exceptions.UnexpectedInput:  # the tail did not replay alone: take it all
            context = _context_at(exc.token, text, path, parser, 0)
        return describe_unexpected_token(context)
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return error("unexpected end of the file", ast.Span(path, line, column, line, column + 1))


def _replay_start(exc: lark.exceptions.UnexpectedToken) -> int:
    """Where to start replaying: the last declaration the parser had finished.

    Declarations are independent, so the parser reads the rest of the file the
    same way from there as from the top; replaying only the tail keeps the
    error path fast on a megabyte file with its mistake near the end.
    """
    interactive = getattr(exc, "interactive_parser", None)
    stack = interactive.parser_state.value_stack if interactive is not None else []
    if not stack or not isinstance(stack[0], lark.Tree) \
            or not str(stack[0].data).startswith("__start_star"):
        return 0
    finished = stack[0].children
    last = finished[-1] if finished else None
    meta = getattr(last, "meta", None)
    if meta is None or meta.empty:
        return 0
    return meta.start_pos


def _context_at(bad: lark.Token, text: str, path: str, parser: lark.Lark,
                start: int = 0) -> ErrorContext:
    """Replay the parse from `start` up to `bad`; capture the parser's state just before it."""
    interactive = parser.parse_interactive(text)
    previous = None
    for tok in interactive.lexer_thread.lex(interactive.parser_state):
        if tok.start_pos < start:
            continue
        if bad.type != "$END" and tok.start_pos == bad.start_pos:
            break
        interactive.feed_token(tok)
        previous = tok
    state = interactive.parser_state
    accepts = frozenset(interactive.accepts())
    if bad.type == "$END":
        bad = _end_token(previous)
    return ErrorContext(text, path, bad, accepts, tuple(state.value_stack), previous)


def _end_token(last: lark.Token | None) -> lark.Token:
    """The end of the file, placed just past the last token (not on it)."""
    tok = lark.Token("$END", "")
    if last is None:
        tok.line = tok.end_line = tok.column = 1
    else:
        tok.line = tok.end_line = last.end_line
        tok.column = last.end_column
    tok.end_column = tok.column + 1
    tok.start_pos = tok.end_pos = last.end_pos if last is not None else 0
    return tok


# ------------------------------------------------------------ lexical errors

_CURLY_QUOTES = "\u201c\u201d\u201e\u2018\u2019"


def _unexpected_character(pos: int, line: int, column: int, text: str, path: str) -> Diagnostic:
    char = text[pos] if 0 <= pos < len(text) else ""
    rest_of_line = text[pos:].split("\n", 1)[0]

    def span(width: int = 1) -> ast.Span:
        return ast.Span(path, line, column, line, column + max(width, 1))

    if char == '"':
        return error("this string is not closed", span(len(rest_of_line)),
                     'end it with `"` on the same line; a string cannot run onto the next line')
    if char == "'":
        closing = rest_of_line.find("'", 1)
        inner = rest_of_line[1:closing] if closing > 0 else rest_of_line[1:]
        width = closing + 1 if closing > 0 else 1
        return error("strings use double quotes, not single quotes", span(width),
                     f'write "{_short(inner, 30)}"')
    if char in _CURLY_QUOTES:
        return error(f"`{char}` is a typographic quote", span(),
                     'use the plain double quote `"` (the text was probably pasted from a '
                     'word processor)')
    if char in "&|":
        doubled = rest_of_line[:2] == char * 2
        word = "and" if char == "&" else "or"
        shown = char * 2 if doubled else char
        return error(f"`{shown}` is not an operator in leadflow", span(len(shown)),
                     f"write `{word}`")
    if char == "!":
        return error("`!` is not an operator in leadflow", span(),
                     "write `not` to negate a condition, or `!=` to test for a different value")
    if char in "{}":
        return error(f"`{char}` is not part of leadflow", span(),
                     "there are no braces: `flow`, `test` and `if` blocks close with `end`")
    if char == ";":
        return error("`;` is not needed", span(),
                     "remove it: each statement starts with its keyword, on any line")
    if char.isspace():  # tabs, spaces and newlines are white space; these are not
        name = unicodedata.name(char, "a space character")
        return error(f"`U+{ord(char):04X}` ({name.lower()}) is not ordinary white space", span(),
                     "replace it with a plain space")
    if char.isprintable():
        return error(f"unexpected character `{char}`", span(),
                     "names use letters, digits and `_`; text goes in double quotes")
    name = unicodedata.name(char, "") if char else ""
    described = f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "") if char else ""
    return error(f"unexpected character {described}".rstrip(), span(),
                 "leadflow files are plain text; remove it")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
