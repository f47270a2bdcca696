"""Code generation: optimized IR → the source of a standalone Python module.

The module skeleton is a jinja2 template (templates/module.py.j2, StrictUndefined);
the code inside `_run` comes from the emitters (emit_expr for expressions,
emit_stmt for rules and actions, emit_events, emit_flows, emit_settle). Everything from the rule file that reaches the output is a
constant written with repr; every identifier is generated. Output depends only
on the program, so the same input gives byte-identical source.

`_run(lead, times, codes, columns, start, stop, until)` is the one evaluation
loop: it loads the lead's state into locals, applies events `start..stop` of
the columns (times, event codes, one column per field slot), fires timers up to
`until`, and stores the state back. It is generated twice: plain, and with
`explain` trace lines (`_run_traced`). `_run_leads` wraps the same loop in a
loop over whole new leads, each starting from new_lead's values in locals and
handing its results to a callback: `leadflow run` without a Lead object per lead.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby
from typing import NamedTuple

import jinja2

from leadflow.compiler import ir
from leadflow.compiler.embed import embedded_sources
from leadflow.compiler.emit_events import compact_lines, record, restart_every
from leadflow.compiler.emit_expr import Consts, all_of, always, literal
from leadflow.compiler.emit_flows import flow_functions, flow_triggers, send_functions
from leadflow.compiler.emit_settle import settle_call, settle_function, timers_function
from leadflow.compiler.emit_stmt import Gen, field_slots
from leadflow.compiler.writer import Block, Sources, Stmt
from leadflow.semantics.points import initial_score

# ----------------------------------------------------------------- state


class StateVar(NamedTuple):
    """A per-lead variable: its generated name, initial value, whether it is a scalar, and
    what it holds (the module docstring's legend)."""

    name: str
    init: str
    scalar: bool
    meaning: str
    timer: bool = False  # read by CompiledEngine.scheduled (the lead's pending timers)


def state_vars(g: Gen) -> list[StateVar]:
    """Every per-lead variable `_run` keeps in a local.

    Scalars are stored back into the lead object when `_run` ends; the others
    are mutable objects shared with it.
    """
    p = g.p
    out = [StateVar("now", "None", True, "the lead's clock: the time of its last event or timer"),
           StateVar("created", "False", True, "whether the lead has been created"),
           StateVar("fseen", "None", True, "first_seen: the time of the lead's first event"),
           StateVar("lact", "None", True, "last_activity: the time of the lead's last event")]
    if any(r.kind == "every" and r.without is not None for r in p.rules):
        out.append(StateVar("seen", "False", True, "whether an event has been seen (every ... without)"))
    for k, s in enumerate(p.scores):
        out.append(StateVar(f"s{k}", literal(initial_score(s.low, s.high)), True, f"score {_name(s.name)}"))
    if p.stages:
        out += [StateVar("stg", "0", True, "the stage, an index into STAGES"),
                StateVar("ssince", "None", True, "stage_since: when the lead entered its stage")]
    out += [StateVar("attrs", "attrs", False, "the lead's attributes"),
            StateVar("tags", "set()", False, "the lead's tags"),
            StateVar("acts", "[]", False, "actions emitted"),
            StateVar("trans", "[]", False, "stage transitions"),
            StateVar("trc", "[] if trace else None", False, "trace lines for explain (trace=True)"),
            StateVar("pts", "[] if points else None", False, "the points ledger (points=True)")]
    for k, (name, _) in enumerate(p.lead_fields):
        out.append(StateVar(f"la{k}", f"attrs.get({literal(name)})", True, f"lead attribute {_name(name)}"))
    for agg in p.aggregates:
        out += _aggregate_vars(g, agg)
    for t in p.trackers:
        out.append(StateVar(f"k{t.id}", "[]" if t.replay else "None", not t.replay,
                            f"since: the last {_name(p.events[t.event].name)}"
                            + (" (every one, filtered at each read)" if t.replay else "")))
    for rule in p.rules:
        out += _rule_vars(g, rule)
    for flow in p.flows:
        f, name = flow.index, _name(flow.name)
        out += [StateVar(f"ft{f}", "0", True, f"flow {name}: its run's token (0: not running)",
                         timer=True),
                StateVar(f"fc{f}", "_EMPTY", True, f"flow {name}: the event that started it")]
    if p.flows:
        out.append(StateVar("ftok", "0", True, "the last flow run token given"))
    if g.holds_sends:  # flow sends held by quiet hours, by run token (emit_stmt.Gen.cancel_held)
        out += [StateVar("fh", "{}", False, "targets of sends held by quiet hours, by flow run token"),
                StateVar("fx", "{}", False, "held sends of stopped flow runs, by run token",
                         timer=True)]
    out.append(StateVar("cnc", "[]", False, "held sends cancelled by a stopped flow run"))
    if g.heap:
        out.append(StateVar("th", "[]", False, "the timer heap: (due, seq, kind, a, b)", timer=True))
    if p.timers != "none" and not g.single_every:
        out += [StateVar("tseq", "0", True, "the next timer's sequence number (ties: first set, first run)"),
                StateVar("tnext", "_NEVER", True, "no timer is due before this time")]
    if p.delivery.send_limit is not None:
        out.append(StateVar("dl", f"deque(maxlen={p.delivery.send_limit})", False,
                            "times of the last sends (delivery limit)"))
    return out


def _name(text: str) -> str:
    """A name from the rule file as the legend (in a docstring) writes it: `name`, or escaped."""
    if text.isidentifier():
        return f"`{text}`"
    return repr(text).replace("\\", "\\\\").replace('"', "\\x22")


_STORAGE_INIT = {"counter": "0", "window": "deque()", "distinct": "set()"}


def _aggregate_vars(g: Gen, agg: ir.Aggregate) -> list[StateVar]:
    name = f"g{agg.id}"
    what = f"aggregate {agg.func} of {_name(g.p.events[agg.event].name)}"
    if agg.field is not None:
        what += f".{_name(agg.field)}"
    what += f", kept as {agg.storage}"
    if agg.storage == "recent":
        return [StateVar(name, f"deque(maxlen={agg.keep})", False, what)]
    if agg.storage in _STORAGE_INIT:
        return [StateVar(name, _STORAGE_INIT[agg.storage], agg.storage == "counter", what)]
    if agg.storage == "running":
        if agg.func == "avg":
            return [StateVar(name, "0", True, what + " (the sum)"),
                    StateVar(f"gn{agg.id}", "0", True, what + " (the count)")]
        return [StateVar(name, "0" if agg.func == "sum" else "None", True, what)]
    return [StateVar(name, "[]", False, what)]  # history, replay


def _rule_vars(g: Gen, rule: ir.Rule) -> list[StateVar]:
    r, mods = rule.index, rule.modifiers
    rule_name = f"rule {r} {_name(rule.id)}"
    out = []
    if mods.needs_count:
        out.append(StateVar(f"rc{r}", "0", True, f"{rule_name}: times fired"))
    if mods.per is not None:
        out.append(StateVar(f"rl{r}", "None", True, f"{rule_name}: when it last fired (once per)"))
    if mods.cap is not None:
        for k in sorted({a.score for a in rule.actions if isinstance(a, ir.AddScore)}):
            out.append(StateVar(f"rk{r}_{k}", "0.0", True,
                                f"{rule_name}: points it added to {_name(g.p.scores[k].name)} (capped)"))
    if rule.kind == "while":
        out.append(StateVar(f"wh{r}", "None", True, f"{rule_name}: the points it holds while true"))
    if rule.kind == "when":
        out.append(StateVar(f"wp{r}", "False", True, f"{rule_name}: whether it held at the last settle"))
    if rule.kind == "every":
        if g.heap and not g.every_scalar:
            out.append(StateVar(f"es{r}", "-1", True, f"{rule_name}: its period's sequence number",
                                timer=True))
        else:
            out.append(StateVar(f"ed{r}", "_NEVER", True, f"{rule_name}: when its period next ends",
                                timer=True))
            if not g.single_every:
                out.append(StateVar(f"eq{r}", "0", True, f"{rule_name}: its timer's sequence number"))
        if rule.period.calendar:
            out += [StateVar(f"ea{r}", "None", True, f"{rule_name}: the start its months count from"),
                    StateVar(f"ek{r}", "0", True, f"{rule_name}: periods elapsed")]
    return out


# ------------------------------------------------------------------ _run


class RunFunction(NamedTuple):
    source: str
    spans: list[tuple[int, int, int]]  # (first line, last line, source id), from its `def`
    columns: set[int]  # the input columns (field slots) it reads


def run_function(program: ir.Program, consts: Consts, sources: Sources, trace: bool) -> RunFunction:
    g = Gen(program, consts, sources, trace)
    state = state_vars(g)
    work, loop, columns, _ = _evaluation(g, {var.name for var in state if var.scalar}, depth=1)
    work("try:")
    work.extend(loop)
    work("except RulesetRuntimeError:")
    work.nested("raise")
    work("except Exception as exc:")
    work.nested("raise _runtime_error(exc) from exc")
    # Load only the state this ruleset's code reads, store back only what it assigns:
    # the statements' records say which (writer.Stmt reads/writes).
    used, assigned = work.reads(), work.writes()
    body = Block(1)
    for var in state:
        if var.name in used:
            body(f"{var.name} = lead.{var.name}")
    body.extend(work)
    for var in state:
        if var.scalar and var.name in assigned:
            body(f"lead.{var.name} = {var.name}")
    name = "_run_traced" if trace else "_run"
    return _function(f"def {name}(lead, times, codes, columns, start, stop, until):", body, columns)


def leads_function(program: ir.Program, consts: Consts, sources: Sources) -> RunFunction:
    """`_run_leads`: `_run` for whole new leads one after another, their state in locals only.

    What `new_lead`, `_run` over all of a lead's rows up to `until`, and `final_result`
    do, without a Lead object per lead: each lead's state starts from new_lead's
    initial values (no attributes, no trace, no ledger) and its results go to
    `done` (see `run_leads` in templates/module.py.j2). The timer slots
    CompiledEngine.scheduled reads are copied into `timers` for that call.
    """
    p = program
    g = Gen(program, consts, sources, False)
    state = state_vars(g)
    work, loop, columns, settle = _evaluation(g, {var.name for var in state if var.scalar}, depth=2)
    scores = ", ".join(f"s{k}" for k in range(len(p.scores))) + ("," if len(p.scores) == 1 else "")
    stage, since = ("STAGES[stg]", "ssince") if p.stages else ("None", "None")
    timer_slots = [var.name for var in state if var.timer]
    # A container no rule of this ruleset touches stays empty: the call gets an empty
    # constant, and no lead makes one.
    evaluated = loop.reads() | work.reads()
    empty = {"tags": "()", "attrs": "_EMPTY", "acts": "()", "trans": "()", "cnc": "()"}
    given = {name: name if name in evaluated else constant for name, constant in empty.items()}
    after = g.block(2)
    for name in timer_slots:
        after(f"timers.{name} = {name}")
    after(f"done(lead_id, ({scores}), {stage}, {given['tags']}, {given['attrs']}, {given['acts']}, "
          f"{given['trans']}, {given['cnc']}, fseen, lact, {since}, timers)",
          reads=("fseen", "lact", *timer_slots, *(f"s{k}" for k in range(len(p.scores))),
                 *(("stg", "ssince") if p.stages else ()),
                 *(name for name in empty if name in evaluated)))
    after("start = stop")
    per_lead = g.block(2)
    per_lead("lead_id = ids[start]")
    # New leads of a run without --leads attributes: a lead attribute starts missing.
    no_attributes = {f"la{k}" for k in range(len(p.lead_fields))}
    used = evaluated | after.reads()
    for var in state:
        if var.name in used:
            init = ("None" if var.name in no_attributes or var.name in ("trc", "pts")
                    else "{}" if var.name == "attrs" else var.init)
            per_lead(f"{var.name} = {init}")
    per_lead.extend(_settle_watch(g, 2, settle))
    per_lead("try:")
    per_lead.extend(loop)
    per_lead("except RulesetRuntimeError as exc:")
    per_lead.nested("exc.lead_id = lead_id")
    per_lead.nested("raise")
    per_lead("except Exception as exc:")
    per_lead.nested("error = _runtime_error(exc)")
    per_lead.nested("error.lead_id = lead_id")
    per_lead.nested("raise error from exc")
    per_lead.extend(after)
    body = Block(1)
    body.extend(work)
    body("for stop in ends:")
    body.extend(per_lead)
    return _function("def _run_leads(ids, times, codes, columns, ends, start, until, done, timers):",
                     body, columns)


def _evaluation(g: Gen, scalars: set[str], depth: int) -> tuple[Block, Block, set[int], bool]:
    """The parts of an evaluation function: its set-up (field columns, settle-watch values,
    nested functions; at depth 1) and its loop over a lead's events with the timers up to
    `until` after them (at `depth` + 1, inside a `try:`); the field columns it reads, and
    whether the ruleset settles."""
    program = g.p
    nested = []
    settle = settle_function(g, 1)
    if settle is not None:
        nested.append(settle)
    timers = timers_function(g, 1, settle is not None)
    if timers is not None:
        nested.append(timers)
    for flow in program.flows:
        nested += flow_functions(g, flow, 1)
    nested += send_functions(g, 1)
    loop, columns = event_loop(g, settle is not None)
    loop.extend(tail(g, settle is not None))
    work = g.block(1)
    for j in sorted(columns):
        work(f"c{j} = columns[{j}]")
    if depth == 1:
        work.extend(_settle_watch(g, 1, settle is not None))
    watch = {"sw", "sc"} if settle is not None and g.p.settle_watch is not None else set()
    for block in nested:
        work.extend(_with_nonlocals(block, scalars | watch))
    return work, loop.shifted(depth - 1), columns, settle is not None


def _settle_watch(g: Gen, depth: int, settle: bool) -> Block:
    """What settle last went quiet on, reset for each call of `_run` (or each lead)."""
    b = g.block(depth)
    if settle and g.p.settle_watch is not None:
        b.assign("sw", "None", comment="what settle last went quiet on (none yet: the first call settles)")
        if g.p.settle_conditions:
            b.assign("sc", "None", comment="its conditions' values then")
    return b


def _function(header: str, body: Block, columns: set[int]) -> RunFunction:
    lines, spans = body.lines()
    source = header + "\n" + "\n".join(lines) + "\n"
    return RunFunction(source, [(first + 1, last + 1, source_id) for first, last, source_id in spans],
                       columns)


def event_loop(g: Gen, settle: bool) -> tuple[Block, set[int]]:
    """The loop over the lead's events; returns it and the field columns it reads."""
    p = g.p
    b = g.block(2)
    used: set[str] = set()
    b("for i in range(start, stop):")
    with b.indent():
        b("t = times[i]")
        if p.timers != "none":
            b.if_(f"{_next_due(g)} <= t")  # timers due at t fire before the event at t
            b.nested("_timers(t)")
        b.assign("now", "t")
        b("code = codes[i]")
        rest = b.child()
        if g.trace:
            rest(f"trc.append(TraceEntry(now, 'event', _event_text(code, columns, i), {g.snapshot}, "
                 f"{g.stage_now}))", reads=g.trace_reads)
        restart_every(g, rest)
        if p.dispatch is not None:
            _dispatch(g, rest, used)
        else:
            _undispatched(g, rest, used)
        # Field values are read once per event, right after `code`, where every branch sees
        # them (the plain program); with dispatch each branch reads its own (see _dispatch).
        if p.dispatch is None:
            for j in _columns(g, used):
                b(f"f{j} = c{j}[i]")
        b.extend(rest)
        if settle:
            settle_call(g, b)
    b.if_("stop > start")
    with b.indent():
        b.assign("created", "True")
        b.assign("lact", "times[stop - 1]")
        b.if_("fseen is None", reads=("fseen",))
        b.nested_assign("fseen", "times[start]")
    return b, set(_columns(g, used))


def _next_due(g: Gen) -> str:
    """The local no timer is due before: the one every rule's deadline, or `tnext` (recorded as read)."""
    if g.single_every:
        return g.v(f"ed{next(r for r in g.p.rules if r.kind == 'every').index}")
    return g.v("tnext")


def _columns(g: Gen, used: set[str]) -> list[int]:
    """The field columns (slots) whose locals `f<slot>` the emitted code reads, in order."""
    return sorted({slot for slot in g.slot_of.values() if f"f{slot}" in used})


def _event_parts(g: Gen, b: Block, branch: ir.EventBranch, em_used: set[str]) -> None:
    """Steps 2-5 of an event of one type: record it, its `on` rules, its flow triggers."""
    event = branch.event
    def emitter(rule=None):
        return g.event_emitter(event, em_used)
    record(g, b, event, emitter())
    rules = [g.p.rule(index) for index in branch.rules]
    g.group(b, [(r, _trigger(g, r)) for r in rules], emitter)
    flow_triggers(g, b, event, emitter())


def _trigger(g: Gen, rule: ir.Rule):
    """`where`, then `count OP N`, then `when` (short-circuit, like the reference)."""
    def condition(em) -> str:
        parts = [g.cond(em, rule.where)] if rule.where is not None else []
        if rule.count is not None:
            parts.append(em.cond(ir.Compare(rule.count.op, ir.AggValue(rule.count.agg),
                                            ir.Const(rule.count.n))))
        if rule.when is not None:
            parts.append(g.cond(em, rule.when))
        return all_of(parts)
    return condition


def _dispatch(g: Gen, b: Block, used: set[str]) -> None:
    """`if code == 0: ... elif code == 2: ...`: the program's `Dispatch`, one branch per type."""
    for k, branch in enumerate(g.p.dispatch.branches):
        code = b.child(b.depth + 1)
        branch_used: set[str] = set()
        _event_parts(g, code, branch, branch_used)
        used |= branch_used
        b.if_(f"code == {branch.event}", chained=k > 0)
        for j in _columns(g, branch_used):
            b.nested(f"f{j} = c{j}[i]")
        b.extend(code)


def _undispatched(g: Gen, b: Block, used: set[str]) -> None:
    """The plain program: every rule tests the event type itself."""
    _per_event_type(g, b, used, record)
    rules = [r for r in g.p.rules if r.kind == "on"]

    def emitter(rule):
        return g.event_emitter(rule.event, used)

    def trigger(rule):
        inner = _trigger(g, rule)
        def condition(em) -> str:
            rest = inner(em)
            return f"code == {rule.event}" if always(rest) else f"code == {rule.event} and {rest}"
        return condition

    g.group(b, [(r, trigger(r)) for r in rules], emitter)
    _per_event_type(g, b, used, flow_triggers)


def _per_event_type(g: Gen, b: Block, used: set[str], emit) -> None:
    """One `if code == E:` block per event type for which `emit` writes any code."""
    for event in range(len(g.p.events)):
        part = b.child(b.depth + 1)
        emit(g, part, event, g.event_emitter(event, used))
        if not part.empty():
            b.if_(f"code == {event}")
            b.extend(part)


def tail(g: Gen, settle: bool) -> Block:
    """After the events: timers up to `until`; a lead never seen is created and settled then."""
    b = g.block(2)
    b.if_("until is not None")
    with b.indent():
        if g.p.timers != "none":
            b.if_(f"{_next_due(g)} <= until")
            b.nested("_timers(until)")
        b.if_("now is None or until > now", reads=("now",), loose=True)
        b.nested_assign("now", "until")
        b.if_("not created", reads=("created",))
        with b.indent():
            b.assign("created", "True")
            if settle:
                settle_call(g, b)
    return b


def next_due(g: Gen) -> str | None:
    """The lead attribute no timer is due before (a lower bound), or None without timers."""
    if g.p.timers == "none":
        return None
    if g.single_every:
        return f"lead.ed{next(r for r in g.p.rules if r.kind == 'every').index}"
    return "lead.tnext"


def _with_nonlocals(block: Block, scalars: set[str]) -> Block:
    """Insert `nonlocal` for the state scalars a nested function assigns (its statements' writes)."""
    stmts = block.statements()
    assigned = block.writes() & scalars
    if not assigned:
        return block
    out = block.child()
    at = block.entries.index(stmts[0]) + 1
    out.entries = (block.entries[:at] + [Stmt(stmts[1].depth, f"nonlocal {', '.join(sorted(assigned))}")]
                   + block.entries[at:])
    return out


# ---------------------------------------------------------------- module


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("leadflow.compiler", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,  # one template per process: the output depends only on the input
        autoescape=False,  # the output is Python; every value is pre-rendered with repr
    )


def sorted_imports(imports: list[tuple[str, str | None]]) -> list[str]:
    """One import block in the order ruff's isort expects: `import x`, then `from x import ...`.

    An import is (module, name) for `from module import name`, (module, None) for `import module`.
    """
    plain = sorted({module for module, name in imports if name is None})
    froms: dict[str, set[str]] = {}
    for module, name in imports:
        if name is not None:
            froms.setdefault(module, set()).add(name)
    def order(name: str):
        kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
        return (kind, name)
    out = [f"import {module}" for module in plain]
    for module in sorted(froms):
        out.append(f"from {module} import {', '.join(sorted(froms[module], key=order))}")
    return out


def generate(program: ir.Program, version: str) -> str:
    """The module's source text."""
    consts = Consts()
    sources = Sources((r.index, r.id, r.file, r.line) for r in program.rules)
    run, run_spans, read = run_function(program, consts, sources, trace=False)
    run_traced, traced_spans, _ = run_function(program, consts, sources, trace=True)
    run_leads, leads_spans, _ = leads_function(program, consts, sources)
    imports, semantics = embedded_sources()
    g = Gen(program, consts, sources, False)
    needs_deque = (program.delivery.send_limit is not None
                   or any(a.storage in ("recent", "window") for a in program.aggregates))
    if needs_deque:
        imports.append(("collections", "deque"))
    if g.heap:
        imports += [("heapq", "heappop"), ("heapq", "heappush")]
    if consts.uses_re:
        imports.append(("re", None))
    state = state_vars(g)
    compact = compact_lines(g)  # before "consts": its window lengths are named constants
    slots = field_slots(program)
    rule_info = {r.index: (r.id, f"{r.file}:{r.line}") for r in program.rules}
    context = {
        "literal": literal,
        "version": literal(version),
        "imports": sorted_imports(imports),
        "semantics": semantics,
        "name": literal(program.name),
        "timezone": literal(program.timezone),
        "events": program.events,
        "slots": slots.slots,
        "slots_read": tuple(sorted(read)),
        "event_fields": slots.by_event,
        "lead_fields": program.lead_fields,
        "score_names": tuple(s.name for s in program.scores),
        "stages": program.stages,
        "stage_where": tuple(f"{f}:{n}" for f, n in program.stage_lines),
        "rule_info": rule_info,
        "flow_names": tuple(flow.name for flow in program.flows),
        "waits": "{" + ", ".join(
            f"({flow.index}, {i + 1}): {sum(isinstance(x, ir.Wait) for x in flow.code[:i + 1])}"
            for flow in program.flows for i, instr in enumerate(flow.code)
            if isinstance(instr, ir.Wait)) + "}",
        "state": state,
        "legend": [(var.name.ljust(max(len(v.name) for v in state)), var.meaning) for var in state],
        "lead_slots": sorted(["lead_id", "tracing"] + [var.name for var in state], key=natural),
        "snapshot": g.snapshot,
        "stage_now": "STAGES[lead.stg]" if program.stages else "None",
        "stage_since": "lead.ssince" if program.stages else "None",
        "result_scores": "{" + ", ".join(f"{literal(s.name)}: lead.s{k}"
                                         for k, s in enumerate(program.scores)) + "}",
        "next_due": next_due(g),
        "compact": compact,
        "consts": consts.lines,
        "functions": consts.functions,
        # Only the unoptimized program keeps `1 > 2` unfolded (emit_expr records writing one).
        "constant_compares": consts.constant_compares,
    }
    skeleton = _environment().get_template("module.py.j2").render(context)
    # The source map's ranges count from each function's `def` line (the writer measured
    # them); the module adds that line's number once it is loaded.
    return (skeleton + "\n\n" + run + "\n" + run_traced + "\n" + run_leads
            + _source_map(sources, {"_run": run_spans, "_run_traced": traced_spans,
                                    "_run_leads": leads_spans}))


def natural(name: str):
    """ruff's (isort-style) order for `__slots__`: `s2` before `s10`."""
    runs = ("".join(run) for _, run in groupby(name, str.isdigit))
    return [int(run) if run.isdigit() else run for run in runs]


def _source_map(sources: Sources, ranges: dict[str, list[tuple[int, int, int]]]) -> str:
    """`_SOURCES` and `_LINE_MAP`: which generated lines belong to which rule's file:line.

    `ranges` holds, per function, (first, last, source) counted from its `def`
    line; `_LINE_MAP` adds the line the function starts on (`co_firstlineno`).
    """
    entries = "".join(f"    {number}: ({literal(label)}, {literal(file)}, {line}),\n"
                      for number, (label, file, line) in sorted(sources.entries.items()))
    parts = []
    for function, spans in ranges.items():
        rows = "".join(f"    ({a}, {z}, {s}),\n" for a, z, s in sorted(spans))
        parts.append(f"_lines_of({function}, (\n{rows}))")
    return ("\n\n# Source map: (label, file, line) per rule (by its index, as in _RULES), flow\n"
            "# or stage, and the generated line ranges that belong to each (innermost range\n"
            "# wins), counted in each function from its `def` line.\n"
            f"_SOURCES = {{\n{entries}}}\n\n\n"
            "def _lines_of(function, ranges):\n"
            "    first = function.__code__.co_firstlineno\n"
            "    return tuple((first + a, first + z, source) for a, z, source in ranges)\n\n\n"
            f"_LINE_MAP = {' + '.join(parts)}\n")
