"""Specific messages for the common syntax mistakes.

Each recogniser looks at an `ErrorContext` (the token the parser could not
take, the terminals it would have taken, and what it has read so far) and
returns a Diagnostic, or None when the situation is not its own. They are
tried in the order of RECOGNISERS; the first answer wins, so the specific ones
come before the general ones. `_fallback` names what was expected.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import lark

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, did_you_mean, error

UNIT_WORDS = tuple(u + s for u in ast.UNITS for s in ("", "s"))
UNIT_TERMINALS = frozenset(w.upper() for w in UNIT_WORDS)
ACTION_KEYWORDS = frozenset({"ADD", "SUBTRACT", "SET", "TAG", "UNTAG", "SEND", "NOTIFY",
                             "START", "STOP"})
MODIFIER_KEYWORDS = frozenset({"ONCE", "UP", "CAPPED", "EXPIRES"})
STATEMENT_KEYWORDS = frozenset({"RULESET", "TIMEZONE", "TESTS", "EVENT", "LEAD", "SCORE", "STAGE",
                                "RULE", "ON", "WHEN", "EVERY", "WHILE", "QUIET", "FLOW", "TEST"})
AGGREGATE_KEYWORDS = {"COUNT": "count(purchase)", "SUM": "sum(purchase.amount)",
                      "MIN": "min(purchase.amount)", "MAX": "max(purchase.amount)",
                      "AVG": "avg(purchase.amount)", "DISTINCT": "distinct(page_view.url)",
                      "SINCE": "since(purchase)"}
VALUE_STARTS = frozenset({"NUMBER", "STRING", "NAME", "LPAR"})
OPERATOR_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "MATCHES", "MISSING"})
CONDITION_OPENERS = frozenset({"WHERE", "WHEN", "AND", "OR", "NOT", "IF", "EXPECT", "WHILE"})
# Tokens that can go on inside an expression; anything else after an open `(`
# means the bracket was left open rather than the expression mistyped.
EXPRESSION_TOKENS = VALUE_STARTS | OPERATOR_KEYWORDS | UNIT_TERMINALS | frozenset(
    AGGREGATE_KEYWORDS) | frozenset({"RPAR", "LSQB", "RSQB", "COMMA", "DOT", "CMP", "EQUAL", "PLUS",
                                     "MINUS", "STAR", "SLASH", "TRUE", "FALSE", "LEAD", "STAGE",
                                     "TAGGED", "WHERE", "WITHIN", "TIME"})
ACTIONS_HINT = ('actions: add N, subtract N, subtract N%, set lead.x = ..., tag "t", untag "t", '
                'send "template", notify "team", start FLOW, stop FLOW')
UNITS_HINT = "units: minute(s), hour(s), day(s), week(s), month(s), year(s)"
TIME_FORMS = ("write a date `2024-01-10`, a local time `2024-01-10T09:30`, or a time with "
              "an offset: `2024-01-10T09:30:00Z`, `2024-01-10T09:30+02:00`")
_PUNCTUATION = {"LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]", "COMMA": ",", "COLON": ":",
                "EQUAL": "=", "DOT": ".", "PERCENT": "%", "MINUS": "-", "PLUS": "+", "STAR": "*",
                "SLASH": "/"}
_CLOSER = {"LPAR": ")", "LSQB": "]"}
_NON_BLANK = re.compile(r"\S*")


@dataclass(frozen=True)
class ErrorContext:
    """The parser's view at a syntax error."""

    text: str
    path: str
    token: lark.Token            # what the parser met; type "$END" just past the last token
    accepts: frozenset[str]      # every terminal the parser would have taken instead
    stack: tuple                 # what it has read and not yet reduced: Tokens and Trees
    previous: lark.Token | None  # the last token read before `token`

    @property
    def at_end(self) -> bool:
        return self.token.type == "$END"

    def top(self, depth: int = 1) -> str | None:
        """The terminal type of the stack item `depth` from the top (None for a tree or nothing)."""
        if len(self.stack) < depth:
            return None
        item = self.stack[-depth]
        return item.type if isinstance(item, lark.Token) else None

    def span(self, tok: lark.Token | None = None, width: int | None = None) -> ast.Span:
        tok = tok or self.token
        if width is None:
            same_line = tok.end_line == tok.line and tok.end_column and tok.end_column > tok.column
            width = tok.end_column - tok.column if same_line else 1
        return ast.Span(self.path, tok.line, tok.column, tok.line, tok.column + max(width, 1))

    def word_at(self, tok: lark.Token) -> str:
        """The run of non-blank characters starting at `tok` (a mistyped time is several tokens)."""
        return _NON_BLANK.match(self.text, tok.start_pos).group() or str(tok)

    def found(self) -> str:
        return describe_token(self.token)

    def on_later_line(self) -> bool:
        prev = self.previous
        return not self.at_end and prev is not None and self.token.line > prev.end_line

    def missing_span(self) -> ast.Span:
        """Where something is missing: at the token, or just past the line before it."""
        if self.on_later_line():
            prev = self.previous
            return ast.Span(self.path, prev.end_line, prev.end_column, prev.end_line,
                            prev.end_column + 1)
        return self.span()

    def found_where(self) -> str:
        """What was found, with its line when the caret is not on it."""
        line = f" on line {self.token.line}" if self.on_later_line() else ""
        return self.found() + line

    def innermost_open(self) -> lark.Token | None:
        """The last block keyword or bracket still waiting for its `end` or closer."""
        # A closer can sit on the stack next to its opener, not yet reduced
        # with it, so match them up rather than take the last opener seen.
        still_open: list[lark.Token] = []
        for item in self.stack:
            if not isinstance(item, lark.Token):
                continue
            if item.type in ("FLOW", "TEST", "IF", "LPAR", "LSQB"):
                still_open.append(item)
            elif item.type in ("END", "RPAR", "RSQB") and still_open:
                still_open.pop()
        return still_open[-1] if still_open else None

    def block_name(self, opener: lark.Token) -> str:
        """`the flow `cart``, `the test "name"` or `the `if``."""
        index = max(i for i, item in enumerate(self.stack) if item is opener)
        after = self.stack[index + 1] if index + 1 < len(self.stack) else None
        name = _short(str(after), 40) if isinstance(after, lark.Token) else None
        if opener.type == "FLOW":
            return f"the flow `{name}`" if name else "the flow"
        if opener.type == "TEST":
            return f"the test {name}" if name else "the test"
        return "the `if`"


def describe_unexpected_token(ctx: ErrorContext) -> Diagnostic:
    for recognise in RECOGNISERS:
        found = recognise(ctx)
        if found is not None:
            return found
    return _fallback(ctx)


def describe_token(tok: lark.Token, article: bool = True) -> str:
    """`the name `foo``, or without the article `name `foo`` (for "unexpected ...")."""
    the = "the " if article else ""
    if tok.type == "$END":
        return the + "end of the file"
    text = _short(str(tok), 30)
    kinds = {"NAME": "name `{}`", "STRING": "string {}", "NUMBER": "number `{}`",
             "TIME": "time `{}`", "CLOCK": "time of day `{}`"}
    if tok.type in kinds:
        return the + kinds[tok.type].format(text)
    return f"`{text}`"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -------------------------------------------------------------- recognisers


def _missing_end(ctx: ErrorContext) -> Diagnostic | None:
    opener = ctx.innermost_open()
    if opener is None or opener.type not in ("FLOW", "TEST", "IF") or "END" not in ctx.accepts:
        return None
    if not (ctx.at_end or ctx.token.type in STATEMENT_KEYWORDS):
        return None
    hint = "every `flow`, `test` and `if` block ends with its own `end`"
    inner_if = _last_closed_if(ctx, opener)
    if inner_if is not None:
        hint = f"the `if` on line {inner_if[0]} took the `end` on line {inner_if[1]}; " + hint
    return error(f"expected `end` to close {ctx.block_name(opener)} from line {opener.line}, "
                 f"found {ctx.found()}", ctx.span(), hint)


def _last_closed_if(ctx: ErrorContext, opener: lark.Token) -> tuple[int, int] | None:
    """Lines of the last complete `if` in the open block: its `end` may have been meant for the block.

    The `if` may already be one tree, or still be its tokens `if ... end` on the stack.
    """
    index = max(i for i, item in enumerate(ctx.stack) if item is opener)
    found = None
    open_ifs: list[lark.Token] = []
    for item in ctx.stack[index + 1:]:
        if isinstance(item, lark.Token):
            if item.type == "IF":
                open_ifs.append(item)
            elif item.type == "END" and open_ifs:
                found = (open_ifs.pop().line, item.line)
            continue
        # Steps already read sit in a helper tree, or alone right after the opener.
        for node in (item, *item.children):
            if isinstance(node, lark.Tree) and node.data == "if_step" and not node.meta.empty:
                found = (node.meta.line, node.meta.end_line)
    return found


def _unclosed_bracket(ctx: ErrorContext) -> Diagnostic | None:
    opener = ctx.innermost_open()
    if opener is None or opener.type not in _CLOSER:
        return None
    closer = _CLOSER[opener.type]
    if {")": "RPAR", "]": "RSQB"}[closer] not in ctx.accepts:
        return None
    tok = ctx.token
    if not (ctx.at_end or tok.type not in EXPRESSION_TOKENS or tok.line > opener.line):
        return None
    where = "" if tok.line == opener.line else f" on line {tok.line}"
    hint = (f"add the missing `{closer}`" if ctx.at_end
            else f"add `{closer}` before {ctx.found()}{where}")
    return error(f"this `{opener}` is never closed", ctx.span(opener), hint)


def _unmatched_closer(ctx: ErrorContext) -> Diagnostic | None:
    tok = ctx.token
    if tok.type not in ("RPAR", "RSQB") or tok.type in ctx.accepts:
        return None
    opener = ctx.innermost_open()
    if opener is not None and opener.type in _CLOSER:
        return None
    return error(f"this `{tok}` has no matching `{'(' if tok.type == 'RPAR' else '['}`",
                 ctx.span(), "remove it, or add the opening bracket where the group starts")


def _equals_for_comparison(ctx: ErrorContext) -> Diagnostic | None:
    tok = ctx.token
    if tok.type != "EQUAL" or "CMP" not in ctx.accepts:
        return None
    following = ctx.text[tok.end_pos:tok.end_pos + 1]
    if following in ("<", ">"):
        return error(f"`={following}` is not an operator", ctx.span(width=2),
                     f"write `{following}=`")
    return error("`=` sets a value; to compare, write `==`", ctx.span(),
                 "`amount == 100` compares; `=` only appears in `set lead.x = ...` "
                 "and `with name = ...`")


def _rule_label(ctx: ErrorContext) -> Diagnostic | None:
    triggers = {"ON", "WHEN", "EVERY", "WHILE"}
    if ctx.top() == "NAME" and ctx.top(2) == "RULE" and "COLON" in ctx.accepts:
        name = ctx.stack[-1]
        rest = f" {ctx.token} ..." if ctx.token.type in triggers else " ..."
        return error(f"expected `:` after the rule name `{name}`, found {ctx.found()}",
                     ctx.span(), f"write `rule {name}:{rest}`")
    if ctx.top() == "RULE" and ctx.token.type in triggers:
        return error("`rule` must be followed by a name and `:`", ctx.span(ctx.stack[-1]),
                     f"write `rule NAME: {ctx.token} ...`, or leave the label out: "
                     f"a rule can start with `{ctx.token}`")
    if ctx.top() == "COLON" and ctx.top(3) == "RULE" and triggers <= ctx.accepts:
        hint = f"did you mean `on {ctx.token}`?" if ctx.token.type == "NAME" else (
            "a rule starts with `on EVENT`, `on enter STAGE`, `when COND`, `every DUR without ...` "
            "or `while COND`")
        return error(f"expected `on`, `when`, `every` or `while` after `rule "
                     f"{ctx.stack[-2]}:`, found {ctx.found()}", ctx.span(), hint)
    return None


def _missing_unit(ctx: ErrorContext) -> Diagnostic | None:
    if not ctx.accepts or not ctx.accepts <= UNIT_TERMINALS:
        return None
    tok = ctx.token
    if tok.type == "NAME":
        return error(f"`{tok}` is not a unit of time", ctx.span(),
                     did_you_mean(str(tok), UNIT_WORDS) or UNITS_HINT)
    amount = ctx.previous if ctx.previous is not None else "6"
    return error(f"expected a unit of time after `{amount}`, found {ctx.found_where()}",
                 ctx.missing_span(),
                 f"for example `{amount} days` or `{amount} months`; {UNITS_HINT}")


def _aggregate_without_parens(ctx: ErrorContext) -> Diagnostic | None:
    kind = ctx.top()
    if kind not in AGGREGATE_KEYWORDS or ctx.accepts != {"LPAR"}:
        return None
    word = ctx.stack[-1]
    return error(f"`{word}` needs parentheses, as in `{AGGREGATE_KEYWORDS[kind]}`",
                 ctx.span(word), f"`{word}` is a reserved word, so it cannot name a field or score")


def _stray_name(ctx: ErrorContext) -> Diagnostic | None:
    """A NAME where an action belongs: the grammar took it for a `with` argument."""
    if ctx.top() != "NAME" or ctx.accepts != {"EQUAL"} or ctx.top(2) in ("DOT", "WITH"):
        return None
    name, tok = ctx.stack[-1], ctx.token
    word = str(name)
    if ctx.top(2) == "NAME" and ctx.top(3) == "ON" and tok.type in ("CMP", "IN", "MATCHES", "IS",
                                                                   "NOT"):
        event = ctx.stack[-2]
        return error("a condition on the event starts with `where`", ctx.span(name),
                     f"write `on {event} where {word} {tok} ...`")
    if _last_leaf(ctx.stack[-2] if len(ctx.stack) > 1 else None) == "NUMBER" \
            and did_you_mean(word, UNIT_WORDS):
        return error(f"`{word}` is not a unit of time", ctx.span(name),
                     did_you_mean(word, UNIT_WORDS))
    keywords = [k.lower() for k in ACTION_KEYWORDS | MODIFIER_KEYWORDS]
    suggestion = did_you_mean(word, keywords)
    if suggestion is None and ctx.top(2) == "COMMA":
        return error(f"expected `=` after `{word}`, found {ctx.found()}", ctx.span(),
                     "after a comma comes another action (`add 5`, `tag \"x\"`) or, after "
                     "`send ... with`, another argument `name = value`")
    return error(f"expected an action such as `add 5`, found the name `{word}`", ctx.span(name),
                 suggestion or ACTIONS_HINT)


# Words from other languages' string tests, and what leadflow writes instead: an operator
# of its own (`contains`, `starts with`), or the glob pattern the word means in `matches`
# (None: a SQL LIKE pattern, translated; `ilike` also lower-cases the text).
TEXT_TEST_WORDS = {"includes": "contains", "like": None, "startswith": "starts with",
                   "endswith": "*{}", "ilike": None}
_STRING_AFTER = re.compile(r'[ \t]*("(?:[^"\\\n]|\\.)*")')
_OPERAND_BEFORE = re.compile(r"[\w.()]+[ \t]*$")
_ACTION_WORD = re.compile(r"\b(?:add|subtract|set|tag|untag|send|notify|start|stop)\b")


def _text_test(ctx: ErrorContext) -> Diagnostic | None:
    """`url like "%tacon%"`: a string test from SQL or Python, where leadflow has `matches`."""
    if ctx.top() == "NAME" and ctx.accepts == {"EQUAL"} and ctx.token.type == "STRING":
        word, literal = ctx.stack[-1], str(ctx.token)  # the word was read as `with` argument
    elif ctx.token.type == "NAME" and "CMP" in ctx.accepts:
        word = ctx.token
        following = _STRING_AFTER.match(ctx.text, word.end_pos)
        if following is None:
            return None
        literal = following.group(1)
    else:
        return None
    key = str(word).lower()
    if key not in TEXT_TEST_WORDS:
        return None
    try:
        value = json.loads(literal)
    except ValueError:
        return None
    form = TEXT_TEST_WORDS[key]
    line_start = ctx.text.rfind("\n", 0, word.start_pos) + 1
    operand = _OPERAND_BEFORE.search(ctx.text[line_start:word.start_pos])
    shown = operand.group().strip() if operand else "url"
    quoted = json.dumps(value, ensure_ascii=False)
    if form in ("contains", "starts with"):
        return error(f"`{word}` is not an operator in leadflow", ctx.span(word),
                     f"write `{shown} {form} {quoted}`")
    pattern = (value.replace("%", "*").replace("_", "?") if form is None
               else form.format(value.strip("*")))
    if key == "ilike":
        shown = f"lower({shown})"
        pattern = pattern.lower()
    return error(f"`{word}` is not an operator in leadflow", ctx.span(word),
                 f"write `{shown} matches {json.dumps(pattern, ensure_ascii=False)}`: "
                 "in a pattern `*` stands for any text and `?` for one character")


def _actions_joined_by_word(ctx: ErrorContext) -> Diagnostic | None:
    """`add 10 and tag "x"`: actions joined by a word where leadflow wants a comma."""
    tok, prev = ctx.token, ctx.previous
    if prev is not None and prev.type == "AND" and tok.type in ACTION_KEYWORDS:
        joiner = prev  # the `and` was read into the amount: `10 and ...`
    elif tok.type == "NAME" and str(tok).lower() in ("then", "and") and "COMMA" in ctx.accepts \
            and _ACTION_WORD.match(ctx.text[tok.end_pos:].lstrip(" \t")):
        joiner = tok
    else:
        return None
    line_start = ctx.text.rfind("\n", 0, joiner.start_pos) + 1
    before = ctx.text[line_start:joiner.start_pos]
    actions = list(_ACTION_WORD.finditer(before))
    if not actions:
        return None  # the word sits in a condition, not between actions
    head = before[actions[-1].start():].rstrip()
    line_end = ctx.text.find("\n", joiner.end_pos)
    tail = ctx.text[joiner.end_pos:line_end if line_end >= 0 else len(ctx.text)].strip()
    return error(f"`{joiner}` cannot join two actions", ctx.span(joiner),
                 f"separate a rule's actions with commas: `{_short(head, 30)}, {_short(tail, 30)}`")


def _last_leaf(item) -> str | None:
    """The type of the last token in a stack item (a number may already be a `number` tree)."""
    while isinstance(item, lark.Tree) and item.children:
        item = item.children[-1]
    return item.type if isinstance(item, lark.Token) else None


def _missing_action(ctx: ErrorContext) -> Diagnostic | None:
    if not {"ADD", "SUBTRACT"} <= ctx.accepts:
        return None
    if "WAIT" in ctx.accepts:
        return error(f"expected a flow step (an action, `wait` or `if`) or `end`, "
                     f"found {ctx.found()}", ctx.span(), ACTIONS_HINT)
    if "TAG" not in ctx.accepts:
        return error(f"a `while` rule needs `add N` or `subtract N` after its condition, "
                     f"found {ctx.found_where()}", ctx.missing_span(),
                     'for example `while lead.industry == "retail" add 10`')
    if MODIFIER_KEYWORDS & ctx.accepts:
        return None  # the rule is complete: what follows is someone else's problem
    return error(f"expected an action such as `add 5` after {_rule_head(ctx)}, "
                 f"found {ctx.found_where()}", ctx.missing_span(), ACTIONS_HINT)


def _rule_head(ctx: ErrorContext) -> str:
    """`the condition`, or the trigger as written when it is short."""
    starts = [i for i, item in enumerate(ctx.stack)
              if isinstance(item, lark.Token) and item.type in ("ON", "WHEN", "EVERY")]
    if not starts:
        return "the trigger"
    first = ctx.stack[starts[-1]]
    tail = [item for item in ctx.stack[starts[-1]:] if isinstance(item, lark.Token)]
    if first.type == "WHEN" or any(t.type in ("WHERE", "COUNT", "WHEN") for t in tail):
        return "the condition"
    head = ctx.text[first.start_pos:ctx.previous.end_pos] if ctx.previous else ""
    if head and "\n" not in head and len(head) <= 40:
        return f"`{head}`"
    return "the trigger"


def _bad_time(ctx: ErrorContext) -> Diagnostic | None:
    """A mistyped time after `at` in a test: the lexer read part of it as a date, or nothing."""
    tok = ctx.token
    if ctx.top() == "AT" and "TIME" in ctx.accepts and not ctx.at_end:
        return _not_a_time(ctx, tok)
    if ctx.top() == "TIME" and ctx.top(2) == "AT" and not ctx.at_end:
        date = ctx.stack[-1]
        if tok.start_pos == date.end_pos:  # `2024-01-10T09:30:00+2:00`: a date, then junk
            return _not_a_time(ctx, date)
        if tok.type in ("CLOCK", "NUMBER") and tok.line == date.line:
            clock = ctx.word_at(tok)
            return error("a date and a time of day are joined with `T`",
                         ctx.span(date, tok.column + len(clock) - date.column),
                         f"write `{date}T{clock}`")
        if ctx.accepts == {"EXPECT", "NAME"}:
            return error(f"expected an event or `expect` after `at {date}`, "
                         f"found {ctx.found_where()}", ctx.missing_span(),
                         f"for example `at {date} purchase(amount: 50)` "
                         f"or `at {date} expect engagement == 10`")
    if ctx.top() == "NAME" and ctx.top(2) == "TIME" and ctx.top(3) == "AT":
        date, name = ctx.stack[-2], ctx.stack[-1]
        if name.start_pos == date.end_pos:  # `2024-01-10T9:30`: a date and the name `T9`
            return _not_a_time(ctx, date)
    return None


def _not_a_time(ctx: ErrorContext, first: lark.Token) -> Diagnostic:
    word = ctx.word_at(first)
    return error(f"`{_short(word, 30)}` is not a time", ctx.span(first, len(word)), TIME_FORMS)


def _bad_clock(ctx: ErrorContext) -> Diagnostic | None:
    if "CLOCK" not in ctx.accepts or ctx.token.type == "CLOCK":
        return None
    if ctx.at_end:
        return error("expected a time of day such as `22:00`, found the end of the file",
                     ctx.span(), "quiet hours read `quiet hours 22:00 to 08:00`")
    word = ctx.word_at(ctx.token)
    return error(f"`{_short(word, 20)}` is not a time of day", ctx.span(width=len(word)),
                 "write 24-hour time with two digits each for hours and minutes: `08:00`, `22:30`")


def _unquoted_string(ctx: ErrorContext) -> Diagnostic | None:
    tok = ctx.token
    if ctx.accepts != {"STRING"} or ctx.at_end or not str(tok)[:1].isalpha():
        return None
    word = ctx.word_at(tok)
    return error(f"expected a string in double quotes, found {ctx.found()}",
                 ctx.span(width=len(word)), f'write "{_short(word, 40)}"')


def _reserved_word(ctx: ErrorContext) -> Diagnostic | None:
    tok = ctx.token
    if "NAME" not in ctx.accepts or len(ctx.accepts) > 3:
        return None
    if tok.type in ("NAME", "$END") or not str(tok).isidentifier() or ctx.on_later_line():
        return None
    return error(f"`{tok}` is a reserved word and cannot be used as {_what_is_named(ctx)}",
                 ctx.span(), f"choose another name, such as `{tok}_`")


_NAMED_AFTER = {"EVENT": "an event name", "SCORE": "a score name", "STAGE": "a stage name",
                "RULE": "a rule name", "FLOW": "a flow name", "RULESET": "a ruleset name",
                "ON": "an event name", "WITHOUT": "an event name", "START": "a flow name",
                "STOP": "a flow name", "ENTER": "a stage name", "EXIT": "a stage name",
                "TO": "a score name", "FROM": "a score name", "TIME": "an event name",
                "DOT": "a field name", "LPAR": "a field name", "COMMA": "a field name",
                "COLON": "a type name", "WITH": "an argument name"}


def _what_is_named(ctx: ErrorContext) -> str:
    return _NAMED_AFTER.get(ctx.top() or "", "a name")


def _expression_expected(ctx: ErrorContext) -> Diagnostic | None:
    if not VALUE_STARTS <= ctx.accepts:
        return None
    tok, prev = ctx.token, ctx.previous
    if tok.type == "CMP" and prev is not None and prev.type == "CMP":
        return error(f"`{prev}{tok}` is not an operator", ctx.span(prev, tok.end_column - prev.column),
                     "comparisons are == != < <= > >=")
    wants_condition = prev is None or prev.type in CONDITION_OPENERS
    what = "a condition" if wants_condition else "a value"
    after = f" after `{prev}`" if prev is not None else ""
    misplaced_keyword = (tok.type not in ("$END", "NAME") and str(tok).isidentifier()
                         and tok.type not in OPERATOR_KEYWORDS)
    if misplaced_keyword and not ctx.on_later_line():
        hint = f"`{tok}` is a reserved word, so it cannot be the name of a field or score"
    elif wants_condition:
        hint = 'for example `amount > 100`, `lead.country == "ES"` or `count(purchase) >= 3`'
    else:
        hint = ("a value is a number, a string in double quotes, a field, `lead.x`, "
                "or an aggregate such as `count(purchase)`")
    return error(f"expected {what}{after}, found {ctx.found_where()}", ctx.missing_span(), hint)


def _stray_statement(ctx: ErrorContext) -> Diagnostic | None:
    if len(ctx.accepts & STATEMENT_KEYWORDS) < 10:
        return None
    tok, kind = ctx.token, ctx.token.type
    after_actions = "COMMA" in ctx.accepts
    after_modifier = not after_actions and bool(MODIFIER_KEYWORDS & ctx.accepts)
    if ctx.on_later_line() and kind not in ACTION_KEYWORDS:
        after_actions = after_modifier = False  # a new line: most likely a new statement
    if after_actions and kind in ACTION_KEYWORDS:
        return error(f"expected `,` before `{tok}` to add another action", ctx.span(),
                     'separate a rule\'s actions with commas, as in `add 5, tag "vip"`')
    if after_modifier and kind in ACTION_KEYWORDS:
        return error(f"`{tok}` cannot follow the rule's modifiers", ctx.span(),
                     "write every action first, then the modifiers: "
                     '`on purchase add 5, tag "buyer" once`')
    if after_actions or after_modifier:
        return error(f"expected a new statement after the rule, found {ctx.found()}", ctx.span(),
                     "a rule ends with its actions and modifiers (`once`, `up to 3 times`, ...); "
                     "the next statement starts with a keyword")
    if kind == "END":
        return error("`end` closes nothing here", ctx.span(),
                     "no `flow`, `test` or `if` is open: look for an `end` too many above")
    if kind == "ELSE":
        return error("`else` outside an `if` block", ctx.span(),
                     "`if` ... `else` ... `end` is a flow step")
    if kind in ("WAIT", "IF"):
        return error(f"`{tok}` is only allowed inside a flow", ctx.span(),
                     "a flow reads `flow NAME`, `start on EVENT`, its steps, then `end`")
    if kind in ("AT", "EXPECT"):
        return error(f"`{tok}` is only allowed inside a test", ctx.span(),
                     'a test reads `test "name"`, its steps, then `end`')
    if kind in ACTION_KEYWORDS:
        return error(f"`{tok}` is an action, but no rule is open", ctx.span(),
                     f"a rule starts with its trigger: `on EVENT {tok} ...`")
    if kind in MODIFIER_KEYWORDS:
        return error(f"`{tok}` must follow a rule's actions", ctx.span(),
                     f"for example `on email_open add 1 {tok} ...`")
    hint = None
    if kind == "NAME":
        if ctx.text[tok.end_pos:].lstrip(" \t").startswith(":"):
            hint = f"to label a rule, write `rule {tok}: ...`"
        else:
            hint = did_you_mean(str(tok), [k.lower() for k in STATEMENT_KEYWORDS])
    return error(f"expected a declaration, rule, flow or test, found {ctx.found()}", ctx.span(),
                 hint or "every statement starts with a keyword such as `event`, `score`, "
                         "`rule`, `on`, `when`, `flow` or `test`")


RECOGNISERS = (
    _missing_end,
    _unclosed_bracket,
    _unmatched_closer,
    _equals_for_comparison,
    _rule_label,
    _missing_unit,
    _aggregate_without_parens,
    _text_test,
    _actions_joined_by_word,
    _stray_name,
    _missing_action,
    _bad_time,
    _bad_clock,
    _unquoted_string,
    _reserved_word,
    _expression_expected,
    _stray_statement,
)


# ------------------------------------------------------------------ fallback

_GROUPS = (
    (UNIT_TERMINALS, "a unit such as `days`"),
    (frozenset({"PLUS", "MINUS", "STAR", "SLASH"}), "an operator such as `+`"),
    (frozenset({"NUMBER", "STRING", "TRUE", "FALSE"}),
     "a value (a number, a string in double quotes, `true` or `false`)"),
)
_TERMINAL_NAMES = {"NAME": "a name", "NUMBER": "a number", "STRING": "a string in double quotes",
                   "TIME": "a time such as `2024-01-10`", "CLOCK": "a time of day such as `22:00`",
                   "CMP": "a comparison such as `>=`", "$END": "the end of the file"}


def _fallback(ctx: ErrorContext) -> Diagnostic:
    left = set(ctx.accepts)
    names = []
    for group, label in _GROUPS:
        if group <= left:
            names.append(label)
            left -= group
    names += sorted(_terminal_name(t) for t in left)
    unexpected = f"unexpected {describe_token(ctx.token, article=False)}"
    if not names:
        return error(unexpected, ctx.span())
    if len(names) <= 4:
        wanted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        after = f" after `{_short(str(ctx.previous), 20)}`" if ctx.on_later_line() else ""
        return error(f"expected {wanted}{after}, found {ctx.found_where()}", ctx.missing_span())
    return error(unexpected, ctx.span(),
                 "expected " + ", ".join(names[:6]) + (", ..." if len(names) > 6 else ""))


def _terminal_name(terminal: str) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    if terminal in _PUNCTUATION:
        return f"`{_PUNCTUATION[terminal]}`"
    return f"`{terminal.lower()}`"
