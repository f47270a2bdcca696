"""Expression emitters: IR expressions → Python expression text.

Nothing from a rule file is ever written as code: constants go through
`literal` (repr, with non-finite floats as names), every identifier is made
here or in `codegen` from indexes (`s0`, `f3`, `g2`, `_RX1`). Each emitted
expression is fully parenthesized, and follows the run-time rules: a
comparison that reads a missing value is false, arithmetic with a missing
value (or dividing by zero) is missing.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable

from leadflow.compiler import ir
from leadflow.compiler.writer import Names
from leadflow.semantics.timemath import FIXED_UNITS, SECOND, calendar_length

_PY_OPS = {"==", "!=", "<", "<=", ">", ">="}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _nonzero_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0


def literal_names(names: list[str]) -> str:
    """A tuple display of generated names: `()`, `(a,)`, `(a, b)`."""
    if len(names) == 1:
        return f"({names[0]},)"
    return "(" + ", ".join(names) + ")"


def ident(name: str) -> str:
    """Guard for generated identifiers: they are made from fixed prefixes and indexes only."""
    if not (name.isascii() and name.isidentifier() and not keyword.iskeyword(name)):
        raise ValueError(f"not a generated identifier: {name!r}")
    return name


class Code(str):
    """Emitted expression text that says what it is, so no one has to read it back.

    `inner` is the text without the parentheses the emitter put around the
    whole (the text itself when there are none); `name` is true for one
    generated name (`s0`, `f3`: reading it twice costs nothing); `constant`
    is true for a literal, whose value is `value`. Text made from a Code with
    an f-string is a plain str again: it is then treated as none of these,
    which is always safe (one more temporary, one more pair of parentheses).
    """

    inner: str
    name: bool
    constant: bool
    value: object

    def __new__(cls, text: str, *, inner: str | None = None, name: bool = False,
                constant: bool = False, value: object = None):
        code = super().__new__(cls, text)
        code.inner = text if inner is None else inner
        code.name = name
        code.constant = constant
        code.value = value
        return code


def group(body: str) -> Code:
    """`(body)`, knowing its inside."""
    return Code(f"({body})", inner=body)


def named(name: str) -> Code:
    """A generated name as an expression."""
    return Code(ident(name), name=True)


def constant(value) -> Code:
    """A constant as an expression (`literal`), knowing its value."""
    return Code(literal(value), inner=_bare_literal(value), constant=True, value=value)


TRUE = Code("True", constant=True, value=True)  # the condition that always holds


def always(code: str) -> bool:
    """Whether a condition is the constant True (so no `if` is written for it)."""
    return isinstance(code, Code) and code.constant and code.value is True


def all_of(parts: list[str]) -> str:
    """`a and b`, leaving out parts that always hold (TRUE when none is left)."""
    kept = [p for p in parts if not always(p)]
    return " and ".join(kept) if kept else TRUE


def inner(code: str) -> str:
    """The text without the parentheses around the whole, when its emitter put them there."""
    return code.inner if isinstance(code, Code) else code


def is_constant(code: str) -> bool:
    """Code its emitter knows the value of (`value`)."""
    return isinstance(code, Code) and code.constant


def is_name(code: str) -> bool:
    return isinstance(code, Code) and code.name


def number_value(code: str) -> float | int | None:
    """The number a constant expression writes (not a bool, not NaN), else None."""
    if not (isinstance(code, Code) and code.constant):
        return None
    value = code.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def call(function, *args: str) -> str:
    """Code calling a function a compiled module carries, by the function itself (so its name
    is never written twice); `args` are code."""
    return f"{function.__name__}({', '.join(args)})"


def literal(value) -> str:
    """Python source for a constant, always through repr (finite floats round-trip exactly)."""
    if _negative_number(value):
        return f"({_bare_literal(value)})"
    return _bare_literal(value)


def _negative_number(value) -> bool:
    """A number written with a minus sign (-0.0 too): parenthesized, as an operand."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return value < 0 if isinstance(value, int) else math.copysign(1.0, value) < 0 and not math.isnan(value)


def _bare_literal(value) -> str:
    """`literal` without the parentheses around a negative number."""
    if isinstance(value, float):
        if math.isnan(value):
            return "_NAN"
        if math.isinf(value):
            return "_INF" if value > 0 else "-_INF"
        return repr(value)
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(f"no literal for {type(value).__name__}")


_UNITS = (("day", FIXED_UNITS["day"]), ("hour", FIXED_UNITS["hour"]),
          ("minute", FIXED_UNITS["minute"]), ("second", SECOND), ("microsecond", 1))


def duration_count(micros: int) -> tuple[int, str]:
    """A fixed duration in µs as a count of its largest whole unit: (30, "day"), (90, "second")."""
    for unit, length in _UNITS:
        if micros >= length and micros % length == 0:
            return micros // length, unit
    return micros, "microsecond"  # 0


def _count_name(count: int, unit: str) -> tuple[str, str]:
    """(`_30_DAYS`, `30 days`): a constant's name and its meaning, for a count of a unit."""
    plural = "" if count == 1 else "s"
    return f"_{count}_{unit.upper()}{plural.upper()}", f"{count} {unit}{plural}"


def window_start(dur: ir.Dur, now: str, consts: Consts) -> str:
    """Python for the exclusive start of the window `(now - dur, now]`."""
    if dur.calendar:
        return f"_shift({now}, {-dur.months})"
    return group(f"{now} - {consts.duration(dur.micros)}")


def month_bounds(months: int) -> tuple[int, int]:
    """(lo, hi) in µs: every t − shift(t, −months) is ≥ lo and < hi, whatever t and time zone.

    n consecutive months last between the shortest and longest run of n month
    lengths in the 400-year Gregorian cycle; clamping the day adds at most 3
    days; a time-zone offset change moves the instant by at most a few hours.
    """
    day, slack = 86_400_000_000, 4 * 3_600_000_000
    lengths = []
    for year in range(2000, 2400):
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        lengths += [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if months > len(lengths):
        return months * 28 * day - slack, months * 31 * day + 3 * day + slack
    lengths = lengths + lengths[:months]
    run = sum(lengths[:months])
    lo = hi = run
    for i in range(months, len(lengths)):
        run += lengths[i] - lengths[i - months]
        lo, hi = min(lo, run), max(hi, run)
    return lo * day - slack, (hi + 3) * day + slack


def glob_string_test(glob: str, operand: str) -> str | None:
    """A glob with at most a leading and a trailing `*` as a string test, else None.

    `*/tacon*` → `'/tacon' in x`, `abc*` → `x.startswith('abc')`, `*abc` →
    `x.endswith('abc')`: for a string, the same truth as the whole-string match
    of its regular expression (`.*` matches any run of characters, newlines
    too), at a fraction of the cost. The glob is the one the rule file wrote
    (ir.Match.glob); any other wildcard (`?`, or `*` inside) keeps the regex.
    """
    lead = glob.startswith("*")
    trail = glob.endswith("*") and len(glob) >= (2 if lead else 1)
    text = glob[1 if lead else 0:len(glob) - 1 if trail else len(glob)]
    if not text or "*" in text or "?" in text:
        return None
    if lead and trail:
        return f"{literal(text)} in {operand}"
    if lead:
        return f"{operand}.endswith({literal(text)})"
    if trail:
        return f"{operand}.startswith({literal(text)})"
    return f"{operand} == {literal(text)}"


class Consts:
    """Module-level constants with generated names, in first-use order (deterministic)."""

    def __init__(self):
        self.names: dict[tuple, str] = {}
        self.params: dict[tuple, list[str]] = {}
        self.numbers: list[str] = []  # `_30_DAYS = 2_592_000_000_000  # 30 days` lines
        self.data: list[str] = []  # `_RX0 = re.compile(...)`, `_IN1 = (...)` lines
        self._counts: dict[str, int] = {}
        self.functions: list[str] = []  # module-level filter functions
        self.constant_compares = False  # whether some emitted comparison has constants on both sides
        self.uses_re = False  # whether a constant is a compiled pattern (the module imports re)

    @property
    def lines(self) -> list[str]:
        """The module's constants: named numbers, then patterns and lists."""
        return self.numbers + self.data

    def _add(self, key: tuple, prefix: str, code: str) -> str:
        if key not in self.names:
            number = self._counts.get(prefix, 0)
            self._counts[prefix] = number + 1
            name = ident(f"{prefix}{number}")
            self.names[key] = name
            self.data.append(f"{name} = {code}")
        return self.names[key]

    def named(self, name: str, value: str, meaning: str) -> str:
        """A number under a name that says what it is: `_30_DAYS = 2_592_000_000_000  # 30 days`."""
        key = ("named", name)
        if key not in self.names:
            self.names[key] = ident(name)
            self.numbers.append(f"{name} = {value}  # {meaning}")
        return self.names[key]

    def month_bounds(self, months: int) -> tuple[str, str]:
        """The names of `month_bounds(months)`: `_6_MONTHS_AT_LEAST`, `_6_MONTHS_UNDER`."""
        lo, hi = month_bounds(months)
        name, span = _count_name(months, "month")
        last = "lasts" if months == 1 else "last"
        return (self.named(f"{name}_AT_LEAST", f"{lo:_}",
                           f"{span} {last} at least this long, less 4 hours (month_bounds)"),
                self.named(f"{name}_UNDER", f"{hi:_}",
                           f"{span} {last} less than this, with 3 days and 4 hours to spare"))

    def duration(self, micros: int) -> str:
        """A fixed duration in µs, named by its length (`_30_DAYS`, `_2_HOURS`)."""
        name, words = _count_name(*duration_count(micros))
        return self.named(name, f"{micros:_}", words)

    def regex(self, pattern: str) -> str:
        self.uses_re = True
        return self._add(("re", pattern), "_RX", f"re.compile({literal(pattern)}, re.DOTALL)")

    def members(self, items: tuple) -> str:
        return self._add(("in", tuple((type(i).__name__, i) for i in items)), "_IN", literal(items))

    def function(self, program: ir.Program, expr: ir.Expr, event: str | None,
                 fields: Callable[[str], tuple[str, tuple[str, ...]]] | None = None
                 ) -> tuple[str, list[str]]:
        """A module-level function returning the truth of `expr`; (name, its parameters).

        With event="ev" the function's first parameter is an event dict and
        fields read from it (replayed filters); otherwise `fields` maps field
        names to generated locals (as ExprEmitter's `field`), which become
        parameters like any state.
        """
        key = ("fn", expr, event,
               None if fields is None else tuple((n, fields(n)) for n in sorted(_field_names(expr))))
        if key in self.names:
            return self.names[key], self.params[key]
        if event is not None:
            def fields(name: str) -> tuple[str, tuple[str, ...]]:
                return f"{event}.get({literal(name)})", ()
        emitter = ExprEmitter(program, self, fields)
        if event is not None:  # `this.x` in a replayed filter: parameter `tfK` (K: its place)
            emitter.outer = {name: ident(f"tf{k}")
                             for k, name in enumerate(outer_names(expr, program))}
        body = emitter.cond(expr)
        params = ([event] if event else []) + sorted(emitter.used)
        name = ident(f"_fn{len(self.functions)}")
        self.functions.append(f"def {name}({', '.join(params)}):\n    return {body}\n")
        self.names[key] = name
        self.params[key] = params
        return name, params


def _field_names(expr: ir.Expr) -> set[str]:
    found, todo = set(), [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, ir.Field):
            found.add(node.name)
        todo.extend(getattr(node, k) for k in ("operand", "left", "right") if getattr(node, k, None))
    return found


def outer_names(expr: ir.Expr | None, program: ir.Program) -> list[str]:
    """The fields `this.x` reads in a filter (ir.Outer), sorted: the order of its `tfK` parameters.

    Includes those of the aggregates it reads (a rule's `count` clause over a `where` that
    itself holds an aggregate): their filters are called from this one's function, so
    `this.x` reaches them through its parameters.
    """
    aggs = {a.id: a.where for a in program.aggregates}
    trackers = {t.id: t.where for t in program.trackers}
    found, todo = set(), [expr] if expr is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, ir.Outer):
            found.add(node.name)
        elif isinstance(node, ir.AggValue) and aggs.get(node.id) is not None:
            todo.append(aggs[node.id])
        elif isinstance(node, ir.SinceValue) and trackers.get(node.id) is not None:
            todo.append(trackers[node.id])
        todo.extend(getattr(node, k) for k in ("operand", "left", "right") if getattr(node, k, None))
    return sorted(found)


def _written_as_constant(e: ir.Expr) -> bool:
    """A constant `literal` writes as a Python literal (not `_NAN` or `_INF`)."""
    return isinstance(e, ir.Const) and not (isinstance(e.value, float) and not math.isfinite(e.value))


def maybe_missing(expr: ir.Expr, program: ir.Program) -> bool:
    """Can this expression evaluate to missing (None) at run time?"""
    if isinstance(expr, ir.Const):
        return expr.value is None
    if isinstance(expr, (ir.Field, ir.Outer)):
        return expr.name != "ts"
    if isinstance(expr, ir.Call):
        return maybe_missing(expr.operand, program)
    if isinstance(expr, (ir.LeadAttr, ir.SinceValue, ir.StageName, ir.StageOrder)):
        return True
    if isinstance(expr, ir.AggValue):
        agg = next(a for a in program.aggregates if a.id == expr.id)
        return agg.func in ("min", "max", "avg")
    if isinstance(expr, ir.Neg):
        return maybe_missing(expr.operand, program)
    if isinstance(expr, ir.Arith):
        by_zero = expr.op == "/" and not (isinstance(expr.right, ir.Const)
                                          and _nonzero_number(expr.right.value))
        return by_zero or maybe_missing(expr.left, program) or maybe_missing(expr.right, program)
    return False


class ExprEmitter:
    """Emit expressions for one place in the generated code.

    `field` maps a field name of the context event to Python text (a local such
    as `f3`, `now` for ts, or `fc0.get('amount')` in a flow) and the generated
    names that text reads; `used` collects the generated names the emitted
    code reads, and `names` (the writer's, writer.Names) hears of each as it
    is written, for the statement that will hold it.
    """

    def __init__(self, program: ir.Program, consts: Consts,
                 field: Callable[[str], tuple[str, tuple[str, ...]]],
                 used: set[str] | None = None, names: Names | None = None):
        self.program = program
        self.consts = consts
        self.field = field
        self.used: set[str] = set() if used is None else used
        self.names = names if names is not None else Names()
        self._temps = 0
        self._aggs = {a.id: a for a in program.aggregates}
        self.outer: dict[str, str] = {}  # in a replayed filter: `this.x` → its parameter

    def var(self, name: str) -> Code:
        """A generated name the emitted code reads, recorded as read."""
        self.used.add(ident(name))
        return named(self.names.read(name))

    def temp(self) -> str:
        self._temps += 1
        return ident(f"_t{self._temps}")

    def missing(self, expr: ir.Expr) -> bool:
        return maybe_missing(expr, self.program)

    # -- entry points ------------------------------------------------------
    def cond(self, expr: ir.Expr) -> str:
        """As a condition: only its truth matters (a missing value is false)."""
        return self.emit(expr, cond=True)

    def value(self, expr: ir.Expr) -> str:
        """As a value: booleans are real bools, missing is None."""
        return self.emit(expr, cond=False)

    def emit(self, e: ir.Expr, cond: bool = False) -> str:
        method = getattr(self, "_" + type(e).__name__)
        return method(e, cond)

    # -- leaves ------------------------------------------------------------
    def _Const(self, e, cond):
        return constant(e.value)

    def _Field(self, e, cond):
        code, reads = self.field(e.name)
        for name in reads:  # generated names (f3, now, fc0): parameters if this becomes a function
            self.var(name)
        return code

    def _LeadAttr(self, e, cond):
        return self.var(f"la{e.index}")

    def _Score(self, e, cond):
        return self.var(f"s{e.index}")

    def _StageIndex(self, e, cond):
        return self.var("stg")

    def _StageName(self, e, cond):
        return f"STAGES[{self.var('stg')}]"

    def _StageOrder(self, e, cond):
        return f"_STAGE_ORDER.get({self.emit(e.operand)})"

    def _Tagged(self, e, cond):
        return group(f"{literal(e.tag)} in {self.var('tags')}")

    def _Now(self, e, cond):
        return self.var("now")

    def _CalendarLength(self, e, cond):
        return Code(call(calendar_length, self.var("now"), str(e.months), "TIMEZONE"))

    def _AggValue(self, e, cond):
        return self.aggregate(self._aggs[e.id])

    def _SinceValue(self, e, cond):
        tracker = next(t for t in self.program.trackers if t.id == e.id)
        now = self.var("now")
        if tracker.replay:
            flt, args = self.replay_filter(tracker.where)
            last = f"_r_last({self.var(f'k{tracker.id}')}, {flt}, {args})"
        else:
            last = self.var(f"k{tracker.id}")
        t = self.temp()
        return group(f"None if ({t} := {last}) is None else {now} - {t}")

    # -- operators -----------------------------------------------------------
    def _Not(self, e, cond):
        return group(f"not {self.emit(e.operand, True)}")

    def _Neg(self, e, cond):
        inner = self.emit(e.operand)
        number = number_value(inner)
        if number is not None:  # `-5` unfolded (fold_constants off): still a known number
            return Code(f"(-{inner})", inner=f"-{inner}", constant=True, value=-number)
        if not self.missing(e.operand):
            return group(f"-{inner}")
        t = self.temp()
        return group(f"None if ({t} := {inner}) is None else -{t}")

    def _Arith(self, e, cond):
        guards = []
        left = self.emit(e.left)
        if self.missing(e.left):
            t = self.temp()
            guards.append(f"({t} := {left}) is None")
            left = t
        right = self.emit(e.right)
        if e.op == "/" and isinstance(e.right, ir.Const) and _nonzero_number(e.right.value):
            pass  # a constant, non-zero divisor needs no guard
        elif e.op == "/":
            t = self.temp()
            guards.append(f"not ({t} := {right})")  # None and 0 both give missing
            right = t
        elif self.missing(e.right):
            t = self.temp()
            guards.append(f"({t} := {right}) is None")
            right = t
        body = f"{left} {e.op} {right}"
        if not guards:
            return group(body)
        return group(f"None if {' or '.join(guards)} else {body}")

    def _guarded(self, operand: ir.Expr) -> tuple[list[str], str]:
        """(guards, text): text reads the operand once; guards say it is not missing."""
        text = self.emit(operand)
        if not self.missing(operand):
            return [], text
        if is_name(text):
            return [f"{text} is not None"], text
        t = self.temp()
        return [f"({t} := {text}) is not None"], t

    def _Compare(self, e, cond):
        assert e.op in _PY_OPS
        fast = self._recent_compare(e)
        if fast is not None:
            return fast
        g1, left = self._guarded(e.left)
        g2, right = self._guarded(e.right)
        if _written_as_constant(e.left) and _written_as_constant(e.right):
            self.consts.constant_compares = True  # left unfolded: the unoptimized program
        return group(" and ".join(g1 + g2 + [f"{left} {e.op} {right}"]))

    def _logic(self, e, word, cond):
        text = group(f"{self.emit(e.left, True)} {word} {self.emit(e.right, True)}")
        return text if cond else f"bool{text}"

    def _And(self, e, cond):
        return self._logic(e, "and", cond)

    def _Or(self, e, cond):
        return self._logic(e, "or", cond)

    def _InList(self, e, cond):
        guards, operand = self._guarded(e.operand)
        word = "not in" if e.negated else "in"
        return group(" and ".join(guards + [f"{operand} {word} {self.consts.members(e.items)}"]))

    def _Match(self, e, cond):
        guards, operand = self._guarded(e.operand)
        test = glob_string_test(e.glob, operand)
        if test is None:
            test = f"{self.consts.regex(e.regex)}.fullmatch({operand}) is not None"
        return group(" and ".join(guards + [test]))

    def _IsMissing(self, e, cond):
        word = "is not" if e.negated else "is"
        return group(f"{self.emit(e.operand)} {word} None")

    def _Outer(self, e, cond):
        if e.name in self.outer:  # a replayed filter's parameter
            return self.var(self.outer[e.name])
        return self._Field(ir.Field(e.name), cond)

    def _TextOp(self, e, cond):
        g1, left = self._guarded(e.left)
        g2, right = self._guarded(e.right)
        if e.op == "contains":
            test = f"{right} in {left}"
        else:
            test = f"{left}.startswith({right})"
        return group(" and ".join(g1 + g2 + [test]))

    def _Call(self, e, cond):
        inner = self.emit(e.operand)
        apply = "{}.lower()" if e.func == "lower" else "len({})"
        if not self.missing(e.operand):
            return group(apply.format(inner))
        t = self.temp()
        return group(f"None if ({t} := {inner}) is None else {apply.format(t)}")

    def _InValue(self, e, cond):
        guards, operand = self._guarded(e.left)
        word = "not in" if e.negated else "in"
        return group(" and ".join(guards + [f"{operand} {word} {self.emit(e.right)}"]))

    # -- aggregates ----------------------------------------------------------
    def start(self, agg: ir.Aggregate) -> str:
        return "None" if agg.within is None else window_start(agg.within, self.var("now"), self.consts)

    def aggregate(self, agg: ir.Aggregate) -> str:
        g = self.var(f"g{agg.id}")
        storage = agg.storage
        if storage == "counter":
            return g
        if storage == "recent":
            return f"_count_after({g}, {self.start(agg)})"
        if storage == "running":
            if agg.func == "avg":
                n = self.var(f"gn{agg.id}")
                return group(f"{g} / {n} if {n} else None")
            return g
        if storage == "distinct":
            return f"len({g})"
        limit = f", {agg.limit}" if agg.func in ("last", "top") else ""
        if storage in ("history", "window"):
            return f"_agg_{agg.func}({g}, {self.start(agg)}{limit})"
        if storage == "replay":
            flt, args = self.replay_filter(agg.where)
            values = f"_r_values({g}, {self.start(agg)}, {flt}, {args}, {literal(agg.field)})"
            return f"_agg_{agg.func}({values}, None{limit})"
        raise ValueError(storage)

    def _recent_compare(self, e: ir.Compare) -> str | None:
        """`count(... within D) OP n` on a "recent" aggregate, as tests on its n-th latest time."""
        for side, other, op in ((e.left, e.right, e.op), (e.right, e.left, _MIRROR[e.op])):
            if not (isinstance(side, ir.AggValue) and isinstance(other, ir.Const)):
                continue
            agg = self._aggs[side.id]
            n = other.value
            if agg.storage != "recent" or not isinstance(n, int) or isinstance(n, bool):
                continue
            if op == ">=":
                return self.recent_at_least(agg, n)
            if op == ">":
                return self.recent_at_least(agg, n + 1)
            if op == "<":
                return group(f"not {self.recent_at_least(agg, n)}")
            if op == "<=":
                return group(f"not {self.recent_at_least(agg, n + 1)}")
            exactly = group(f"{self.recent_at_least(agg, n)} and not {self.recent_at_least(agg, n + 1)}")
            return exactly if op == "==" else f"(not {exactly})"
        return None

    def recent_at_least(self, agg: ir.Aggregate, n: int) -> str:
        """`count >= n` on a "recent" aggregate: the n-th latest timestamp is inside the window."""
        g = self.var(f"g{agg.id}")
        if n <= 0:
            return TRUE
        now = self.var("now")
        nth = f"{g}[{-n}]"
        if agg.within is None:
            return group(f"len({g}) >= {n}")
        if not agg.within.calendar:
            return group(f"len({g}) >= {n} and {nth} > {now} - {self.consts.duration(agg.within.micros)}")
        if agg.within.months >= 12_000:  # reaches before year 1: no shortcut from the distance
            return group(f"len({g}) >= {n} and {nth} > _shift({now}, {-agg.within.months})")
        months = agg.within.months
        lo, hi = self.consts.month_bounds(months)
        return group(f"len({g}) >= {n} and _after({nth}, {now}, {months}, {lo}, {hi})")

    def replay_filter(self, where: ir.Expr | None) -> tuple[str, str]:
        """A module-level filter function for a replayed aggregate, and its argument tuple."""
        if where is None:
            return "_always", "()"
        name, params = self.consts.function(self.program, where, "ev")
        outer = {ident(f"tf{k}"): n for k, n in enumerate(outer_names(where, self.program))}
        args = []
        for p in params[1:]:  # the first parameter is the replayed event itself
            if p in outer:  # `this.x`: the field of the event this read is for
                args.append(self._Outer(ir.Outer(outer[p]), False))
            else:
                args.append(self.var(p))
        return name, literal_names(args)
