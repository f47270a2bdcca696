"""The leadflow abstract syntax tree.

Every node is a frozen dataclass whose first field is its `span`. Spans are
compared as equal to each other (`compare=False`), so two trees built from
differently laid-out text compare equal when they mean the same thing; this is
what the formatter round-trip property relies on.

Nothing from Lark leaves `leadflow.dsl`: the parser turns Lark trees into these
nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Where a node stands in its source: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<none>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# Nodes that name something in the middle of their text (`on purchse add 5`)
# also carry `name_span`, the span of that name token alone, so the checker can
# point a caret at exactly the misspelt name. It is NO_SPAN for nodes built by hand.


# ---------------------------------------------------------------- durations


UNITS = ("minute", "hour", "day", "week", "month", "year")


@dataclass(frozen=True)
class Duration:
    """`6 months`: an integer amount of one calendar or fixed unit (singular form)."""

    amount: int
    unit: str  # one of UNITS, or an unknown word the checker reports
    span: Span = _span()


@dataclass(frozen=True)
class Clock:
    """`22:00` in `quiet hours`: minutes after local midnight."""

    hour: int
    minute: int
    span: Span = _span()


@dataclass(frozen=True)
class TimeLiteral:
    """`2024-01-10T09:30` in tests, as written; the checker validates it, the engine reads it."""

    text: str
    span: Span = _span()


# -------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Number:
    value: int | float
    span: Span = _span()


@dataclass(frozen=True)
class String:
    value: str
    span: Span = _span()


@dataclass(frozen=True)
class Bool:
    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class DurationExpr:
    """A duration used as a value, e.g. `since(purchase) > 30 days`."""

    duration: Duration
    span: Span = _span()


@dataclass(frozen=True)
class Name:
    """A bare name: a field of the triggering event (including `ts`) or a score."""

    name: str
    span: Span = _span()


@dataclass(frozen=True)
class LeadField:
    """`lead.country`."""

    name: str
    span: Span = _span()


@dataclass(frozen=True)
class StageValue:
    """The keyword `stage`: the lead's current stage name."""

    span: Span = _span()


@dataclass(frozen=True)
class Tagged:
    """`tagged "vip"`."""

    tag: str
    span: Span = _span()


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / == != < <= > >= and or
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class In:
    """`x in [a, b]`, or `x not in [a, b]` with negated=True."""

    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Matches:
    """`url matches "*/tacon*"`: a glob with `*` and `?` over the whole string."""

    operand: Expr
    pattern: str
    span: Span = _span()


@dataclass(frozen=True)
class IsMissing:
    """`x is missing`, or `x is not missing` with negated=True."""

    operand: Expr
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class InValue:
    """`x in EXPR` / `x not in EXPR` where EXPR is a list value (`last(...)`, `top(...)`)."""

    operand: Expr
    collection: Expr
    negated: bool = False
    span: Span = _span()


TEXT_OPS = ("contains", "starts with")


@dataclass(frozen=True)
class TextOp:
    """`url contains "tacon"`, `url starts with "/es/"` (case-sensitive)."""

    op: str  # one of TEXT_OPS
    left: Expr
    right: Expr
    span: Span = _span()


FUNCTIONS = ("lower", "length")


@dataclass(frozen=True)
class Call:
    """`lower(url)` (text in lower case) or `length(x)` (characters of a text, items of a list)."""

    func: str  # one of FUNCTIONS
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class ThisField:
    """`this.category`: a field of the triggering event, also inside an aggregate's `where`."""

    name: str
    span: Span = _span()


AGGREGATES = ("count", "sum", "min", "max", "avg", "distinct")
LIST_AGGREGATES = ("last", "top")


@dataclass(frozen=True)
class Aggregate:
    """`count(purchase where amount > 100 within 6 months)`, `sum(purchase.amount)`.

    `field` is None for `count` only. `last(3, product_view.sku)` and
    `top(5, search.query within 30 days)` are list aggregates: func "last" or
    "top" and `limit` the N.
    """

    func: str  # one of AGGREGATES or LIST_AGGREGATES
    event: str
    field: str | None = None
    where: Expr | None = None
    within: Duration | None = None
    span: Span = _span()
    name_span: Span = _span()
    field_span: Span = _span()
    limit: int | None = None  # N of `last`/`top`, None for the others


@dataclass(frozen=True)
class Since:
    """`since(purchase)`: time since the last such event (a duration), missing if none."""

    event: str
    where: Expr | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class ListValue:
    """`["A", "B"]` as a value: the expected value of a list argument in `expect sent`."""

    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Sent:
    """`sent "offer" [with k = v, ...]` / `notified "sales"`: test expectations only.

    `args` are `Arg`s whose values are literals (or a ListValue): a send
    matches when it has each of them (other arguments are not looked at).
    """

    kind: str  # "send" or "notify"
    target: str
    args: tuple[Arg, ...] = ()
    span: Span = _span()


Expr = (
    Number | String | Bool | DurationExpr | Name | LeadField | StageValue | Tagged | Unary
    | Binary | In | Matches | IsMissing | Aggregate | Since | Sent | ListValue | InValue
    | TextOp | Call | ThisField
)


# ------------------------------------------------------------------ actions


@dataclass(frozen=True)
class Add:
    """`add EXPR [to SCORE]`; `subtract EXPR [from SCORE]` is Add with negate=True."""

    amount: Expr
    score: str | None = None
    negate: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class SubtractPercent:
    """`subtract 25% [from SCORE]`: decay the current value toward zero."""

    percent: int | float
    score: str | None = None
    span: Span = _span()


@dataclass(frozen=True)
class SetField:
    """`set lead.FIELD = EXPR`."""

    field: str
    value: Expr
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Tag:
    """`tag "t"`, or `untag "t"` with remove=True."""

    tag: str
    remove: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Arg:
    """`k = EXPR` in `send ... with k = EXPR`."""

    name: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Send:
    """`send "template" [with ...]` (kind "send") or `notify "team" [with ...]` (kind "notify")."""

    kind: str
    target: str
    args: tuple[Arg, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class FlowControl:
    """`start FLOW` / `stop FLOW` as an action."""

    op: str  # "start" or "stop"
    flow: str
    span: Span = _span()


Action = Add | SubtractPercent | SetField | Tag | Send | FlowControl


# ---------------------------------------------------------------- modifiers


@dataclass(frozen=True)
class Once:
    """`once` (per lead, ever) or `once per DUR` (a cooldown) when `per` is set."""

    per: Duration | None = None
    span: Span = _span()


@dataclass(frozen=True)
class UpTo:
    """`up to N times`."""

    times: int
    span: Span = _span()


@dataclass(frozen=True)
class CappedAt:
    """`capped at N`: the rule's live contribution to its score."""

    limit: int | float
    span: Span = _span()


@dataclass(frozen=True)
class ExpiresAfter:
    """`expires after DUR`: each firing's points are taken back DUR later."""

    after: Duration
    span: Span = _span()


Modifier = Once | UpTo | CappedAt | ExpiresAfter


# ----------------------------------------------------------------- triggers


@dataclass(frozen=True)
class CountClause:
    """`count >= 3 within 6 months` in an `on` rule."""

    op: str  # == != < <= > >=
    value: int
    within: Duration | None = None
    span: Span = _span()


@dataclass(frozen=True)
class OnEvent:
    event: str
    where: Expr | None = None
    count: CountClause | None = None
    when: Expr | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class WhenCond:
    """`when COND`: fires on a rising edge."""

    cond: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Every:
    """`every DUR without EVENT`, or `without activity` when event is None."""

    every: Duration
    without: str | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class OnStage:
    """`on enter STAGE` / `on exit STAGE`."""

    change: str  # "enter" or "exit"
    stage: str
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class While:
    """`while COND`: fit points held while COND holds."""

    cond: Expr
    span: Span = _span()


Trigger = OnEvent | WhenCond | Every | OnStage | While


# ------------------------------------------------------------- declarations


@dataclass(frozen=True)
class FieldDecl:
    """`amount: number` (type names are checked by the checker, not the grammar)."""

    name: str
    type: str
    span: Span = _span()


@dataclass(frozen=True)
class RulesetDecl:
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class TimezoneDecl:
    zone: str
    span: Span = _span()


@dataclass(frozen=True)
class TestsFor:
    """`tests for "other.leadflow"`: this file only holds tests for that ruleset."""

    path: str
    span: Span = _span()


@dataclass(frozen=True)
class EventDecl:
    name: str
    fields: tuple[FieldDecl, ...] = ()
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class LeadDecl:
    fields: tuple[FieldDecl, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class ScoreDecl:
    name: str
    min: int | float | None = None
    max: int | float | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class StageDecl:
    name: str
    when: Expr | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Rule:
    """Any rule form; `name` is None for an unlabelled rule."""

    name: str | None
    trigger: Trigger
    actions: tuple[Action, ...]
    modifiers: tuple[Modifier, ...] = ()
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class SendLimit:
    """`send limit N per DUR`."""

    limit: int
    per: Duration
    span: Span = _span()


@dataclass(frozen=True)
class QuietHours:
    """`quiet hours 22:00 to 08:00` (may wrap past midnight)."""

    start: Clock
    end: Clock
    span: Span = _span()


# -------------------------------------------------------------------- flows


@dataclass(frozen=True)
class FlowTrigger:
    """`start on EVENT [where COND]` / `stop on EVENT [where COND]` in a flow."""

    op: str  # "start" or "stop"
    event: str
    where: Expr | None = None
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Wait:
    duration: Duration
    span: Span = _span()


@dataclass(frozen=True)
class If:
    cond: Expr
    then: tuple[Step, ...]
    otherwise: tuple[Step, ...] = ()
    span: Span = _span()


Step = Add | SubtractPercent | SetField | Tag | Send | FlowControl | Wait | If


@dataclass(frozen=True)
class FlowDecl:
    name: str
    triggers: tuple[FlowTrigger, ...]
    steps: tuple[Step, ...]
    span: Span = _span()
    name_span: Span = _span()


# -------------------------------------------------------------------- tests


@dataclass(frozen=True)
class FieldValue:
    """`amount: 50` in a test's event or lead attributes."""

    name: str
    value: Expr  # a literal: Number, String, Bool, or a negated Number
    span: Span = _span()


@dataclass(frozen=True)
class TestLead:
    """`lead(country: "ES")` inside a test."""

    values: tuple[FieldValue, ...]
    span: Span = _span()


@dataclass(frozen=True)
class TestEvent:
    """`at TIME EVENT(field: value, ...)`."""

    at: TimeLiteral
    event: str
    values: tuple[FieldValue, ...] = ()
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Expect:
    """`[at TIME] expect COND`; `at` is None for a bare `expect` (assert now)."""

    cond: Expr
    at: TimeLiteral | None = None
    span: Span = _span()


TestStep = TestLead | TestEvent | Expect


@dataclass(frozen=True)
class TestBlock:
    name: str
    steps: tuple[TestStep, ...]
    span: Span = _span()
    name_span: Span = _span()


Declaration = (
    RulesetDecl | TimezoneDecl | TestsFor | EventDecl | LeadDecl | ScoreDecl | StageDecl | Rule
    | SendLimit | QuietHours | FlowDecl | TestBlock
)


@dataclass(frozen=True)
class Comment:
    """A `#` comment, kept for the formatter (text includes the `#`)."""

    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Module:
    """One parsed `.leadflow` file: its statements in source order, and its comments."""

    path: str
    body: tuple[Declaration, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    span: Span = _span()
