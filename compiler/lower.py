"""Lowering: checked `Model` → `ir.Program` (resolved names, hoisted aggregates, flat flows).

The result is the plain program: every aggregate keeps its full history, rules
are tested one by one, filters are separate functions, timers live in a heap.
The passes in `leadflow.compiler.passes` make it fast; code generation works on
either.
"""

from __future__ import annotations

from leadflow.compiler import ir
from leadflow.dsl import ast
from leadflow.dsl.model import Model
from leadflow.semantics import notes
from leadflow.semantics.globmatch import glob_to_regex
from leadflow.semantics.timemath import CALENDAR_UNITS, FIXED_UNITS

# Expression nodes whose value depends on the lead's state or the clock, not
# only on the event being looked at. A filter using one cannot be applied when
# the event is recorded: it is evaluated again at each read ("replay").
# `this.x` (ir.Outer) too: the filter's answer depends on the event it is read for.
STATEFUL = (ir.LeadAttr, ir.Score, ir.StageIndex, ir.StageName, ir.Tagged, ir.Now,
            ir.CalendarLength, ir.AggValue, ir.SinceValue, ir.Outer)


class CompileError(Exception):
    """The model asks for something the compiler cannot translate (a checker gap)."""

    def __init__(self, message: str, span: ast.Span | None = None):
        self.span = span
        where = f"{span}: " if span is not None and span.line else ""
        super().__init__(f"{where}{message}")


def duration(d: ast.Duration) -> ir.Dur:
    if d.unit in FIXED_UNITS:
        return ir.Dur(micros=d.amount * FIXED_UNITS[d.unit])
    if d.unit in CALENDAR_UNITS:
        return ir.Dur(months=d.amount * CALENDAR_UNITS[d.unit])
    raise CompileError(f"unknown duration unit {d.unit!r}", d.span)


def walk(expr: ir.Expr):
    """Every node of an IR expression, parents first."""
    yield expr
    for name in ("operand", "left", "right"):
        child = getattr(expr, name, None)
        if child is not None:
            yield from walk(child)


def _reads_this(expr: ast.Expr | None) -> bool:
    """Does an AST expression use `this.x` anywhere (a dataclass walk)?"""
    todo = [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.ThisField):
            return True
        if isinstance(node, tuple):
            todo.extend(node)
        elif node is not None and hasattr(node, "__dataclass_fields__") and not isinstance(node, ast.Span):
            todo.extend(getattr(node, f) for f in node.__dataclass_fields__)
    return False


def is_stateful(expr: ir.Expr | None) -> bool:
    return expr is not None and any(isinstance(n, STATEFUL) for n in walk(expr))


def filter_call(expr: ir.Expr | None) -> ir.FilterCall | None:
    """A filter as the plain program evaluates it: a call to a function of its own."""
    return None if expr is None else ir.FilterCall(expr)


class _Lowerer:
    def __init__(self, model: Model):
        self.model = model
        self.event_index = {name: i for i, name in enumerate(model.events)}
        self.score_index = {s.name: i for i, s in enumerate(model.scores)}
        self.stage_index = {s.name: i for i, s in enumerate(model.stages)}
        self.lead_index = {name: i for i, name in enumerate(model.lead_fields)}
        self.flow_index = {name: i for i, name in enumerate(model.flows)}
        self.aggregates: list[ir.Aggregate] = []
        self.trackers: list[ir.Tracker] = []
        self.in_filter = False  # lowering an aggregate's `where`: `this.x` is ir.Outer

    # -- names -----------------------------------------------------------
    def event(self, name: str, span: ast.Span) -> int:
        if name not in self.event_index:
            raise CompileError(f"unknown event {name!r}", span)
        return self.event_index[name]

    def score(self, name: str | None, span: ast.Span) -> int:
        if name is None:
            return 0
        if name not in self.score_index:
            raise CompileError(f"unknown score {name!r}", span)
        return self.score_index[name]

    def event_fields(self, events: tuple[str, ...]) -> set[str]:
        names = {"ts"}
        for event in events:
            names.update(f.name for f in self.model.events[event].fields)
        return names

    # -- expressions -------------------------------------------------------
    def expr(self, node: ast.Expr, fields: set[str]) -> ir.Expr:
        """Lower one expression; `fields` are the names that read the context event."""
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise CompileError(f"{type(node).__name__} cannot be used in a rule", node.span)
        return method(node, fields)

    def _Number(self, node, fields):
        return ir.Const(node.value)

    def _String(self, node, fields):
        return ir.Const(node.value)

    def _Bool(self, node, fields):
        return ir.Const(node.value)

    def _DurationExpr(self, node, fields):
        dur = duration(node.duration)
        return ir.CalendarLength(dur.months) if dur.calendar else ir.Const(dur.micros)

    def _Name(self, node, fields):
        ref = self.model.name_refs.get(id(node))  # how the checker resolved it, when it says
        if ref == "field" or (ref is None and node.name in fields):
            return ir.Field(node.name)
        if node.name in self.score_index:
            return ir.Score(self.score_index[node.name])
        raise CompileError(f"unknown name {node.name!r}", node.span)

    def _LeadField(self, node, fields):
        if node.name not in self.lead_index:
            raise CompileError(f"unknown lead field {node.name!r}", node.span)
        return ir.LeadAttr(self.lead_index[node.name])

    def _StageValue(self, node, fields):
        return ir.StageName() if self.model.stages else ir.Const(None)

    def _Tagged(self, node, fields):
        return ir.Tagged(node.tag)

    def _Unary(self, node, fields):
        operand = self.expr(node.operand, fields)
        return ir.Not(operand) if node.op == "not" else ir.Neg(operand)

    def _Binary(self, node, fields):
        if node.op in ("and", "or"):
            cls = ir.And if node.op == "and" else ir.Or
            return cls(self.expr(node.left, fields), self.expr(node.right, fields))
        if node.op in ("+", "-", "*", "/"):
            return ir.Arith(node.op, self.expr(node.left, fields), self.expr(node.right, fields))
        stage_compare = self._stage_compare(node, fields)
        if stage_compare is not None:
            return stage_compare
        return ir.Compare(node.op, self.expr(node.left, fields), self.expr(node.right, fields))

    def _stage_compare(self, node: ast.Binary, fields) -> ir.Expr | None:
        """`stage >= "mql"` compares declaration order; `stage == "mql"` compares names."""
        if node.op in ("==", "!=") or not any(isinstance(side, ast.StageValue)
                                              for side in (node.left, node.right)):
            return None
        return ir.Compare(node.op, self._stage_position(node.left, fields),
                          self._stage_position(node.right, fields))

    def _stage_position(self, node: ast.Expr, fields) -> ir.Expr:
        if isinstance(node, ast.StageValue):
            return ir.StageIndex() if self.model.stages else ir.Const(None)
        if isinstance(node, ast.String):
            return ir.Const(self.stage_index.get(node.value))
        return ir.StageOrder(self.expr(node, fields))

    def _In(self, node, fields):
        items = []
        for item in node.items:
            lowered = self.expr(item, fields)
            if not isinstance(lowered, ir.Const):
                raise CompileError("a list holds literals only", item.span)
            items.append(lowered.value)
        return ir.InList(self.expr(node.operand, fields), tuple(items), node.negated)

    def _Matches(self, node, fields):
        return ir.Match(self.expr(node.operand, fields), glob_to_regex(node.pattern), node.pattern)

    def _IsMissing(self, node, fields):
        return ir.IsMissing(self.expr(node.operand, fields), node.negated)

    def _InValue(self, node, fields):
        return ir.InValue(self.expr(node.operand, fields), self.expr(node.collection, fields),
                          node.negated)

    def _TextOp(self, node, fields):
        return ir.TextOp(node.op, self.expr(node.left, fields), self.expr(node.right, fields))

    def _Call(self, node, fields):
        return ir.Call(node.func, self.expr(node.operand, fields))

    def _ThisField(self, node, fields):
        return ir.Outer(node.name) if self.in_filter else ir.Field(node.name)

    def filter(self, where: ast.Expr | None, event: str) -> ir.Expr | None:
        """An aggregate's `where`, over the aggregated event (`this.x`: the outer one)."""
        if where is None:
            return None
        saved, self.in_filter = self.in_filter, True
        try:
            return self.expr(where, self.event_fields((event,)))
        finally:
            self.in_filter = saved

    def _Aggregate(self, node, fields):
        event = self.event(node.event, node.span)
        where = self.filter(node.where, node.event)
        within = None if node.within is None else duration(node.within)
        return ir.AggValue(self.add_aggregate(node.func, event, node.field, where, within,
                                              node.limit or 0))

    def _Since(self, node, fields):
        event = self.event(node.event, node.span)
        where = self.filter(node.where, node.event)
        replay = is_stateful(where)
        tracker = ir.Tracker(len(self.trackers), event, where if replay else filter_call(where), replay)
        self.trackers.append(tracker)
        return ir.SinceValue(tracker.id)

    def add_aggregate(self, func, event, field, where, within, limit: int = 0) -> int:
        if is_stateful(where):  # read back at each read, through a function of its own
            storage = "replay"
        else:
            storage, where = "history", filter_call(where)
        agg = ir.Aggregate(len(self.aggregates), func, event, field, where, within, storage,
                           limit=limit)
        self.aggregates.append(agg)
        return agg.id

    # -- actions -----------------------------------------------------------
    def action(self, node: ast.Action, fields: set[str]) -> ir.Action:
        if isinstance(node, ast.Add):
            amount = self.expr(node.amount, fields)
            return ir.AddScore(self.score(node.score, node.span), ir.Neg(amount) if node.negate else amount,
                               "subtract" if node.negate else "add")
        if isinstance(node, ast.SubtractPercent):
            # N% of the score's value when the rule is evaluated: -score * N / 100, in that order.
            score = self.score(node.score, node.span)
            amount = ir.Arith("/", ir.Arith("*", ir.Neg(ir.Score(score)), ir.Const(node.percent)),
                              ir.Const(100))
            return ir.AddScore(score, amount, notes.percent_text(node.percent))
        if isinstance(node, ast.SetField):
            if node.field not in self.lead_index:
                raise CompileError(f"unknown lead field {node.field!r}", node.span)
            return ir.SetAttr(self.lead_index[node.field], self.expr(node.value, fields))
        if isinstance(node, ast.Tag):
            return ir.TagOp(node.tag, node.remove)
        if isinstance(node, ast.Send):
            args = tuple((a.name, self.expr(a.value, fields)) for a in node.args)
            return ir.Emit(node.kind, node.target, args)
        if isinstance(node, ast.FlowControl):
            if node.flow not in self.flow_index:
                raise CompileError(f"unknown flow {node.flow!r}", node.span)
            return ir.FlowOp(node.op, self.flow_index[node.flow])
        raise CompileError(f"{type(node).__name__} is not an action", node.span)

    def modifiers(self, mods: tuple[ast.Modifier, ...]) -> ir.Modifiers:
        once, per, up_to, cap, expires = False, None, None, None, None
        for mod in mods:
            if isinstance(mod, ast.Once):
                if mod.per is None:
                    once = True
                else:
                    per = duration(mod.per)
            elif isinstance(mod, ast.UpTo):
                up_to = mod.times
            elif isinstance(mod, ast.CappedAt):
                cap = mod.limit
            elif isinstance(mod, ast.ExpiresAfter):
                expires = duration(mod.after)
        return ir.Modifiers(once, per, up_to, cap, expires)

    # -- rules -------------------------------------------------------------
    def rule(self, index: int, rule_id: str, rule: ast.Rule) -> ir.Rule:
        trigger = rule.trigger
        fields: set[str] = set()
        extra: dict = {}
        if isinstance(trigger, ast.OnEvent):
            fields = self.event_fields((trigger.event,))
            event = self.event(trigger.event, trigger.span)
            where = None if trigger.where is None else self.expr(trigger.where, fields)
            count = None
            if trigger.count is not None:
                within = None if trigger.count.within is None else duration(trigger.count.within)
                # The count's filter is the rule's `where` read over the history, in which
                # `this.x` is the event being processed.
                counted = self.filter(trigger.where, trigger.event) if _reads_this(trigger.where) \
                    else where
                agg = self.add_aggregate("count", event, None, counted, within)
                count = ir.CountCheck(agg, trigger.count.op, trigger.count.value)
            when = None if trigger.when is None else self.expr(trigger.when, fields)
            extra = {"kind": "on", "event": event, "where": filter_call(where), "count": count,
                     "when": filter_call(when)}
        elif isinstance(trigger, ast.WhenCond):
            extra = {"kind": "when", "when": self.expr(trigger.cond, fields)}
        elif isinstance(trigger, ast.While):
            extra = {"kind": "while", "when": self.expr(trigger.cond, fields)}
        elif isinstance(trigger, ast.Every):
            period = duration(trigger.every)
            without = None if trigger.without is None else self.event(trigger.without, trigger.span)
            text = notes.every_text(trigger.every.amount, trigger.every.unit, trigger.without)
            extra = {"kind": "every", "period": period, "without": without, "trigger_text": text}
        elif isinstance(trigger, ast.OnStage):
            if trigger.stage not in self.stage_index:
                raise CompileError(f"unknown stage {trigger.stage!r}", trigger.span)
            extra = {"kind": trigger.change, "stage": self.stage_index[trigger.stage]}
        else:
            raise CompileError(f"unknown trigger {type(trigger).__name__}", rule.span)
        actions = tuple(self.action(a, fields) for a in rule.actions)
        return ir.Rule(index, rule_id, rule.span.file, rule.span.line, actions=actions,
                       modifiers=self.modifiers(rule.modifiers), **extra)

    # -- flows -------------------------------------------------------------
    def flow(self, index: int, flow: ast.FlowDecl) -> ir.Flow:
        starts, stops = [], []
        for trig in flow.triggers:
            fields = self.event_fields((trig.event,))
            where = None if trig.where is None else filter_call(self.expr(trig.where, fields))
            (starts if trig.op == "start" else stops).append(
                ir.FlowTrigger(self.event(trig.event, trig.span), where))
        # A flow's steps read the fields of the event that started it only when every
        # `start on` names that one event (dsl/model.py, name resolution).
        start_events = {t.event for t in flow.triggers if t.op == "start"}
        event = self.event(start_events.pop(), flow.span) if len(start_events) == 1 else None
        fields = self.event_fields((self.model_event_name(event),)) if event is not None else set()
        code: list[ir.Instr] = []
        self.steps(flow.steps, fields, code)
        return ir.Flow(index, flow.name, flow.span.file, flow.span.line, event, tuple(starts),
                       tuple(stops), tuple(code))

    def model_event_name(self, index: int) -> str:
        return list(self.model.events)[index]

    def steps(self, steps, fields, code: list) -> None:
        for step in steps:
            if isinstance(step, ast.Wait):
                d = step.duration
                code.append(ir.Wait(duration(d), notes.duration_text(d.amount, d.unit)))
            elif isinstance(step, ast.If):
                branch = len(code)
                code.append(None)  # patched below: jump past the `then` branch
                self.steps(step.then, fields, code)
                if step.otherwise:
                    skip = len(code)
                    code.append(None)
                    code[branch] = ir.JumpUnless(self.expr(step.cond, fields), len(code))
                    self.steps(step.otherwise, fields, code)
                    code[skip] = ir.Jump(len(code))
                else:
                    code[branch] = ir.JumpUnless(self.expr(step.cond, fields), len(code))
            else:
                code.append(ir.Do(self.action(step, fields)))

    # -- program -----------------------------------------------------------
    def program(self) -> ir.Program:
        m = self.model
        events = tuple(ir.EventInfo(name, tuple((f.name, f.type) for f in decl.fields))
                       for name, decl in m.events.items())
        lead_fields = tuple((name, f.type) for name, f in m.lead_fields.items())
        scores = tuple(ir.ScoreInfo(s.name, s.min, s.max) for s in m.scores)
        stages = tuple(s.name for s in m.stages)
        # The first stage is where every lead starts; a later stage without `when` never holds
        # (the checker rejects one).
        stage_conds = tuple(None if i == 0 else ir.Const(False) if s.when is None
                            else self.expr(s.when, set()) for i, s in enumerate(m.stages))
        stage_lines = tuple((s.span.file, s.span.line) for s in m.stages)
        rules = tuple(self.rule(i, cr.id, cr.rule) for i, cr in enumerate(m.rules))
        flows = tuple(self.flow(i, f) for i, f in enumerate(m.flows.values()))
        delivery = ir.Delivery()
        if m.send_limit is not None:
            per = m.send_limit.per
            delivery = ir.Delivery(m.send_limit.limit, duration(per),
                                   notes.limit_text(m.send_limit.limit, per.amount, per.unit))
        if m.quiet_hours is not None:
            q = m.quiet_hours
            delivery = ir.Delivery(delivery.send_limit, delivery.limit_per, delivery.limit_text,
                                   q.start.hour * 60 + q.start.minute, q.end.hour * 60 + q.end.minute)
        return ir.Program(m.name, m.path, m.timezone, events, lead_fields, scores, stages,
                          stage_conds, stage_lines, rules, flows, tuple(self.aggregates), tuple(self.trackers),
                          delivery)


def lower(model: Model) -> ir.Program:
    """The plain IR of a checked model."""
    return _Lowerer(model).program()
