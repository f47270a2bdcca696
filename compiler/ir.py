"""The compiler's intermediate representation: a resolved, engine-shaped ruleset.

`lower(model)` builds a `Program` from the checked model; optimizer passes
(`leadflow.compiler.passes`) rewrite it; `codegen` turns it into Python source.

Differences from the AST: names are resolved (a bare name is either a field of
the context event or a score index), events/scores/stages/flows are referred to
by index, aggregates are hoisted out of expressions into `Program.aggregates`
and referred to by id, durations are `Span`s (fixed microseconds or calendar
months), flows are flat instruction lists. Every node is a frozen dataclass
compared by value, so pass fixtures can state the expected IR literally.

Every optimizer pass rewrites this IR, and code generation renders what it
says: a pass either transforms nodes (folds, removes, shares, inlines) or
writes its decision as a typed node or field (an aggregate's `storage`, a
rule's `fused`, the program's `dispatch`, `timers` and `settle_watch`).
`lower` builds the plain, unoptimized program (filters as `FilterCall`s, no
`Dispatch`), so code generation works with every pass turned off, and an IR
dump (compiler/irdump.py) shows what each pass changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---------------------------------------------------------------- durations


@dataclass(frozen=True)
class Dur:
    """A duration: fixed microseconds (`months == 0`), or a whole number of calendar months."""

    micros: int = 0
    months: int = 0

    @property
    def calendar(self) -> bool:
        return self.months != 0


# -------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Const:
    value: object  # int | float | str | bool | None (None: missing)


@dataclass(frozen=True)
class Field:
    """A field of the context event, by name; "ts" is the event's time."""

    name: str


@dataclass(frozen=True)
class LeadAttr:
    index: int  # into Program.lead_fields


@dataclass(frozen=True)
class Score:
    index: int


@dataclass(frozen=True)
class StageIndex:
    """The current stage as its declaration index (only when stages are declared)."""


@dataclass(frozen=True)
class StageName:
    """The current stage's name, or missing when no stage is declared."""


@dataclass(frozen=True)
class StageOrder:
    """The declaration index of the stage a text value names (missing when it names none)."""

    operand: Expr


@dataclass(frozen=True)
class Tagged:
    tag: str


@dataclass(frozen=True)
class Now:
    """The evaluation time."""


@dataclass(frozen=True)
class CalendarLength:
    """A calendar duration used as a value: now − (now − months), in microseconds."""

    months: int


@dataclass(frozen=True)
class AggValue:
    """The value of `Program.aggregates[id]` at the evaluation time."""

    id: int


@dataclass(frozen=True)
class SinceValue:
    """now − the time of the last matching event of `Program.trackers[id]`; missing if none."""

    id: int


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class InList:
    operand: Expr
    items: tuple  # constant values
    negated: bool = False


@dataclass(frozen=True)
class Match:
    """A glob over the whole string: as written, and translated to a regular expression."""

    operand: Expr
    regex: str
    glob: str = ""


@dataclass(frozen=True)
class IsMissing:
    operand: Expr
    negated: bool = False


@dataclass(frozen=True)
class Outer:
    """`this.x` inside an aggregate's filter: field x of the event the aggregate is read for
    (outside a filter, `this.x` is just `Field(x)`)."""

    name: str


@dataclass(frozen=True)
class TextOp:
    op: str  # "contains" or "starts with"
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    func: str  # "lower" or "length"
    operand: Expr


@dataclass(frozen=True)
class InValue:
    """`left in right` where right is a list value (a `last`/`top` aggregate)."""

    left: Expr
    right: Expr
    negated: bool = False


@dataclass(frozen=True)
class FilterCall:
    """A filter evaluated by a call to a module-level function of its own (the plain choice).

    `lower` wraps each filter this way: an `on` rule's `where` and `when`, a
    flow trigger's `where`, the `where` of an aggregate or `since` tracker that
    is not replayed; `passes.inline_filters` replaces each with the expression
    it wraps, which the generated code then evaluates in place.
    """

    operand: Expr


Expr = (Const | Field | LeadAttr | Score | StageIndex | StageName | StageOrder | Tagged | Now
        | CalendarLength | AggValue | SinceValue | Not | Neg | Arith | Compare | And | Or | InList
        | Match | IsMissing | Outer | TextOp | Call | InValue | FilterCall)


# --------------------------------------------------------------- aggregates

# How an aggregate keeps its state (chosen by `passes.bound_windows`):
#   "history"  every matching (ts, value), scanned at each read (the plain choice)
#   "counter"  an int (count without window)
#   "recent"   the last `keep` matching timestamps (count compared with a constant)
#   "window"   matching (ts, value) pairs, evicted as they leave the window
#   "running"  a running sum / min / max / (sum, count) without window
#   "distinct" a set of values (distinct without window)
#   "replay"   every event of the type with its fields; the filter is evaluated
#              at read time because it reads lead state, not only the event
STORAGES = ("history", "counter", "recent", "window", "running", "distinct", "replay")

# Where the generated code keeps due times (chosen by `passes.choose_timers`; "heap" is the
# plain choice: every timer in a heap per lead).
TIMER_MODES = ("none", "one", "every", "mixed", "heap")


@dataclass(frozen=True)
class Aggregate:
    id: int
    func: str  # count sum min max avg distinct last top
    event: int
    field: str | None  # None for count
    where: Expr | None  # over the aggregated event's fields
    within: Dur | None
    storage: str = "history"
    keep: int = 0  # for "recent": how many timestamps to keep
    limit: int = 0  # N of `last(N, ...)` / `top(N, ...)`


@dataclass(frozen=True)
class Tracker:
    """The time of the last event of a type (matching `where`), for `since`."""

    id: int
    event: int
    where: Expr | None
    replay: bool = False  # `where` reads lead state: keep every event, scan back at read time


# ------------------------------------------------------------------ actions


@dataclass(frozen=True)
class AddScore:
    """`add`/`subtract` (amount already negated) and `subtract N%` (amount `-score * N / 100`)."""

    score: int
    amount: Expr
    verb: str = "add"  # for the trace: "add", "subtract", or the whole text "subtract 25%"


@dataclass(frozen=True)
class SetAttr:
    index: int
    value: Expr


@dataclass(frozen=True)
class TagOp:
    tag: str
    remove: bool = False


@dataclass(frozen=True)
class Emit:
    kind: str  # "send" or "notify"
    target: str
    args: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class FlowOp:
    op: str  # "start" or "stop"
    flow: int


Action = AddScore | SetAttr | TagOp | Emit | FlowOp


@dataclass(frozen=True)
class Modifiers:
    once: bool = False
    per: Dur | None = None
    up_to: int | None = None
    cap: float | int | None = None
    expires: Dur | None = None

    @property
    def needs_count(self) -> bool:
        return self.once or self.up_to is not None

    @property
    def any(self) -> bool:
        return self != Modifiers()


# -------------------------------------------------------------------- rules


@dataclass(frozen=True)
class CountCheck:
    """`count OP N [within D]` of an `on` rule: `AggValue(agg) OP n`."""

    agg: int
    op: str
    n: int


@dataclass(frozen=True)
class Rule:
    """One rule of any form; `kind` says which trigger fields are meaningful.

    kind "on":     event, where, count, when
    kind "when":   when (the condition, fired on a rising edge)
    kind "every":  period, without (an event index, or None for activity)
    kind "enter" / "exit": stage
    kind "while":  when (the condition); actions is one AddScore
    """

    index: int  # position in the file among all rules: the id of its state
    id: str  # the rule id users see (label or file-stem:line)
    file: str
    line: int
    kind: str
    actions: tuple[Action, ...]
    modifiers: Modifiers = Modifiers()
    event: int | None = None
    where: Expr | None = None
    count: CountCheck | None = None
    when: Expr | None = None
    period: Dur | None = None
    without: int | None = None
    stage: int | None = None
    fused: bool = False  # evaluate and apply in one step (no earlier rule writes what it reads)
    trigger_text: str = ""  # `every` rules, for the trace: "30 day(s) without activity"


# -------------------------------------------------------------------- flows


@dataclass(frozen=True)
class Do:
    action: Action


@dataclass(frozen=True)
class Wait:
    dur: Dur
    text: str = ""  # for the trace: "2 day(s)"


@dataclass(frozen=True)
class JumpUnless:
    cond: Expr
    target: int


@dataclass(frozen=True)
class Jump:
    target: int


Instr = Do | Wait | JumpUnless | Jump


@dataclass(frozen=True)
class FlowTrigger:
    event: int
    where: Expr | None


@dataclass(frozen=True)
class Flow:
    """A flow's steps as a flat program; running off the end ends the instance."""

    index: int
    name: str
    file: str
    line: int
    event: int | None  # the one event all `start on` name: its fields are what steps read
    starts: tuple[FlowTrigger, ...]
    stops: tuple[FlowTrigger, ...]
    code: tuple[Instr, ...]


# ----------------------------------------------------------------- dispatch


@dataclass(frozen=True)
class EventBranch:
    """What an event of one type runs: its aggregates and trackers are recorded, then these
    `on` rules (by `Rule.index`, file order) are evaluated, then its flow triggers."""

    event: int
    rules: tuple[int, ...] = ()


@dataclass(frozen=True)
class Dispatch:
    """The event loop branches once on the event's type (`passes.dispatch_by_event`).

    One branch per event type that has anything to do, in declaration order; a
    type with no branch runs nothing. Without a `Dispatch` (the plain program)
    every `on` rule tests the event's type itself.
    """

    branches: tuple[EventBranch, ...]


# ------------------------------------------------------------------ program


@dataclass(frozen=True)
class ScoreInfo:
    name: str
    low: float | int | None
    high: float | int | None


@dataclass(frozen=True)
class EventInfo:
    name: str
    fields: tuple[tuple[str, str], ...]  # (name, type), declared order


@dataclass(frozen=True)
class Delivery:
    send_limit: int | None = None
    limit_per: Dur | None = None
    limit_text: str = ""  # for the trace: "4 per 1 days"
    quiet_start: int | None = None  # minutes after local midnight
    quiet_end: int | None = None


@dataclass(frozen=True)
class Program:
    name: str | None
    file: str
    timezone: str
    events: tuple[EventInfo, ...]
    lead_fields: tuple[tuple[str, str], ...]
    scores: tuple[ScoreInfo, ...]
    stages: tuple[str, ...]
    stage_conds: tuple[Expr | None, ...]  # one per stage; the first is None
    stage_lines: tuple[tuple[str, int], ...]  # (file, line) of each stage declaration
    rules: tuple[Rule, ...]
    flows: tuple[Flow, ...]
    aggregates: tuple[Aggregate, ...]
    trackers: tuple[Tracker, ...]
    delivery: Delivery = Delivery()
    # Decisions of the passes (plain defaults from `lower`):
    dispatch: Dispatch | None = None  # branch on the event type (None: every rule tests it)
    timers: str = "heap"  # one of TIMER_MODES (see passes/choose_timers.py)
    # the values settle conditions read, to skip a settle when none changed (passes/watch_settle.py);
    # None: settle after every event and timer
    settle_watch: tuple[Expr, ...] | None = None
    # the settle conditions themselves, when none can raise: when the values changed but no
    # condition's value did, settle is still skipped (None: settle whenever the values change)
    settle_conditions: tuple[Expr, ...] | None = None
    warnings: tuple[tuple[str, int, str], ...] = field(default=())  # (file, line, message)

    def rule(self, index: int) -> Rule:
        for rule in self.rules:
            if rule.index == index:
                return rule
        raise KeyError(index)
