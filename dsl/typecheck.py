"""Expression typing: the static type of every expression, and every type error.

Types are "number", "int", "text", "bool", "time", "duration" and "stage" (the
keyword `stage`, which compares only with a stage name in quotes). An int is
usable wherever a number is. `ExprTyper.type_of` returns None for an
expression it has already reported as wrong, and every check treats None as
"anything", so one mistake gives one message, not a cascade.

Types are recorded in `types[id(node)]` and the resolution of each bare name in
`refs[id(node)]` ("field" or "score"); the checker hands both to the Model.
"""

from __future__ import annotations

from leadflow.dsl import ast
from leadflow.dsl.checks_messages import (
    NUMERIC,
    condition_hint,
    describe,
    literal_hint,
    names_list,
    show,
    type_word,
)
from leadflow.dsl.diagnostics import did_you_mean
from leadflow.dsl.scope import Report, Scope, Symbols, event_scope, name_span, trailing_span

ORDERED = frozenset({"number", "int", "text", "time", "duration"})
IN_LIST_TYPES = frozenset({"number", "int", "text", "bool"})
LIST_ITEM_TYPES = IN_LIST_TYPES  # what `last` and `top` collect
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
# Arithmetic on times and durations (SPEC 4); numbers are handled separately.
TIME_ARITHMETIC = {
    ("+", "time", "duration"): "time",
    ("+", "duration", "time"): "time",
    ("+", "duration", "duration"): "duration",
    ("-", "time", "time"): "duration",
    ("-", "time", "duration"): "time",
    ("-", "duration", "duration"): "duration",
}
LITERALS = (ast.Number, ast.String, ast.Bool, ast.DurationExpr)


def same_kind(a: str, b: str) -> bool:
    return a == b or (a in NUMERIC and b in NUMERIC)


def assignable(value: str, target: str) -> bool:
    """Can a value of type `value` be stored where `target` is expected (`set lead.x = ...`)?"""
    return value == target or (value == "int" and target == "number") or \
        (value == "stage" and target == "text")


# ------------------------------------------------------------------ typer


class ExprTyper:
    def __init__(self, symbols: Symbols, report: Report, types: dict[int, str],
                 refs: dict[int, str]):
        self.symbols = symbols
        self.report = report
        self.types = types
        self.refs = refs

    # -- entry points --------------------------------------------------
    def type_of(self, expr, scope: Scope) -> str | None:
        t = _METHODS[type(expr)](self, expr, scope)
        if t is not None:
            self.types[id(expr)] = t
        return t

    def condition(self, expr, scope: Scope, keyword: str) -> None:
        """`expr` must be true/false: a `where`, `when`, `while`, `if` or `expect`."""
        t = self.type_of(expr, scope)
        if t is not None and t != "bool":
            self.report.error(f"`{keyword}` needs a condition, but {describe(expr)} is "
                              f"{type_word(t)}", expr.span, condition_hint(expr, t))

    def number(self, expr, scope: Scope, what: str) -> None:
        """`expr` must be a number: the amount of an `add` or `subtract`."""
        t = self.type_of(expr, scope)
        if t is not None and t not in NUMERIC:
            hint = "points are numbers, e.g. `add 5`"
            if t == "duration":
                hint = "a duration is only compared, or added to a time"
            self.report.error(f"{what} must be a number, but {describe(expr)} is {type_word(t)}",
                              expr.span, hint)

    def duration(self, d: ast.Duration) -> None:
        if d.unit not in ast.UNITS:
            self.report.error(f"unknown unit `{d.unit}`", d.span,
                              did_you_mean(d.unit, ast.UNITS) or "units: " + names_list(ast.UNITS))
        elif d.amount < 1:
            self.report.error(f"a duration must be at least `1 {d.unit}`", d.span,
                              "durations count whole units from 1 up")

    # -- names -----------------------------------------------------------
    def _name(self, expr: ast.Name, scope: Scope):
        if expr.name in scope.fields:
            self.refs[id(expr)] = "field"
            return scope.fields[expr.name]
        if expr.name in self.symbols.scores:
            self.refs[id(expr)] = "score"
            return "number"
        if not scope.lenient:
            self.report.error(f"unknown name `{expr.name}`", expr.span,
                              self._name_hint(expr.name, scope))
        return None

    def _name_hint(self, name: str, scope: Scope) -> str:
        symbols = self.symbols
        fields = [f for f in scope.fields if f != "ts"]
        hint = did_you_mean(name, [*fields, *symbols.scores])
        if hint:
            return hint
        if name in symbols.lead:
            return f"lead attributes are read as `lead.{name}`"
        if name in symbols.stages:
            return f'to test the stage, write `stage == "{name}"`'
        owner = symbols.field_owners.get(name)
        if owner is not None and scope.event is None:
            return f"`{name}` is a field of `{owner}`, but {scope.where} has no triggering event"
        if owner is not None:
            return f"`{name}` is a field of `{owner}`, not of `{scope.event}`"
        if scope.event is not None:
            return (f"the fields of `{scope.event}` are {names_list(scope.fields)}; "
                    f"the scores are {names_list(symbols.scores)}")
        return f"in {scope.where} a bare name is a score: {names_list(symbols.scores)}"

    def _lead_field(self, expr: ast.LeadField, scope: Scope):
        t = self.symbols.lead.get(expr.name)
        if expr.name not in self.symbols.lead:
            self.report.error(f"unknown lead field `{expr.name}`",
                              trailing_span(expr.span, expr.name), self._lead_hint(expr.name))
        return t

    def _lead_hint(self, name: str) -> str:
        lead = self.symbols.lead
        if not lead:
            return f"declare it: `lead({name}: text)`"
        return did_you_mean(name, lead) or f"the lead fields are {names_list(lead)}"

    def _stage(self, expr: ast.StageValue, scope: Scope):
        if not self.symbols.stages:
            self.report.error("`stage` is used, but no stages are declared", expr.span,
                              "declare them in order, e.g. `stage visitor` then "
                              "`stage mql when engagement >= 20`")
            return None
        return "stage"

    def unknown_event(self, event: str, span: ast.Span) -> None:
        events = self.symbols.events
        hint = did_you_mean(event, events) or \
            (f"declare it: `event {event}`" if not events else f"the events are {names_list(events)}")
        self.report.error(f"unknown event `{event}`", span, hint)

    def stage_name(self, literal: ast.String) -> None:
        """A string that must name a declared stage (`stage == "mql"`)."""
        self.types[id(literal)] = "text"
        if literal.value not in self.symbols.stages:
            self.report.error(f"unknown stage `{literal.value}`", literal.span,
                              did_you_mean(literal.value, self.symbols.stages)
                              or f"the stages are {names_list(self.symbols.stages)}")

    # -- operators -------------------------------------------------------
    def _unary(self, expr: ast.Unary, scope: Scope):
        t = self.type_of(expr.operand, scope)
        if expr.op == "not":
            if t is not None and t != "bool":
                self.report.error(f"`not` needs a condition, but {describe(expr.operand)} is "
                                  f"{type_word(t)}", expr.operand.span)
            return "bool"
        if t is None or t in NUMERIC:
            return t
        self.report.error(f"{describe(expr.operand)} is {type_word(t)}, but `-` needs a number",
                          expr.operand.span)
        return None

    def _binary(self, expr: ast.Binary, scope: Scope):
        if expr.op in ("and", "or"):
            for side in (expr.left, expr.right):
                t = self.type_of(side, scope)
                if t is not None and t != "bool":
                    self.report.error(f"`{expr.op}` needs a condition on both sides, but "
                                      f"{describe(side)} is {type_word(t)}", side.span,
                                      condition_hint(side, t))
            return "bool"
        if expr.op in COMPARISONS and (isinstance(expr.left, ast.StageValue)
                                       or isinstance(expr.right, ast.StageValue)):
            return self._stage_comparison(expr, scope)
        lt = self.type_of(expr.left, scope)
        rt = self.type_of(expr.right, scope)
        if expr.op in COMPARISONS:
            if lt is not None and rt is not None and "list" in (lt[:4], rt[:4]):
                self.report.error(f"lists do not compare with `{expr.op}`", expr.span,
                                  "use `x in LIST`, or compare its `length(...)`")
            elif lt is not None and rt is not None:
                self._comparison(expr, lt, rt)
            return "bool"
        if lt is None or rt is None:
            return None
        return self._arithmetic(expr, lt, rt)

    def _stage_comparison(self, expr: ast.Binary, scope: Scope):
        stage, other = (expr.left, expr.right) if isinstance(expr.left, ast.StageValue) \
            else (expr.right, expr.left)
        if self.type_of(stage, scope) is None:
            self.type_of(other, scope)
            return "bool"
        if isinstance(other, ast.String):
            self.stage_name(other)
        else:
            self.type_of(other, scope)
            self.report.error(f"`stage` compares only with a stage name in quotes, not "
                              f"{describe(other)}", other.span,
                              f'e.g. `stage {expr.op} "{next(iter(self.symbols.stages))}"`')
        return "bool"

    def _comparison(self, expr: ast.Binary, lt: str, rt: str) -> None:
        op = expr.op
        if not same_kind(lt, rt):
            left_literal = isinstance(expr.left, LITERALS)
            if left_literal != isinstance(expr.right, LITERALS):
                literal, other = (expr.left, expr.right) if left_literal else (expr.right, expr.left)
                lit_t, other_t = (lt, rt) if left_literal else (rt, lt)
                message = (f"{describe(other)} is {type_word(other_t)}, but `{op}` compares it "
                           f"with {type_word(lit_t)}")
                hint = literal_hint(literal, other_t)
            else:
                message = (f"cannot compare {describe(expr.left)} ({type_word(lt)}) with "
                           f"{describe(expr.right)} ({type_word(rt)})")
                hint = f"both sides of `{op}` must have the same type"
            self.report.error(message, expr.span, hint)
        elif op not in ("==", "!=") and lt not in ORDERED:
            self.report.error(f"`{op}` cannot order bools", expr.span, "use `==` or `!=`")

    def _arithmetic(self, expr: ast.Binary, lt: str, rt: str):
        op = expr.op
        if lt in NUMERIC and rt in NUMERIC:
            return "int" if lt == rt == "int" and op != "/" else "number"
        if (op, lt, rt) in TIME_ARITHMETIC:
            return TIME_ARITHMETIC[(op, lt, rt)]
        timeish = {"time", "duration"}
        if op in ("+", "-") and (lt in timeish or rt in timeish):
            number_side = expr.left if lt in NUMERIC else expr.right if rt in NUMERIC else None
            if number_side is not None:
                other = type_word(rt if number_side is expr.left else lt)
                amount = show(number_side) if isinstance(number_side, ast.Number) else "5"
                self.report.error(f"{describe(number_side)} is a number, but `{op}` with "
                                  f"{other} needs a duration", number_side.span,
                                  f"write the unit, e.g. `{amount} days`")
            else:
                self.report.error(f"`{op}` cannot combine {type_word(lt)} and {type_word(rt)}",
                                  expr.span, "time + duration gives a time, time - time a "
                                  "duration; `+ - * /` work on numbers")
            return None
        side, t = (expr.left, lt) if lt not in NUMERIC else (expr.right, rt)
        self.report.error(f"{describe(side)} is {type_word(t)}, but `{op}` needs a number",
                          side.span)
        return None

    def _in(self, expr: ast.In, scope: Scope):
        if isinstance(expr.operand, ast.StageValue):
            if self.type_of(expr.operand, scope) is not None:
                for item in expr.items:
                    if isinstance(item, ast.String):
                        self.stage_name(item)
                    else:
                        self.type_of(item, scope)
                        self.report.error(f"{describe(item)} is not a stage name in quotes",
                                          item.span)
            return "bool"
        t = self.type_of(expr.operand, scope)
        item_types = [self.type_of(item, scope) for item in expr.items]
        if t is None:
            return "bool"
        if t not in IN_LIST_TYPES:
            self.report.error(f"{describe(expr.operand)} is {type_word(t)}, but `in` needs a "
                              "number, text or a bool", expr.operand.span)
            return "bool"
        for item, item_t in zip(expr.items, item_types):
            if item_t is not None and not same_kind(item_t, t):
                self.report.error(f"{describe(item)} is {type_word(item_t)}, but "
                                  f"{describe(expr.operand)} is {type_word(t)}", item.span,
                                  literal_hint(item, t))
        return "bool"

    def _matches(self, expr: ast.Matches, scope: Scope):
        t = self.type_of(expr.operand, scope)
        if t is not None and t != "text":
            self.report.error(f"{describe(expr.operand)} is {type_word(t)}, but `matches` needs "
                              "text", expr.operand.span)
        return "bool"

    def _is_missing(self, expr: ast.IsMissing, scope: Scope):
        self.type_of(expr.operand, scope)
        return "bool"

    # -- aggregates ------------------------------------------------------
    def _aggregate(self, expr: ast.Aggregate, scope: Scope):
        fields = self.symbols.events.get(expr.event)
        if fields is None:
            self.unknown_event(expr.event, name_span(expr))
        if expr.where is not None:
            inner = scope.inside(event_scope(self.symbols, expr.event, f"`{expr.func}(...)`"))
            self.condition(expr.where, inner, "where")
        if expr.within is not None:
            self.duration(expr.within)
        if expr.func == "count":
            return "int"
        if expr.func in ast.LIST_AGGREGATES:
            return self._list_aggregate(expr, fields)
        fallback = {"sum": "number", "avg": "number", "distinct": "int"}.get(expr.func)
        if fields is None:
            return fallback
        field_span = expr.field_span if expr.field_span != ast.NO_SPAN else expr.span
        t = fields.get(expr.field)
        if not self._has_field(expr, fields, field_span):
            return fallback
        if expr.func == "distinct":
            return "int"
        if t is None:
            return fallback
        if t in NUMERIC:
            return "number"
        if t == "time" and expr.func in ("min", "max"):
            return "time"
        wanted = "a number or time" if expr.func in ("min", "max") else "a number"
        self.report.error(f"`{expr.func}` needs {wanted} field, but `{expr.event}.{expr.field}` "
                          f"is {type_word(t)}", field_span,
                          f"`count({expr.event} ...)` or `distinct({expr.event}.{expr.field})` "
                          "work on any field")
        return fallback

    def _has_field(self, expr: ast.Aggregate, fields, field_span: ast.Span) -> bool:
        """Whether the aggregated event has the field; an error with a hint when not."""
        if expr.field in fields:
            return True
        own = [f for f in fields if f != "ts"]
        hint = did_you_mean(expr.field, fields) or (
            f"the fields of `{expr.event}` are {names_list(own)}" if own
            else f"`{expr.event}` has no fields besides `ts`")
        self.report.error(f"`{expr.event}` has no field `{expr.field}`", field_span, hint)
        return False

    def _list_aggregate(self, expr: ast.Aggregate, fields) -> str | None:
        """`last(N, E.f ...)` / `top(N, E.f ...)`: a list of the field's type."""
        if expr.limit is not None and expr.limit < 1:
            self.report.error(f"`{expr.func}` gives at least 1 value, not {expr.limit}", expr.span,
                              f"e.g. `{expr.func}(3, {expr.event}.{expr.field})`")
        if fields is None:
            return None
        field_span = expr.field_span if expr.field_span != ast.NO_SPAN else expr.span
        if not self._has_field(expr, fields, field_span):
            return None
        t = fields[expr.field]
        if t is None:
            return None
        if t not in LIST_ITEM_TYPES:
            self.report.error(f"`{expr.func}` collects text, numbers or bools, but "
                              f"`{expr.event}.{expr.field}` is {type_word(t)}", field_span,
                              f"`max({expr.event}.{expr.field})` gives the latest time")
            return None
        return f"list of {t}"

    def _since(self, expr: ast.Since, scope: Scope):
        if expr.event not in self.symbols.events:
            self.unknown_event(expr.event, name_span(expr))
        if expr.where is not None:
            inner = scope.inside(event_scope(self.symbols, expr.event, "`since(...)`"))
            self.condition(expr.where, inner, "where")
        return "duration"

    # -- text, lists, the triggering event -------------------------------
    def _this_field(self, expr: ast.ThisField, scope: Scope):
        if scope.nested:
            self.report.error("`this` cannot be used in an aggregate inside another "
                              "aggregate's `where`", expr.span,
                              "compare with the triggering event in the outer aggregate")
            return None
        event, fields = scope.this()
        if event is None:
            self.report.error(f"`this.{expr.name}` reads the triggering event, but {scope.where} "
                              "has none", expr.span,
                              "`this` works in `on EVENT` rules and in flows that start on one event")
            return None
        if expr.name in fields:
            self.refs[id(expr)] = "field"
            return fields[expr.name]
        if not scope.lenient and fields:
            own = [f for f in fields if f != "ts"]
            self.report.error(f"`{event}` has no field `{expr.name}`",
                              trailing_span(expr.span, expr.name),
                              did_you_mean(expr.name, fields) or f"the fields of `{event}` are "
                              f"{names_list(own)}")
        return None

    def _text_op(self, expr: ast.TextOp, scope: Scope):
        for side in (expr.left, expr.right):
            t = self.type_of(side, scope)
            if t is not None and t != "text":
                hint = None
                if t.startswith("list") and expr.op == "contains":
                    hint = f"for a list, write `{show(expr.right)} in {show(expr.left)}`"
                self.report.error(f"`{expr.op}` works on text, but {describe(side)} is "
                                  f"{type_word(t)}", side.span, hint)
        return "bool"

    def _call(self, expr: ast.Call, scope: Scope):
        t = self.type_of(expr.operand, scope)
        if expr.func == "lower":
            if t is not None and t != "text":
                self.report.error(f"`lower` needs text, but {describe(expr.operand)} is "
                                  f"{type_word(t)}", expr.operand.span)
            return "text"
        if t is not None and t != "text" and not t.startswith("list"):
            self.report.error(f"`length` needs text or a list, but {describe(expr.operand)} is "
                              f"{type_word(t)}", expr.operand.span)
        return "int"

    def _in_value(self, expr: ast.InValue, scope: Scope):
        t = self.type_of(expr.operand, scope)
        lt = self.type_of(expr.collection, scope)
        word = "not in" if expr.negated else "in"
        if lt is not None and not lt.startswith("list of "):
            self.report.error(f"`{word}` needs a list, but {describe(expr.collection)} is "
                              f"{type_word(lt)}", expr.collection.span,
                              'write the list in brackets, e.g. `in ["a", "b"]`, or use '
                              "`last(...)` or `top(...)`")
            return "bool"
        if t is not None and lt is not None and not same_kind(t, lt[len("list of "):]):
            self.report.error(f"{describe(expr.operand)} is {type_word(t)}, but "
                              f"{describe(expr.collection)} is {type_word(lt)}", expr.operand.span)
        return "bool"

    def _sent(self, expr: ast.Sent, scope: Scope):
        if not scope.in_test:
            word = "sent" if expr.kind == "send" else "notified"
            self.report.error(f"`{word}` is only for test expectations", expr.span,
                              f"in rules, `{expr.kind}` is an action")
        seen: dict[str, ast.Span] = {}
        for arg in expr.args:
            self.report.is_first(seen, arg.name, arg.span, f"`{arg.name}` is given twice",
                                 f"`{arg.name}`")
            self.type_of(arg.value, scope)
        return "bool"

    def _list_value(self, expr: ast.ListValue, scope: Scope):
        """`[1, 2]` in `expect sent ... with k = [1, 2]`: items of one type."""
        kinds = [self.type_of(item, scope) for item in expr.items]
        first = next((k for k in kinds if k is not None), None)
        for item, kind in zip(expr.items, kinds):
            if kind is not None and first is not None and not same_kind(kind, first):
                self.report.error(f"{describe(item)} is {type_word(kind)}, but the list holds "
                                  f"{type_word(first)}", item.span, "a list holds one type")
        return "list" if first is None else f"list of {'number' if first in NUMERIC else first}"


def _literal_type(expr: ast.Number) -> str:
    return "int" if isinstance(expr.value, int) and not isinstance(expr.value, bool) else "number"


_METHODS = {
    ast.Number: lambda self, e, s: _literal_type(e),
    ast.String: lambda self, e, s: "text",
    ast.Bool: lambda self, e, s: "bool",
    ast.DurationExpr: lambda self, e, s: self.duration(e.duration) or "duration",
    ast.Tagged: lambda self, e, s: "bool",
    ast.Name: ExprTyper._name,
    ast.LeadField: ExprTyper._lead_field,
    ast.StageValue: ExprTyper._stage,
    ast.Unary: ExprTyper._unary,
    ast.Binary: ExprTyper._binary,
    ast.In: ExprTyper._in,
    ast.Matches: ExprTyper._matches,
    ast.IsMissing: ExprTyper._is_missing,
    ast.Aggregate: ExprTyper._aggregate,
    ast.Since: ExprTyper._since,
    ast.Sent: ExprTyper._sent,
    ast.ListValue: ExprTyper._list_value,
    ast.ThisField: ExprTyper._this_field,
    ast.TextOp: ExprTyper._text_op,
    ast.Call: ExprTyper._call,
    ast.InValue: ExprTyper._in_value,
}
