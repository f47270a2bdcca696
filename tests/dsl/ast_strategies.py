"""Hypothesis strategies for syntactically valid leadflow ASTs.

`modules()` draws whole files: declarations, every rule form, actions,
modifiers, expressions of bounded depth, flows with waits and if/else, tests,
send limits and quiet hours. The trees are *syntactically* valid — every one
can be written as text the parser reads back to the same tree — but not
checked: names are drawn from a small pool and need not be declared.

What "syntactically valid" rules out (the parser could never build it):
- negative numbers inside expressions (`-5` reads as negation of 5); they
  appear only in list items, test field values and score bounds;
- floats and percentages where the grammar takes a whole number;
- `sent`/`notified` outside a test's `expect`, and `not` around them only there;
- an unlabelled `when` rule right after a `stage` without a condition
  (`stage s when c add 1` reads as one stage); such rules get a label.

Every node has the default NO_SPAN; AST equality ignores spans.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from leadflow.dsl import ast

# No reserved keyword here (tests check this against the grammar). Type names
# such as `text` are ordinary identifiers to the grammar.
NAMES = ("a", "b", "amount", "url", "purchase", "page_view", "engagement", "sql",
         "x_1", "_tmp", "Cart", "text", "number")
EXPR_DEPTH = 3
STEP_DEPTH = 2

names = st.sampled_from(NAMES)
optional_names = st.none() | names
texts = st.text(max_size=10)  # any character but lone surrogates, which the parser rejects
wholes = st.integers(0, 10**20)
# The parser takes at most 30 characters in a number and no exponent: floats
# between 1e-9 and 1e15 spell out within that (1e-05 prints as 0.00001).
unsigned_floats = st.just(0.0) | st.floats(min_value=1e-9, max_value=1e15)
unsigned_numbers = wholes | unsigned_floats
signed_numbers = (st.integers(-(10**20), 10**20) | unsigned_floats
                  | unsigned_floats.map(lambda x: -x))
durations = st.builds(ast.Duration, st.integers(0, 400), st.sampled_from(ast.UNITS))
optional_durations = st.none() | durations
comparisons = st.sampled_from(("==", "!=", "<", "<=", ">", ">="))


def _tuples(elements, max_size: int = 3, min_size: int = 0):
    return st.lists(elements, min_size=min_size, max_size=max_size).map(tuple)


# -------------------------------------------------------------- expressions

literals = st.one_of(
    st.builds(ast.Number, signed_numbers),
    st.builds(ast.String, texts),
    st.builds(ast.Bool, st.booleans()),
)

leaf_exprs = st.one_of(
    st.builds(ast.Number, unsigned_numbers),
    st.builds(ast.String, texts),
    st.builds(ast.Bool, st.booleans()),
    st.builds(ast.DurationExpr, durations),
    st.builds(ast.Name, names),
    st.builds(ast.LeadField, names),
    st.builds(ast.StageValue),
    st.builds(ast.Tagged, texts),
    st.builds(ast.ThisField, names),
)


@cache
def exprs(depth: int = EXPR_DEPTH) -> st.SearchStrategy:
    """Expressions nested at most `depth` operators deep."""
    if depth == 0:
        return leaf_exprs
    sub = exprs(depth - 1)
    operators = st.sampled_from(("or", "and", "+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">="))
    aggregate = st.one_of(
        st.builds(ast.Aggregate, st.just("count"), names, st.none(), st.none() | sub, optional_durations),
        st.builds(ast.Aggregate, st.sampled_from(("sum", "min", "max", "avg", "distinct")),
                  names, names, st.none() | sub, optional_durations),
        st.builds(ast.Aggregate, st.sampled_from(ast.LIST_AGGREGATES), names, names,
                  st.none() | sub, optional_durations, limit=wholes),
    )
    return st.one_of(
        leaf_exprs,
        st.builds(ast.Binary, operators, sub, sub),
        st.builds(ast.Unary, st.sampled_from(("-", "not")), sub),
        st.builds(ast.In, sub, _tuples(literals), st.booleans()),
        st.builds(ast.Matches, sub, texts),
        st.builds(ast.IsMissing, sub, st.booleans()),
        st.builds(ast.InValue, sub, sub, st.booleans()),
        st.builds(ast.TextOp, st.sampled_from(ast.TEXT_OPS), sub, sub),
        st.builds(ast.Call, st.sampled_from(ast.FUNCTIONS), sub),
        aggregate,
        st.builds(ast.Since, names, st.none() | sub),
    )


optional_exprs = st.none() | exprs()

# ------------------------------------------------------------------ actions

adds = st.builds(ast.Add, exprs(), optional_names, st.booleans())
actions = st.one_of(
    adds,
    st.builds(ast.SubtractPercent, unsigned_numbers, optional_names),
    st.builds(ast.SetField, names, exprs()),
    st.builds(ast.Tag, texts, st.booleans()),
    st.builds(ast.Send, st.sampled_from(("send", "notify")), texts,
              _tuples(st.builds(ast.Arg, names, exprs()))),
    st.builds(ast.FlowControl, st.sampled_from(("start", "stop")), names),
)

modifiers = st.one_of(
    st.builds(ast.Once, optional_durations),
    st.builds(ast.UpTo, wholes),
    st.builds(ast.CappedAt, unsigned_numbers),
    st.builds(ast.ExpiresAfter, durations),
)

# -------------------------------------------------------------------- rules

triggers = st.one_of(
    st.builds(ast.OnEvent, names, optional_exprs,
              st.none() | st.builds(ast.CountClause, comparisons, wholes, optional_durations),
              optional_exprs),
    st.builds(ast.WhenCond, exprs()),
    st.builds(ast.Every, durations, optional_names),
    st.builds(ast.OnStage, st.sampled_from(("enter", "exit")), names),
)

rules = st.one_of(
    st.builds(ast.Rule, optional_names, triggers, _tuples(actions, min_size=1), _tuples(modifiers)),
    # `while` carries exactly one add or subtract and no modifiers.
    st.builds(ast.Rule, optional_names, st.builds(ast.While, exprs()),
              adds.map(lambda a: (a,)), st.just(())),
)

# -------------------------------------------------------------------- flows


@cache
def steps(depth: int = STEP_DEPTH) -> st.SearchStrategy:
    """Flow steps; `if` blocks nest at most `depth` deep."""
    simple = actions | st.builds(ast.Wait, durations)
    if depth == 0:
        return simple
    sub = _tuples(steps(depth - 1))
    return simple | st.builds(ast.If, exprs(), sub, sub)


flows = st.builds(ast.FlowDecl, names,
                  _tuples(st.builds(ast.FlowTrigger, st.sampled_from(("start", "stop")), names,
                                    optional_exprs)),
                  _tuples(steps(), max_size=5))

# -------------------------------------------------------------------- tests


@st.composite
def time_literals(draw) -> ast.TimeLiteral:
    """`2024-01-10`, `2024-01-10T09:30`, `...:00.5Z`, `...+02:00`: any digits the lexer takes."""
    def digits(n):
        return draw(st.text("0123456789", min_size=n, max_size=n))
    text = f"{digits(4)}-{digits(2)}-{digits(2)}"
    if draw(st.booleans()):
        text += f"T{digits(2)}:{digits(2)}"
        if draw(st.booleans()):
            text += f":{digits(2)}"
            if draw(st.booleans()):
                text += "." + draw(st.text("0123456789", min_size=1, max_size=3))
    text += draw(st.sampled_from(("", "Z", "+02:00", "-05:30")))
    return ast.TimeLiteral(text)


field_values = _tuples(st.builds(ast.FieldValue, names, literals))
# `expect sent "x" with k = v`: literals, or a list of literals for a list argument.
sent_values = literals | st.builds(ast.ListValue, _tuples(literals))
sent = st.builds(ast.Sent, st.sampled_from(("send", "notify")), texts,
                 _tuples(st.builds(ast.Arg, names, sent_values)))
expect_conds = exprs() | sent | sent.map(lambda s: ast.Unary("not", s))

test_steps = st.one_of(
    st.builds(ast.TestLead, field_values),
    st.builds(ast.TestEvent, time_literals(), names, field_values),
    st.builds(ast.Expect, expect_conds, st.none() | time_literals()),
)

test_blocks = st.builds(ast.TestBlock, texts, _tuples(test_steps, max_size=4))

# ------------------------------------------------------------- declarations

field_decls = _tuples(st.builds(ast.FieldDecl, names, names))
clocks = st.builds(ast.Clock, st.integers(0, 23), st.integers(0, 59))

declarations = st.one_of(
    st.builds(ast.RulesetDecl, names),
    st.builds(ast.TimezoneDecl, texts),
    st.builds(ast.TestsFor, texts),
    st.builds(ast.EventDecl, names, field_decls),
    st.builds(ast.LeadDecl, field_decls),
    st.builds(ast.ScoreDecl, names, st.none() | signed_numbers, st.none() | signed_numbers),
    st.builds(ast.StageDecl, names, optional_exprs),
    rules,
    st.builds(ast.SendLimit, wholes, durations),
    st.builds(ast.QuietHours, clocks, clocks),
    flows,
    test_blocks,
)


def _readable_order(body: list) -> tuple:
    """Label a `when` rule that would otherwise read as the condition of the stage before it."""
    fixed = []
    for decl in body:
        previous = fixed[-1] if fixed else None
        if (isinstance(decl, ast.Rule) and decl.name is None and isinstance(decl.trigger, ast.WhenCond)
                and isinstance(previous, ast.StageDecl) and previous.when is None):
            decl = ast.Rule("labelled", decl.trigger, decl.actions, decl.modifiers)
        fixed.append(decl)
    return tuple(fixed)


def modules(max_declarations: int = 8) -> st.SearchStrategy:
    """Whole files of up to `max_declarations` statements."""
    body = st.lists(declarations, max_size=max_declarations).map(_readable_order)
    return st.builds(ast.Module, st.just("<generated>"), body)
