"""Statement emitters: rule groups, modifiers and actions → lines of Python.

The generated `_run` keeps a lead's state in local variables with generated
names (see codegen.state_vars), so these emitters write plain assignments:
`s0 = s0 + 10`, `tags.add('vip')`. A group of rules that react to the same
thing is planned on one state and then applied in file order, as
docs/semantics.md requires; a rule the `fuse_rules` pass marked `fused` is
evaluated at its own apply step instead (nothing earlier changes what it reads).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from leadflow.compiler import ir
from leadflow.compiler.emit_expr import (
    TRUE,
    Code,
    Consts,
    ExprEmitter,
    all_of,
    always,
    call,
    ident,
    inner,
    is_constant,
    is_name,
    literal,
    maybe_missing,
    named,
    number_value,
    window_start,
)
from leadflow.compiler.writer import Block, Names, Sources
from leadflow.semantics import notes
from leadflow.semantics.slots import FieldSlots


def field_slots(program: ir.Program) -> FieldSlots:
    """The input columns `_run` reads (semantics/slots.py), as `leadflow run` hands them over."""
    return FieldSlots.of({event.name: event.fields for event in program.events})


SIGNED = ("add", "subtract")  # the verbs an amount follows; the others are whole: "subtract 25%"


def action_text(action: ir.AddScore, amount: str) -> str:
    """Code for how a score action reads in the trace: `add 10`, or its whole verb; a constant
    amount is written in the text."""
    if action.verb not in SIGNED:
        return literal(action.verb)
    if is_constant(amount):
        return literal(notes.action_text(action.verb, amount.value))
    return call(notes.action_text, literal(action.verb), inner(amount))


class Gen:
    """What every emitter needs: the program, module constants, the source map, the trace switch."""

    def __init__(self, program: ir.Program, consts: Consts, sources: Sources, trace: bool):
        self.p = program
        self.consts = consts
        self.sources = sources
        self.trace = trace
        self.names = Names()  # what the statement being written reads (writer.Names)
        slots = field_slots(program)
        self.slot_of = {(e, name): slot for e, fields in enumerate(slots.by_event)
                        for name, slot in fields}
        self.aggs = {a.id: a for a in program.aggregates}
        self.snapshot = "{" + ", ".join(f"{literal(s.name)}: s{k}"
                                        for k, s in enumerate(program.scores)) + "}"
        self.stage_now = "STAGES[stg]" if program.stages else "None"
        # What a trace line reads besides its text: the scores and the stage.
        self.trace_reads = ("trc", "now", *(f"s{k}" for k in range(len(program.scores))),
                            *(("stg",) if program.stages else ()))
        self.heap = program.timers in ("mixed", "heap")
        self.every_scalar = program.timers in ("one", "every", "mixed")
        self.single_every = program.timers == "one"
        self.send_policy = (program.delivery.send_limit is not None
                            or program.delivery.quiet_start is not None)
        quiet = program.delivery
        # Flow sends can be held by quiet hours, so a stopped run has sends to cancel.
        self.holds_sends = (quiet.quiet_start is not None and quiet.quiet_start != quiet.quiet_end
                            and any(isinstance(i, ir.Do) and isinstance(i.action, ir.Emit)
                                    and i.action.kind == "send" for f in program.flows for i in f.code))

    # -- expression emitters -------------------------------------------------
    def event_emitter(self, event: int | None, used: set[str] | None = None) -> ExprEmitter:
        """Bare names read the current event's fields (locals f<slot>; `ts` is `now`)."""
        def field(name: str) -> tuple[str, tuple[str, ...]]:
            local = self.field_local(event, name)
            return named(local), (local,)
        return ExprEmitter(self.p, self.consts, field, used, self.names)

    def field_local(self, event: int, name: str) -> str:
        return "now" if name == "ts" else ident(f"f{self.slot_of[(event, name)]}")

    def flow_emitter(self, flow: ir.Flow) -> ExprEmitter:
        """Bare names read the event that started this instance of the flow."""
        def field(name: str) -> tuple[str, tuple[str, ...]]:
            return f"fc{flow.index}.get({literal(name)})", (f"fc{flow.index}",)
        return ExprEmitter(self.p, self.consts, field, None, self.names)

    def plain_emitter(self, rule: ir.Rule | None = None) -> ExprEmitter:
        def field(name: str) -> tuple[str, tuple[str, ...]]:
            raise ValueError(f"no event here to read {name!r} from")
        return ExprEmitter(self.p, self.consts, field, None, self.names)

    def v(self, name: str) -> str:
        """A state name put into a statement's text by hand, recorded as read (writer.Names)."""
        return self.names.read(name)

    def block(self, depth: int) -> Block:
        """An empty block of `_run` (its statements take what `names` heard)."""
        return Block(depth, self.names)

    def cond(self, em: ExprEmitter, expr: ir.Expr | None) -> str:
        """A filter: a call to a module-level function for an `ir.FilterCall`, else inline."""
        if expr is None:
            return TRUE
        if not isinstance(expr, ir.FilterCall):
            return em.cond(expr)
        name, params = self.consts.function(self.p, expr.operand, None, em.field)
        for param in params:
            em.var(param)
        return f"{name}({', '.join(params)})"

    def evdict(self, event: int, em: ExprEmitter) -> str:
        """The current event as a dict (`ts` and its declared fields), for flows and replays."""
        parts = [f"'ts': {em.var('now')}"]
        for name, _ in self.p.events[event].fields:
            parts.append(f"{literal(name)}: {em.var(self.field_local(event, name))}")
        return "{" + ", ".join(parts) + "}"

    # -- trace -----------------------------------------------------------------
    def note(self, b: Block, kind: str, text: str, kind_code: str | None = None) -> None:
        """A line for `explain` (only in the traced variant of `_run`); `kind_code` for a variable kind."""
        if self.trace:
            kind_code = kind_code or literal(kind)
            b(f"trc.append(TraceEntry(now, {kind_code}, {text}, {self.snapshot}, {self.stage_now}))",
              reads=self.trace_reads)

    # -- scores ------------------------------------------------------------------
    def clamp(self, b: Block, k: int, delta: float | None = None) -> None:
        """Clamp score k to its bounds after a change; `delta` when it is a known constant.

        The score was within its bounds before, so adding a constant >= 0 cannot
        take it below its min, nor a constant <= 0 above its max.
        """
        info = self.p.scores[k]
        score = f"s{k}"
        if info.low is not None and not (delta is not None and delta >= 0):
            b.if_(f"{score} < {literal(info.low)}", reads=(score,))
            b.nested_assign(score, literal(float(info.low)))
        if info.high is not None and not (delta is not None and delta <= 0):
            b.if_(f"{score} > {literal(info.high)}", reads=(score,))
            b.nested_assign(score, literal(float(info.high)))

    def change_score(self, b: Block, k: int, delta: str, cause: str) -> None:
        """Add `delta` to score k and clamp; a lead made with points=True gets a ledger row.

        `cause` is the ledger's `rule` (runtime/engine.py PointChange); a change
        of 0 is not a row, as in the interpreter (runtime/interpreter/actions.py).
        """
        constant = number_value(delta)
        score = f"s{k}"
        b(f"_lo = {score}", reads=(score,))
        if constant is not None and constant < 0:
            b.assign(score, f"{self.v(score)} - {literal(-constant)}")  # x - c is x + (-c), bit for bit
        else:
            b.assign(score, f"{self.v(score)} + {delta}")
        self.clamp(b, k, constant)
        b.if_(f"pts is not None and {score} != _lo", reads=("pts",))
        b.nested(f"pts.append((now, {literal(cause)}, {literal(self.p.scores[k].name)}, {score} - _lo, {score}))",
                 reads=("pts", "now"))

    # -- rule groups ---------------------------------------------------------------
    def allowed(self, rule: ir.Rule) -> list[str]:
        """Conditions of `once`, `up to N times` and `once per D` (own state only)."""
        mods, r = rule.modifiers, rule.index
        parts = []
        if mods.once:
            parts.append(f"{self.v(f'rc{r}')} == 0")
        if mods.up_to is not None:
            parts.append(f"{self.v(f'rc{r}')} < {mods.up_to}")
        if mods.per is not None:
            last = self.v(f"rl{r}")
            parts.append(f"({last} is None or {last} <= {window_start(mods.per, self.v('now'), self.consts)})")
        return parts

    def group(self, b: Block, members: list[tuple[ir.Rule, Callable[[ExprEmitter], str]]],
              emitter: Callable[[ir.Rule], ExprEmitter], involved: bool = False) -> None:
        """Plan every rule whose trigger holds on one state, then apply them in file order.

        `members` pairs each rule with a function giving its trigger condition;
        `emitter(rule)` makes the expression emitter for a rule's context;
        `involved` records firings for the settle loop.
        """
        plans: dict[int, dict[int, str]] = {}
        for rule, trigger in members:
            if rule.fused:
                continue
            em = emitter(rule)
            cond = all_of([trigger(em)] + self.allowed(rule))
            with b.mapped(self.rule_source(rule)):
                b.label(_rule_label(rule))
                b(f"x{rule.index} = False")
                b.if_(f"{cond}")
                with b.indent():
                    b(f"x{rule.index} = True")
                    plans[rule.index] = self.plan_values(b, rule, em)
        for rule, trigger in members:
            em = emitter(rule)
            with b.mapped(self.rule_source(rule)):
                if rule.fused:
                    cond = all_of([trigger(em)] + self.allowed(rule))
                    values = None
                    b.label(_rule_label(rule))
                else:
                    cond = f"x{rule.index}"
                    values = plans[rule.index]
                if always(cond):
                    self.apply_rule(b, rule, values, em, involved)
                else:
                    b.if_(f"{cond}")
                    with b.indent():
                        self.apply_rule(b, rule, values, em, involved)

    def rule_source(self, rule: ir.Rule) -> int:
        """A rule's number in the source map: its index, as everywhere (see writer.Sources)."""
        return rule.index

    def plan_values(self, b: Block, rule: ir.Rule, em: ExprEmitter) -> dict[int, str]:
        """Evaluate the rule's action values now, into v<rule>_<action> locals."""
        values = {}
        for j, action in enumerate(rule.actions):
            code = self.value_code(em, action)
            if code is None:
                continue
            if _constant(action):
                values[j] = code
            else:
                name = named(f"v{rule.index}_{j}")
                b(f"{name} = {code}")
                values[j] = name
        return values

    def value_code(self, em: ExprEmitter, action: ir.Action) -> str | None:
        if isinstance(action, ir.AddScore):
            return em.value(action.amount)
        if isinstance(action, ir.SetAttr):
            return em.value(action.value)
        if isinstance(action, ir.Emit):
            last = dict(action.args)  # a name given twice: the last value, at the first place
            return "{" + ", ".join(f"{literal(k)}: {em.value(v)}" for k, v in last.items()) + "}"
        return None

    def apply_rule(self, b: Block, rule: ir.Rule, values: dict[int, str] | None,
                   em: ExprEmitter, involved: bool) -> None:
        mods, r = rule.modifiers, rule.index
        if mods.needs_count:
            b.assign(f"rc{r}", "1", "+=")
        if mods.per is not None:
            b.assign(f"rl{r}", self.v("now"))
        if involved:
            b(f"involved.append({r})")
        expires = mods.expires is not None and any(isinstance(a, ir.AddScore) for a in rule.actions)
        if expires:
            b("_ch = []")
        self.actions(b, rule.actions, values, em, rule.id, rule.event, rule, "rule")
        if expires:
            b.if_("_ch")
            with b.indent():
                self.schedule(b, self.window_end(mods.expires), TimerKind.EXPIRE, f"{r}, tuple(_ch)")

    # -- actions -------------------------------------------------------------------
    def actions(self, b: Block, actions, values: dict[int, str] | None, em: ExprEmitter,
                source: str, event: int | None, rule: ir.Rule | None, kind: str,
                context: str | None = None) -> None:
        """Apply actions in order for `source` (a rule id or flow name; `kind` "rule"/"flow").

        `values` holds planned values (else they are evaluated here); `event` is
        the event in context (for flows started here), or `context` a dict of it.
        """
        for j, action in enumerate(actions):
            value = None
            if values is not None and j in values:
                value = values[j]
            elif not isinstance(action, (ir.TagOp, ir.FlowOp)):
                value = self.value_code(em, action)
            if isinstance(action, ir.AddScore):
                self.add_score(b, action, value, em, source, rule, kind)
            elif isinstance(action, ir.SetAttr):
                self.set_attr(b, action, value, source, kind)
            elif isinstance(action, ir.TagOp):
                b(f"tags.{'discard' if action.remove else 'add'}({literal(action.tag)})", reads=("tags",))
                self.note(b, kind, literal(notes.tagged(source, action.tag, action.remove)))
            elif isinstance(action, ir.Emit):
                self.emit_outward(b, action, value, source, kind)
            elif isinstance(action, ir.FlowOp):
                self.flow_op(b, action, event, em, context, source)

    def add_score(self, b: Block, action: ir.AddScore, value: str, em: ExprEmitter, source: str,
                  rule: ir.Rule | None, kind: str) -> None:
        k = action.score
        mods = rule.modifiers if rule is not None else ir.Modifiers()
        missing_note = literal(notes.amount_missing(source, action.verb if action.verb not in SIGNED
                                                    else notes.action_text(action.verb, None)))
        if isinstance(value, Code) and value.constant and value.value is None:  # folded to missing (`add 1 / 0`)
            self.note(b, kind, missing_note)
            return
        amount = value
        if not _simple(value):
            b(f"_a = {value}")
            amount = "_a"
        missing = maybe_missing(action.amount, self.p) and not _known(value)
        if missing:
            b.if_(f"{amount} is not None")
            b.depth += 1
        points = amount
        if mods.cap is not None:
            live = f"rk{rule.index}_{k}"
            b(f"_p = _capped({amount}, {live}, {literal(mods.cap)})", reads=(live,))
            b.assign(live, f"{self.v(live)} + _p")
            points = "_p"
        if mods.expires is not None:
            b(f"_o = {self.v(f's{k}')}")
        self.change_score(b, k, points, source)
        if mods.expires is not None:
            b(f"_ch.append(({k}, {self.v(f's{k}')} - _o, {points}))")
        if self.trace:
            capped = [] if mods.cap is None else [call(notes.capped_text, literal(mods.cap), "_p", amount)]
            self.note(b, kind, call(notes.score_changed, literal(source), action_text(action, amount),
                                    literal(self.p.scores[k].name), f"s{k}", *capped))
        if missing:
            b.depth -= 1
            if self.trace:
                b.else_()
                with b.indent():
                    self.note(b, kind, missing_note)

    def set_attr(self, b: Block, action: ir.SetAttr, value: str, source: str, kind: str) -> None:
        name = self.p.lead_fields[action.index][0]
        local = f"la{action.index}"
        b.assign(local, value)
        if maybe_missing(action.value, self.p):
            b.if_(f"{local} is None")
            b.nested(f"attrs.pop({literal(name)}, None)", reads=("attrs",))
            b.else_()
            b.nested(f"attrs[{literal(name)}] = {local}", reads=("attrs",))
        else:
            b(f"attrs[{literal(name)}] = {local}", reads=("attrs",))
        self.note(b, kind, call(notes.field_set, literal(source), literal(name), local))

    def emit_outward(self, b: Block, action: ir.Emit, args: str, source: str, kind: str) -> None:
        target = literal(action.target)
        if action.kind == "send" and self.send_policy:
            held = ""
            if kind == "flow" and self.holds_sends:
                held = f", {self.v(f'ft{next(f.index for f in self.p.flows if f.name == source)}')}"
            b(f"_send({literal(source)}, {literal(kind)}, {target}, {args}{held})")
            return
        b(f"acts.append(OutAction(now, {literal(source)}, {literal(action.kind)}, {target}, {args}))",
          reads=("acts", "now"))
        self.note(b, kind, call(notes.sent, literal(source), literal(action.kind), target, "acts[-1].args"))

    def cancel_held(self, b: Block, flow: ir.Flow) -> None:
        """A stopped run's sends still held by quiet hours die with it (SPEC 9, Delivery).

        Called before `ftN` is cleared. `fh` maps a run's token (`ftN` when it
        started) to the targets of its sends still held; stopping the run moves
        their count to `fx`, and the delivery timers of a run in `fx` deliver
        nothing. Each send it cancels is recorded in `cnc` (the lead's
        `cancelled`, kind "cancelled", at the time of the stop). A run that ends by running out of steps stays in `fh`, so its
        held sends are still delivered. Plain data (no shared cells), so a
        lead's state survives a snapshot.
        """
        if not self.holds_sends:
            return
        f = flow.index
        b(f"_h = fh.pop(ft{f}, None)", reads=("fh", f"ft{f}"))
        b.if_("_h")
        with b.indent():
            b(f"fx[ft{f}] = len(_h)", reads=("fx", f"ft{f}"))
            # The run's delivery timers, in the order they were held, become `cancelled` rows.
            held = self.timer_kind(TimerKind.HELD_SEND)
            b("for _due, _seq, _kind, _ea, _eb in sorted(th):", reads=("th",))
            with b.indent():
                b.if_(f"_kind == {held} and _ea[2] == ft{f}", reads=(f"ft{f}",))  # _ea[2]: the send's run
                b.nested(f"cnc.append(OutAction(now, {literal(flow.name)}, 'cancelled', *_eb))",
                         reads=("cnc", "now"))
            if self.trace:
                b("for _t in _h:")
                with b.indent():
                    self.note(b, "flow", call(notes.held_cancelled, literal(flow.name), "_t"))

    def flow_op(self, b: Block, action: ir.FlowOp, event: int | None, em: ExprEmitter,
                context: str | None, source: str) -> None:
        flow = self.p.flows[action.flow]
        f = flow.index
        if action.op == "start":
            if context is not None:
                ctx = context  # a flow's own context, passed on when the events agree
            elif event is not None and event == flow.event:
                ctx = self.evdict(event, em)
            else:
                ctx = "_EMPTY"
            b(f"_flow{f}(0, {ctx}, {literal(notes.started_by(source))})")
            return
        b.if_(f"ft{f}", reads=(f"ft{f}",))
        with b.indent():
            self.note(b, "flow", literal(notes.flow_stops(flow.name, notes.stopped_by(source))))
            self.cancel_held(b, flow)
            b.assign(f"ft{f}", "0")
            b.assign(f"fc{f}", "_EMPTY")

    # -- timers ----------------------------------------------------------------------
    def timer_kind(self, kind: TimerKind) -> str:
        """The module constant of a kind of heap timer: `_TIMER_FLOW_WAIT = 2  # a flow's wait ends`."""
        return self.consts.named(f"_TIMER_{kind.name}", str(kind.value), kind.meaning)

    def window_end(self, dur: ir.Dur) -> str:
        """`now + dur` (calendar months in the ruleset's timezone)."""
        if dur.calendar:
            return f"_shift({self.v('now')}, {dur.months})"
        return f"({self.v('now')} + {self.consts.duration(dur.micros)})"

    def schedule(self, b: Block, due: str, kind: TimerKind, payload: str) -> None:
        """Push a heap timer (due, seq, kind, a, b) and keep `tnext` a lower bound."""
        b(f"_due = {due}")
        b(f"heappush(th, (_due, tseq, {self.timer_kind(kind)}, {payload}))", reads=("th", "tseq"))
        b.assign("tseq", "1", "+=")
        b.lower_to("tnext", "_due")


class TimerKind(Enum):
    """The kinds of timer in a lead's heap `th`: entries (due, seq, kind, a, b)."""

    EVERY = 0  # a: the rule; b: None (the period's seq is the entry's seq)
    EXPIRE = 1  # a: the rule; b: (score, actual change, points) per change
    FLOW_WAIT = 2  # a: the flow; b: (run token, where to resume)
    HELD_SEND = 3  # a: (source, kind, run token); b: (target, args)

    @property
    def meaning(self) -> str:
        """What the generated code's comment calls it."""
        return {0: "an every period ends", 1: "points expire", 2: "a flow's wait ends",
                3: "a send held by quiet hours"}[self.value]


def flag(code: str):
    """A group member's trigger that is a ready-made condition (`u3`, `_old == 2`, `True`)."""
    return lambda em: code







def _rule_label(rule: ir.Rule) -> str:
    """The comment on a rule's first line: its index (as in its names and `_RULES`) and id."""
    return f"rule {rule.index} {literal(rule.id)}"


def _simple(code: str) -> bool:
    """A name or a known constant: used as it is, not through a temporary."""
    return is_name(code) or _known(code)


def _known(code: str) -> bool:
    """A constant number or bool (not missing): `10`, `(-5)`, `2.5`, `True`."""
    return number_value(code) is not None or (isinstance(code, Code) and code.constant
                                              and isinstance(code.value, bool))


def _constant(action: ir.Action) -> bool:
    if isinstance(action, ir.AddScore):
        return isinstance(action.amount, ir.Const)
    if isinstance(action, ir.SetAttr):
        return isinstance(action.value, ir.Const)
    if isinstance(action, ir.Emit):
        return all(isinstance(v, ir.Const) for _, v in action.args)
    return True
