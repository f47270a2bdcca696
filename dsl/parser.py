"""Text → AST. The Lark parser is built once per process (LALR, basic lexer).

`parse(text, path)` returns an `ast.Module` or raises `LeadflowError` with
diagnostics; it never lets a Lark object or a Python traceback out.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import lark
from lark import Token, Transformer, v_args

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, LeadflowError, error
from leadflow.dsl.syntax_errors import describe_syntax_error

MAX_NESTING = 200  # brackets/parentheses deep; far past any real rule, well inside Python's stack


@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    grammar = resources.files("leadflow.grammars").joinpath("leadflow.lark").read_text("utf-8")
    return lark.Lark(
        grammar,
        parser="lalr",
        lexer="basic",
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": _COMMENTS.append},
    )


# Comments seen by the lexer during the current parse (the parser is built once,
# so its callback appends here and `parse` takes the list).
_COMMENTS: list[Token] = []


def parse(text: str, path: str = "<input>") -> ast.Module:
    """Parse one `.leadflow` file; raise LeadflowError with diagnostics on failure."""
    _check_nesting(text, path)
    _COMMENTS.clear()
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        raise LeadflowError([describe_syntax_error(exc, text, path)]) from None
    comments = tuple(ast.Comment(str(t).rstrip(), _token_span(t, path)) for t in _COMMENTS)
    _COMMENTS.clear()
    builder = _Builder(path)
    try:
        body = builder.transform(tree)
    except RecursionError:
        raise LeadflowError([error("the file is nested too deeply to read", ast.Span(path, 1, 1, 1, 2))]) from None
    if builder.errors:
        raise LeadflowError(builder.errors)
    end_line = text.count("\n") + 1
    return ast.Module(path, tuple(body), comments, ast.Span(path, 1, 1, end_line, 1))


def _check_nesting(text: str, path: str) -> None:
    """Reject absurd nesting up front, so later recursive passes stay within Python's stack."""
    depth = 0
    line, col = 1, 0
    in_string = in_comment = escaped = False
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
            in_comment = in_string = False
            continue
        if in_comment:
            continue
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == "#":
            in_comment = True
        elif ch == '"':
            in_string = True
        elif ch in "([":
            depth += 1
            if depth > MAX_NESTING:
                span = ast.Span(path, line, col, line, col + 1)
                raise LeadflowError([
                    error(f"brackets nested more than {MAX_NESTING} deep", span,
                          "split the expression into smaller ones")
                ])
        elif ch in ")]":
            depth = max(depth - 1, 0)


def _token_span(tok: Token, path: str) -> ast.Span:
    return ast.Span(path, tok.line, tok.column, tok.end_line, tok.end_column)


def _number(tok: Token) -> int | float:
    text = str(tok)
    return float(text) if "." in text else int(text)


_UNIT_OF = {u + s: u for u in ast.UNITS for s in ("", "s")}


@v_args(meta=True, inline=True)
class _Builder(Transformer):
    """One method per grammar alias; each returns an AST node with its span."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.errors: list[Diagnostic] = []

    # -- helpers -------------------------------------------------------
    def _span(self, meta) -> ast.Span:
        if getattr(meta, "empty", True):
            return ast.NO_SPAN
        return ast.Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> ast.Span:
        return _token_span(tok, self.path)

    def _string(self, tok: Token) -> str:
        try:
            return json.loads(str(tok))
        except ValueError:
            self.errors.append(error("invalid escape in string", self._tspan(tok),
                                     'strings use JSON escapes: \\" \\\\ \\n \\t \\uXXXX'))
            return str(tok)[1:-1]

    def _whole(self, tok: Token, what: str) -> int:
        value = _number(tok)
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
        return ast.EventDecl(str(name), tuple(fields or ()), self._span(meta))

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
        return ast.ScoreDecl(str(name), low, high, self._span(meta))

    def score_min(self, meta, value):
        return ("min", value, self._span(meta))

    def score_max(self, meta, value):
        return ("max", value, self._span(meta))

    def signed_number(self, meta, tok):
        return _number(tok)

    def negative_number(self, meta, tok):
        return -_number(tok)

    def stage_decl(self, meta, name, when):
        return ast.StageDecl(str(name), when, self._span(meta))

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
                        self._span(meta))

    def on_event(self, meta, event, where, count, when, actions, *modifiers):
        trigger = ast.OnEvent(str(event), where, count, when, self._span(meta))
        return trigger, actions, tuple(modifiers)

    def count_clause(self, meta, op, value, within):
        return ast.CountClause(str(op), self._whole(value, "a count"), within, self._span(meta))

    def when_rule(self, meta, cond, actions, *modifiers):
        return ast.WhenCond(cond, self._span(meta)), actions, tuple(modifiers)

    def every_rule(self, meta, every, without, actions, *modifiers):
        return ast.Every(every, without, self._span(meta)), actions, tuple(modifiers)

    def without_target(self, meta, name):
        return str(name)

    def activity(self, meta):
        return None

    def stage_rule(self, meta, change, stage, actions, *modifiers):
        return ast.OnStage(change, str(stage), self._span(meta)), actions, tuple(modifiers)

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
        return ast.SubtractPercent(_number(percent), None if score is None else str(score),
                                   self._span(meta))

    def set_field(self, meta, name, value):
        return ast.SetField(str(name), value, self._span(meta))

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
        return ast.CappedAt(_number(limit), self._span(meta))

    def expires_after(self, meta, after):
        return ast.ExpiresAfter(after, self._span(meta))

    def duration(self, meta, amount, unit):
        return ast.Duration(self._whole(amount, "a duration"), _UNIT_OF[unit], self._span(meta))

    def unit(self, meta, tok):
        return str(tok)

    # -- flows ---------------------------------------------------------
    def flow_decl(self, meta, name, *items):
        triggers = tuple(i for i in items if isinstance(i, ast.FlowTrigger))
        steps = _flatten_steps(i for i in items if not isinstance(i, ast.FlowTrigger))
        return ast.FlowDecl(str(name), triggers, steps, self._span(meta))

    def flow_start(self, meta, event, where):
        return ast.FlowTrigger("start", str(event), where, self._span(meta))

    def flow_stop(self, meta, event, where):
        return ast.FlowTrigger("stop", str(event), where, self._span(meta))

    def wait(self, meta, duration):
        return ast.Wait(duration, self._span(meta))

    def if_step(self, meta, cond, then, otherwise):
        return ast.If(cond, then, otherwise or (), self._span(meta))

    def branch(self, meta, *steps):
        return _flatten_steps(steps)

    # -- tests ---------------------------------------------------------
    def test_block(self, meta, name, *steps):
        return ast.TestBlock(self._string(name), tuple(steps), self._span(meta))

    def test_lead(self, meta, values):
        return ast.TestLead(tuple(values), self._span(meta))

    def test_event(self, meta, at, event, values):
        return ast.TestEvent(self._time(at), str(event), tuple(values or ()), self._span(meta))

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

    def sent(self, meta, target):
        return ast.Sent("send", self._string(target), self._span(meta))

    def notified(self, meta, target):
        return ast.Sent("notify", self._string(target), self._span(meta))

    def not_sent(self, meta, target):
        return ast.Unary("not", self.sent(meta, target), self._span(meta))

    def not_notified(self, meta, target):
        return ast.Unary("not", self.notified(meta, target), self._span(meta))

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
        return ast.Number(_number(tok), self._tspan(tok))

    def negative_literal(self, meta, tok):
        return ast.Number(-_number(tok), self._span(meta))

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

    def lead_field(self, meta, tok):
        return ast.LeadField(str(tok), self._span(meta))

    def stage_value(self, meta):
        return ast.StageValue(self._span(meta))

    def tagged(self, meta, tag):
        return ast.Tagged(self._string(tag), self._span(meta))

    def count_agg(self, meta, event, agg_filter):
        where, within = agg_filter
        return ast.Aggregate("count", str(event), None, where, within, self._span(meta))

    def field_agg(self, meta, func, event, field, agg_filter):
        where, within = agg_filter
        return ast.Aggregate(func, str(event), str(field), where, within, self._span(meta))

    def agg_func(self, meta, tok):
        return str(tok)

    def agg_filter(self, meta, where, within):
        return where, within

    def since(self, meta, event, where):
        return ast.Since(str(event), where, self._span(meta))

    def list(self, meta, *items):
        return tuple(i for i in items if i is not None)


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
