"""Text → AST. The Lark parser is built once per process (LALR, basic lexer).

`parse(text, path)` returns an `ast.Module` or raises `LeadflowError` with
diagnostics; it never lets a Lark object or a Python traceback out. After a
syntax error it reads on from the next declaration, so one run reports each
broken declaration of the file (dsl/syntax_errors.py).

The parse tree is turned into AST nodes by `_Builder.build`, a loop rather
than Lark's recursive Transformer: a 10,000-deep `not not not ...` must become
a diagnostic, not a RecursionError. The same loop measures how deeply each
node nests and rejects anything deeper than MAX_DEPTH, so every later pass
(checker, formatter, interpreter, generated Python) can recurse safely.
"""

from __future__ import annotations

import gc
import json
import math
import pickle
import re
import unicodedata
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources

import lark
from lark import Token, Tree

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, LeadflowError, error
from leadflow.dsl.grammar_cache import grammar_cache_file
from leadflow.dsl.syntax_errors import describe_syntax_errors

# Levels of parse tree below a declaration: operators, brackets that hold an
# operator, `if` blocks. Real rules stay under 15; 64 keeps the generated
# Python within its own nesting limit (200 brackets) and every recursive pass
# far inside Python's stack.
MAX_DEPTH = 64
# Digits in one number literal: Python refuses to convert more than 4,300, and
# no score, count or duration needs more than a handful.
MAX_DIGITS = 30


@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    grammar = resources.files("leadflow.grammars").joinpath("leadflow.lark").read_text("utf-8")
    options = {"parser": "lalr", "lexer": "basic", "propagate_positions": True,
               "maybe_placeholders": True, "lexer_callbacks": {"COMMENT": _COMMENTS.append, "NAME": _name_token}}
    cache = grammar_cache_file(grammar)  # the tables, built once (dsl/grammar_cache.py)
    if cache is not None:
        try:
            return lark.Lark(grammar, cache=cache, **options)
        except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError,
                IndexError, KeyError, pickle.UnpicklingError):
            pass  # a damaged or unwritable cache: build the tables in memory
    return lark.Lark(grammar, **options)


# Comments seen by the lexer during the current parse (the parser is built once,
# so its callback appends here and `parse` takes the list).
_COMMENTS: list[Token] = []
# Names that are not identifiers once normalized, seen during the current parse.
_BAD_NAMES: list[tuple[Token, str]] = []


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """The reserved words: every quoted word of the grammar."""
    grammar = resources.files("leadflow.grammars").joinpath("leadflow.lark").read_text("utf-8")
    rules = "\n".join(line.split("//")[0] for line in grammar.splitlines())
    return frozenset(re.findall(r'"([a-z]+)"', rules))


def normalize_name(text: str) -> str:
    """A name as leadflow compares it: NFKC, like Python identifiers (`ﬁn` is `fin`)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _name_token(tok: Token) -> Token:
    """Names follow Python's identifier rules after NFKC normalization (the grammar's
    NAME takes a wider run of characters, so a wrong one gets a precise message)."""
    if tok.isascii():
        return tok
    name = normalize_name(str(tok))
    if not name.isidentifier() or name in keywords():
        _BAD_NAMES.append((tok, name))
    return tok.update(value=name)


def parse(text: str, path: str = "<input>") -> ast.Module:
    """Parse one `.leadflow` file; raise LeadflowError with diagnostics on failure."""
    _COMMENTS.clear()
    _BAD_NAMES.clear()
    with _collector_paused():
        try:
            tree = _lark().parse(text)
        except lark.exceptions.UnexpectedInput as exc:
            found = describe_syntax_errors(exc, text, path, _lark())
            _COMMENTS.clear()
            bad = _bad_names(path)
            _BAD_NAMES.clear()
            raise LeadflowError(_with_bad_names(bad, found)) from None
        comments = tuple(ast.Comment(str(t).rstrip(), _token_span(t, path)) for t in _COMMENTS)
        _COMMENTS.clear()
        bad = _bad_names(path)
        _BAD_NAMES.clear()
        builder = _Builder(path)
        builder.errors.extend(bad)
        body = builder.build(tree)
        del tree  # freed now, so the collector never has to look at it when it resumes
    if builder.errors:
        raise LeadflowError(builder.errors)
    end_line = text.count("\n") + 1
    return ast.Module(path, tuple(body), comments, ast.Span(path, 1, 1, end_line, 1))


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while parsing.

    A parse allocates hundreds of thousands of small objects (tokens, trees,
    nodes) that form no cycles; the collector's repeated passes over them
    doubled the time to parse a 5,000-rule file. Reference counting still
    frees everything; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _bad_names(path: str) -> list[Diagnostic]:
    out = []
    for tok, name in _BAD_NAMES:
        span = _token_span(tok, path)
        if name in keywords():
            out.append(error(f"`{tok}` reads as the reserved word `{name}`", span,
                             "choose another name"))
            continue
        bad = next((c for c in name if not ("a" + c).isidentifier()), None)
        shown = f"`{bad}` (U+{ord(bad):04X})" if bad is not None else f"`{name[:1]}`"
        out.append(error(f"`{tok}` is not a valid name: it contains {shown}", span,
                         "names are letters, digits and `_`, not starting with a digit "
                         "(Python's identifier rules)"))
    return out


def _with_bad_names(bad: list[Diagnostic], found: list[Diagnostic]) -> list[Diagnostic]:
    """Syntax errors and bad names together, in file order: a line with a bad name keeps
    only that (the parser's complaint there follows from it)."""
    unique = {(d.span.line, d.span.column): d for d in bad}
    lines = {line for line, _ in unique}
    kept = [d for d in found if d.span.line not in lines]
    return sorted([*unique.values(), *kept], key=lambda d: (d.span.line, d.span.column))


def _token_span(tok: Token, path: str) -> ast.Span:
    return ast.Span(path, tok.line, tok.column, tok.end_line, tok.end_column)


def _number(tok: Token) -> int | float:
    text = str(tok)
    return float(text) if "." in text else int(text)


_UNIT_OF = {u + s: u for u in ast.UNITS for s in ("", "s")}


# One escape sequence in a string: `\\u` with four hex digits, or a backslash and one character.
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)")
_JSON_ESCAPES = frozenset('"\\/bfnrt')

# A fractional duration converts exactly into the next smaller unit (for the hint).
_SMALLER_UNIT = {"year": (12, "months"), "week": (7, "days"), "day": (24, "hours"),
                 "hour": (60, "minutes")}


class _Builder:
    """One method per grammar rule or alias; each returns an AST node with its span.

    Methods take the node's Lark meta (for the span) and its children, already
    built. Problems that the grammar lets through (a count of 3.5, a bad string
    escape) are collected in `errors` so that one parse reports them all.
    """

    def __init__(self, path: str):
        self.path = path
        self.errors: list[Diagnostic] = []

    def build(self, root: Tree):
        """Build bottom-up without recursion; stop at the first node nested deeper than MAX_DEPTH."""
        # Pre-order listing reversed is a post-order in which children come
        # before their parent, in reverse; reading it backwards restores order.
        order: list = []
        pending = [root]
        while pending:
            node = pending.pop()
            order.append(node)
            if isinstance(node, Tree):
                pending.extend(node.children)
        values: list = []
        heights: list[int] = []  # parallel to values: how many levels each value nests
        for node in reversed(order):
            if not isinstance(node, Tree):
                values.append(node)
                heights.append(0)
                continue
            size = len(node.children)
            args = values[len(values) - size:] if size else []
            height = 1 + max(heights[len(heights) - size:], default=0)
            del values[len(values) - size:], heights[len(heights) - size:]
            if height > MAX_DEPTH + 1 and node.data != "start":  # +1: the declaration itself
                self.errors.append(self._too_deep(node))
                return []
            values.append(getattr(self, node.data)(node.meta, *args))
            heights.append(height)
        return values[0]

    def _too_deep(self, node: Tree) -> Diagnostic:
        meta = node.meta
        line, column = getattr(meta, "line", 1), getattr(meta, "column", 1)
        where = ast.Span(self.path, line, column, line, column + 1)
        return error(f"too deeply nested: more than {MAX_DEPTH} levels of operators or blocks",
                     where, "split it into simpler conditions, for example over several rules; "
                            "`x in [...]` replaces a long chain of `or`")

    # -- helpers -------------------------------------------------------
    def _span(self, meta) -> ast.Span:
        if getattr(meta, "empty", True):
            return ast.NO_SPAN
        return ast.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> ast.Span:
        return _token_span(tok, self.path)

    def _string(self, tok: Token) -> str:
        try:
            # strict=False: a raw tab inside quotes is harmless, not an escape error.
            value = json.loads(str(tok), strict=False)
        except ValueError:
            self.errors.append(self._bad_escape(tok))
            return str(tok)[1:-1]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # `\ud800` alone: not text, and unprintable later
            self.errors.append(error("this string holds half of a \\u surrogate pair",
                                     self._tspan(tok), "write the character itself instead"))
            return value.encode("utf-8", "replace").decode("utf-8")
        return value

    def _bad_escape(self, tok: Token) -> Diagnostic:
        """Point at the first escape JSON does not know, e.g. the `\\q` in `"c:\\q"`."""
        text = str(tok)
        found = next((m for m in _ESCAPE.finditer(text) if m.group(1) not in _JSON_ESCAPES
                      and len(m.group(1)) == 1), None)
        column = tok.column + (found.start() if found else 0)
        width = len(found.group()) if found else len(text)
        shown = found.group() if found else text
        return error(f"`{shown}` is not a valid escape in a string",
                     ast.Span(self.path, tok.line, column, tok.line, column + width),
                     'strings use JSON escapes: \\" \\\\ \\n \\t \\uXXXX; '
                     "write `\\\\` for a backslash")

    def _num(self, tok: Token) -> int | float:
        if len(tok) > MAX_DIGITS:
            self.errors.append(error(f"this number has more than {MAX_DIGITS} digits",
                                     self._tspan(tok)))
            return 0
        return _number(tok)

    def _whole(self, tok: Token, what: str) -> int:
        value = self._num(tok)
        if not isinstance(value, int):
            self.errors.append(error(f"{what} must be a whole number", self._tspan(tok),
                                     f"write `{int(value)}` instead of `{tok}`"))
            return int(value)
        return value

    # -- file ----------------------------------------------------------
    def start(self, meta, *decls):
        return list(decls)

    # -- declarations --------------------------------------------------
    def ruleset_decl(self, meta, name):
        return ast.RulesetDecl(str(name), self._span(meta))

    def timezone_decl(self, meta, zone):
        return ast.TimezoneDecl(self._string(zone), self._span(meta))

    def tests_for(self, meta, path):
        return ast.TestsFor(self._string(path), self._span(meta))

    def event_decl(self, meta, name, fields):
        return ast.EventDecl(str(name), tuple(fields or ()), self._span(meta), self._tspan(name))

    def lead_decl(self, meta, fields):
        return ast.LeadDecl(tuple(fields), self._span(meta))

    def field_decls(self, meta, *fields):
        return [f for f in fields if f is not None]

    def field_decl(self, meta, name, type_name):
        return ast.FieldDecl(str(name), str(type_name), self._span(meta))

    def score_decl(self, meta, name, *bounds):
        low = high = None
        for kind, value, span in bounds:
            if (kind == "min" and low is not None) or (kind == "max" and high is not None):
                self.errors.append(error(f"`{kind}` given twice for score `{name}`", span))
            if kind == "min":
                low = value
            else:
                high = value
        return ast.ScoreDecl(str(name), low, high, self._span(meta), self._tspan(name))

    def score_min(self, meta, value):
        return ("min", value, self._span(meta))

    def score_max(self, meta, value):
        return ("max", value, self._span(meta))

    def signed_number(self, meta, tok):
        return self._num(tok)

    def negative_number(self, meta, tok):
        return -self._num(tok)

    def stage_decl(self, meta, name, when):
        return ast.StageDecl(str(name), when, self._span(meta), self._tspan(name))

    def send_limit(self, meta, limit, per):
        return ast.SendLimit(self._whole(limit, "a send limit"), per, self._span(meta))

    def quiet_hours(self, meta, start, end):
        return ast.QuietHours(self._clock(start), self._clock(end), self._span(meta))

    def _clock(self, tok: Token) -> ast.Clock:
        hour, minute = (int(p) for p in str(tok).split(":"))
        if hour > 23 or minute > 59:
            self.errors.append(error(f"`{tok}` is not a time of day", self._tspan(tok),
                                     "use 24-hour HH:MM, from 00:00 to 23:59"))
        return ast.Clock(hour, minute, self._tspan(tok))

    # -- rules ---------------------------------------------------------
    def rule(self, meta, name, parts):
        trigger, actions, modifiers = parts
        return ast.Rule(None if name is None else str(name), trigger, actions, modifiers,
                        self._span(meta), ast.NO_SPAN if name is None else self._tspan(name))

    def on_event(self, meta, event, where, count, when, actions, *modifiers):
        trigger = ast.OnEvent(str(event), where, count, when, self._span(meta), self._tspan(event))
        return trigger, actions, tuple(modifiers)

    def count_clause(self, meta, op, value, within):
        amount = self._num(value)
        if not isinstance(amount, int):
            self.errors.append(error(f"a count of events is a whole number, not `{value}`",
                                     self._tspan(value), _count_hint(str(op), amount)))
            amount = int(amount)
        return ast.CountClause(str(op), amount, within, self._span(meta))

    def when_rule(self, meta, cond, actions, *modifiers):
        return ast.WhenCond(cond, self._span(meta)), actions, tuple(modifiers)

    def every_rule(self, meta, every, without, actions, *modifiers):
        name_span = ast.NO_SPAN if without is None else self._tspan(without)
        without = None if without is None else str(without)
        return ast.Every(every, without, self._span(meta), name_span), actions, tuple(modifiers)

    def without_target(self, meta, name):
        return name  # the token, so every_rule can take its span

    def activity(self, meta):
        return None

    def stage_rule(self, meta, change, stage, actions, *modifiers):
        trigger = ast.OnStage(change, str(stage), self._span(meta), self._tspan(stage))
        return trigger, actions, tuple(modifiers)

    def stage_change(self, meta, tok):
        return str(tok)

    def while_rule(self, meta, cond, change):
        return ast.While(cond, self._span(meta)), (change,), ()

    # -- actions -------------------------------------------------------
    def actions(self, meta, *items):
        """Regroup the flat comma list: `with` arguments join the send before them."""
        grouped: list = []
        for item in items:
            if isinstance(item, ast.Arg):
                last = grouped[-1] if grouped else None
                if isinstance(last, ast.Send) and last.args:
                    grouped[-1] = ast.Send(last.kind, last.target, last.args + (item,),
                                           _join(last.span, item.span))
                else:
                    self.errors.append(error(
                        f"`{item.name} = ...` is not an action", item.span,
                        "arguments follow `with` on a send or notify: "
                        'send "offer" with code = "X", discount = 10'))
            else:
                grouped.append(item)
        return tuple(grouped)

    def add(self, meta, amount, score):
        return ast.Add(amount, None if score is None else str(score), False, self._span(meta))

    def subtract(self, meta, amount, score):
        return ast.Add(amount, None if score is None else str(score), True, self._span(meta))

    def subtract_percent(self, meta, percent, score):
        return ast.SubtractPercent(self._num(percent), None if score is None else str(score),
                                   self._span(meta))

    def score_ref(self, meta, name):
        return str(name)

    def implicit_score(self, meta):
        return "score"

    def set_field(self, meta, name, value):
        return ast.SetField(str(name), value, self._span(meta), self._tspan(name))

    def tag(self, meta, tag):
        return ast.Tag(self._string(tag), False, self._span(meta))

    def untag(self, meta, tag):
        return ast.Tag(self._string(tag), True, self._span(meta))

    def send(self, meta, target, arg):
        return ast.Send("send", self._string(target), () if arg is None else (arg,), self._span(meta))

    def notify(self, meta, target, arg):
        return ast.Send("notify", self._string(target), () if arg is None else (arg,), self._span(meta))

    def start_flow(self, meta, name):
        return ast.FlowControl("start", str(name), self._span(meta))

    def stop_flow(self, meta, name):
        return ast.FlowControl("stop", str(name), self._span(meta))

    def arg(self, meta, name, value):
        return ast.Arg(str(name), value, self._span(meta))

    # -- modifiers -----------------------------------------------------
    def once(self, meta):
        return ast.Once(None, self._span(meta))

    def once_per(self, meta, per):
        return ast.Once(per, self._span(meta))

    def up_to(self, meta, times):
        return ast.UpTo(self._whole(times, "`up to` a number of times"), self._span(meta))

    def capped_at(self, meta, limit):
        return ast.CappedAt(self._num(limit), self._span(meta))

    def expires_after(self, meta, after):
        return ast.ExpiresAfter(after, self._span(meta))

    def duration(self, meta, amount, unit):
        value, singular = self._num(amount), _UNIT_OF[unit]
        if not isinstance(value, int):
            self.errors.append(error(f"a duration is a whole number of {singular}s, not `{amount}`",
                                     self._span(meta), _duration_hint(value, singular)))
            value = int(value)
        return ast.Duration(value, singular, self._span(meta))

    def unit(self, meta, tok):
        return str(tok)

    # -- flows ---------------------------------------------------------
    def flow_decl(self, meta, name, *items):
        triggers = tuple(i for i in items if isinstance(i, ast.FlowTrigger))
        steps = _flatten_steps(i for i in items if not isinstance(i, ast.FlowTrigger))
        return ast.FlowDecl(str(name), triggers, steps, self._span(meta), self._tspan(name))

    def flow_start(self, meta, event, where):
        return ast.FlowTrigger("start", str(event), where, self._span(meta), self._tspan(event))

    def flow_stop(self, meta, event, where):
        return ast.FlowTrigger("stop", str(event), where, self._span(meta), self._tspan(event))

    def wait(self, meta, duration):
        return ast.Wait(duration, self._span(meta))

    def if_step(self, meta, cond, then, otherwise):
        return ast.If(cond, then, otherwise or (), self._span(meta))

    def branch(self, meta, *steps):
        return _flatten_steps(steps)

    # -- tests ---------------------------------------------------------
    def test_block(self, meta, name, *steps):
        return ast.TestBlock(self._string(name), tuple(steps), self._span(meta), self._tspan(name))

    def test_lead(self, meta, values):
        return ast.TestLead(tuple(values), self._span(meta))

    def test_event(self, meta, at, event, values):
        return ast.TestEvent(self._time(at), str(event), tuple(values or ()), self._span(meta),
                             self._tspan(event))

    def expect_at(self, meta, at, cond):
        return ast.Expect(cond, self._time(at), self._span(meta))

    def expect_now(self, meta, cond):
        return ast.Expect(cond, None, self._span(meta))

    def _time(self, tok: Token) -> ast.TimeLiteral:
        return ast.TimeLiteral(str(tok), self._tspan(tok))

    def field_values(self, meta, *values):
        return [v for v in values if v is not None]

    def field_value(self, meta, name, value):
        return ast.FieldValue(str(name), value, self._span(meta))

    def sent(self, meta, target, args=None):
        return ast.Sent("send", self._string(target), tuple(args or ()), self._span(meta))

    def notified(self, meta, target, args=None):
        return ast.Sent("notify", self._string(target), tuple(args or ()), self._span(meta))

    def not_sent(self, meta, target, args=None):
        return ast.Unary("not", self.sent(meta, target, args), self._span(meta))

    def not_notified(self, meta, target, args=None):
        return ast.Unary("not", self.notified(meta, target, args), self._span(meta))

    def sent_args(self, meta, *args):
        return list(args)

    def sent_arg(self, meta, name, value):
        return ast.Arg(str(name), value, self._span(meta))

    def sent_list_arg(self, meta, name, items):
        return ast.Arg(str(name), ast.ListValue(items, self._span(meta)), self._span(meta))

    # -- expressions ---------------------------------------------------
    def or_op(self, meta, left, right):
        return ast.Binary("or", left, right, self._span(meta))

    def and_op(self, meta, left, right):
        return ast.Binary("and", left, right, self._span(meta))

    def not_op(self, meta, operand):
        return ast.Unary("not", operand, self._span(meta))

    def compare(self, meta, left, op, right):
        return ast.Binary(str(op), left, right, self._span(meta))

    def in_list(self, meta, operand, items):
        return ast.In(operand, items, False, self._span(meta))

    def not_in_list(self, meta, operand, items):
        return ast.In(operand, items, True, self._span(meta))

    def in_value(self, meta, operand, collection):
        return ast.InValue(operand, collection, False, self._span(meta))

    def not_in_value(self, meta, operand, collection):
        return ast.InValue(operand, collection, True, self._span(meta))

    def contains(self, meta, left, right):
        return ast.TextOp("contains", left, right, self._span(meta))

    def starts_with(self, meta, left, right):
        return ast.TextOp("starts with", left, right, self._span(meta))

    def lower(self, meta, operand):
        return ast.Call("lower", operand, self._span(meta))

    def length(self, meta, operand):
        return ast.Call("length", operand, self._span(meta))

    def this_field(self, meta, name):
        return ast.ThisField(str(name), self._span(meta))

    def list_agg(self, meta, func, limit, event, field, agg_filter):
        where, within = agg_filter
        return ast.Aggregate(func, str(event), str(field), where, within, self._span(meta),
                             self._tspan(event), self._tspan(field),
                             self._whole(limit, f"the number of values `{func}` gives"))

    def list_func(self, meta, tok):
        return str(tok)

    def matches(self, meta, operand, pattern):
        return ast.Matches(operand, self._string(pattern), self._span(meta))

    def is_missing(self, meta, operand):
        return ast.IsMissing(operand, False, self._span(meta))

    def is_not_missing(self, meta, operand):
        return ast.IsMissing(operand, True, self._span(meta))

    def plus(self, meta, left, right):
        return ast.Binary("+", left, right, self._span(meta))

    def minus(self, meta, left, right):
        return ast.Binary("-", left, right, self._span(meta))

    def times(self, meta, left, right):
        return ast.Binary("*", left, right, self._span(meta))

    def divide(self, meta, left, right):
        return ast.Binary("/", left, right, self._span(meta))

    def neg(self, meta, operand):
        return ast.Unary("-", operand, self._span(meta))

    def number(self, meta, tok):
        return ast.Number(self._num(tok), self._tspan(tok))

    def negative_literal(self, meta, tok):
        return ast.Number(-self._num(tok), self._span(meta))

    def string(self, meta, tok):
        return ast.String(self._string(tok), self._tspan(tok))

    def true(self, meta):
        return ast.Bool(True, self._span(meta))

    def false(self, meta):
        return ast.Bool(False, self._span(meta))

    def duration_value(self, meta, duration):
        return ast.DurationExpr(duration, self._span(meta))

    def name(self, meta, tok):
        return ast.Name(str(tok), self._tspan(tok))

    def score_value(self, meta):
        return ast.Name("score", self._span(meta))

    def lead_field(self, meta, tok):
        return ast.LeadField(str(tok), self._span(meta))

    def stage_value(self, meta):
        return ast.StageValue(self._span(meta))

    def tagged(self, meta, tag):
        return ast.Tagged(self._string(tag), self._span(meta))

    def count_agg(self, meta, event, agg_filter):
        where, within = agg_filter
        return ast.Aggregate("count", str(event), None, where, within, self._span(meta),
                             self._tspan(event))

    def field_agg(self, meta, func, event, field, agg_filter):
        where, within = agg_filter
        return ast.Aggregate(func, str(event), str(field), where, within, self._span(meta),
                             self._tspan(event), self._tspan(field))

    def agg_func(self, meta, tok):
        return str(tok)

    def agg_filter(self, meta, where, within):
        return where, within

    def since(self, meta, event, where):
        return ast.Since(str(event), where, self._span(meta), self._tspan(event))

    def list(self, meta, *items):
        return tuple(i for i in items if i is not None)


def _count_hint(op: str, value: float) -> str:
    """Events are counted in whole numbers, so a fractional bound means a whole one."""
    if op == "==":
        return f"`count == {value}` can never hold; compare with a whole number"
    if op == "!=":
        return f"`count != {value}` always holds; compare with a whole number"
    whole = math.ceil(value) if op in (">=", "<") else math.floor(value)
    return f"`count {op} {value}` means `count {op} {whole}`: write that"


def _duration_hint(value: float, unit: str) -> str:
    if unit in _SMALLER_UNIT:
        factor, smaller = _SMALLER_UNIT[unit]
        if float(value * factor).is_integer():
            return f"write `{int(value * factor)} {smaller}`"
        return f"use a whole number, or a smaller unit ({smaller})"
    return "use a whole number"


def _join(a: ast.Span, b: ast.Span) -> ast.Span:
    return ast.Span(a.file, a.line, a.column, b.end_line, b.end_column)


def _flatten_steps(items) -> tuple:
    """Flow steps: each `actions` group (a tuple) contributes its actions in order."""
    steps: list = []
    for item in items:
        if isinstance(item, tuple):
            steps.extend(item)
        elif item is not None:
            steps.append(item)
    return tuple(steps)
