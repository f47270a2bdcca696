"""Emitters for flows (step 5 of an event, `_flowN`) and delivery (`_send`/`_deliver`).

The nested functions close over `_run`'s locals; `codegen` adds their `nonlocal` declarations.
"""

from __future__ import annotations

from leadflow.compiler import ir
from leadflow.compiler.emit_expr import ExprEmitter, always, call, inner, literal, window_start
from leadflow.compiler.emit_stmt import Gen, TimerKind
from leadflow.compiler.writer import Block
from leadflow.semantics import notes
from leadflow.semantics.delivery import limit_reached


def flow_triggers(g: Gen, b: Block, event: int, em: ExprEmitter) -> None:
    """Step 5 of an event: `stop on` ends live flows, then `start on` starts idle ones."""
    for flow in g.p.flows:
        stops = [g.cond(em, t.where) for t in flow.stops if t.event == event]
        if stops:
            f = flow.index
            b.if_(f"ft{f}{_any(stops)}", reads=(f"ft{f}",))
            with b.indent():
                g.note(b, "flow", literal(notes.flow_stops(flow.name, notes.stop_on(g.p.events[event].name))))
                g.cancel_held(b, flow)
                b.assign(f"ft{f}", "0")
                b.assign(f"fc{f}", "_EMPTY")
    starting = []
    for flow in g.p.flows:  # every start trigger is read on the same state, before any starts
        starts = [g.cond(em, t.where) for t in flow.starts if t.event == event]
        if starts:
            b(f"y{flow.index} = not ft{flow.index}{_any(starts)}", reads=(f"ft{flow.index}",))
            starting.append(flow)
    for flow in starting:
        context = g.evdict(event, em) if flow.event == event else "_EMPTY"
        b.if_(f"y{flow.index}")
        b.nested(f"_flow{flow.index}(0, {context})")


def flow_functions(g: Gen, flow: ir.Flow, depth: int) -> list[Block]:
    """`_flowN(pc, ctx=None, why='')`: run the steps from `pc` up to the next wait.

    With `ctx` (the event that starts it, or `_EMPTY`) it first starts a run,
    unless one is running; `why` is ' (started by RULE)' for a start action.
    """
    f = flow.index
    run = g.block(depth)
    source = g.sources.add(flow.name, flow.file, flow.line)
    run(f"def _flow{f}(pc, ctx=None, why=''):")
    with run.indent(), run.mapped(source):
        run.if_("ctx is not None")
        with run.indent():
            run.if_(f"ft{f}", reads=(f"ft{f}",))
            with run.indent():
                g.note(run, "flow", literal(notes.start_ignored(flow.name)))
                run("return")
            run.assign("ftok", "1", "+=")
            run.assign(f"ft{f}", g.v("ftok"))
            run.assign(f"fc{f}", "ctx")
            g.note(run, "flow", call(notes.flow_starts, literal(flow.name), "why"))
        run(f"tok = {g.v(f'ft{f}')}")
        run("while True:")
        with run.indent():
            for i, instr in enumerate(flow.code):
                run.if_(f"pc == {i}", chained=i > 0)
                with run.indent():
                    _flow_instr(g, run, flow, i, instr)
            if flow.code:
                run.else_()
            else:
                run.if_("True")
            with run.indent():
                run.assign(f"ft{f}", "0")
                run.assign(f"fc{f}", "_EMPTY")
                g.note(run, "flow", literal(notes.flow_ends(flow.name)))
                run("return")
    return [run]


def _flow_instr(g: Gen, b: Block, flow: ir.Flow, i: int, instr: ir.Instr) -> None:
    f = flow.index
    em = g.flow_emitter(flow)
    if isinstance(instr, ir.Do):
        action = instr.action
        context = None
        if isinstance(action, ir.FlowOp) and action.op == "start":
            target = g.p.flows[action.flow]
            context = g.v(f"fc{f}") if flow.event is not None and flow.event == target.event else "_EMPTY"
        g.actions(b, (action,), None, em, flow.name, None, None, "flow", context)
        if isinstance(action, ir.FlowOp):
            b.if_(f"ft{f} != tok", reads=(f"ft{f}",))  # the step stopped (or restarted) this very flow
            b.nested("return")
        b(f"pc = {i + 1}")
    elif isinstance(instr, ir.Wait):
        g.schedule(b, g.window_end(instr.dur), TimerKind.FLOW_WAIT, f"{f}, (tok, {i + 1})")
        g.note(b, "flow", call(notes.flow_waits, literal(flow.name), literal(instr.text), "_due", "TIMEZONE"))
        b("return")
    elif isinstance(instr, ir.JumpUnless):
        b(f"pc = {i + 1} if {em.cond(instr.cond)} else {instr.target}")
    elif isinstance(instr, ir.Jump):
        b(f"pc = {instr.target}")


def send_functions(g: Gen, depth: int) -> list[Block]:
    """`_send` (quiet hours hold a send until their end) and `_deliver` (the send limit)."""
    d = g.p.delivery
    if not g.send_policy:
        return []
    send = g.block(depth)
    send("def _send(src, kind, target, args, run=None):")  # run: the token of a flow's run
    with send.indent():
        if d.quiet_start is not None and d.quiet_start != d.quiet_end:  # `A to A` holds nothing
            start = g.consts.named("_QUIET_FROM", str(d.quiet_start),
                                   f"quiet hours start at {_clock(d.quiet_start)} (minutes of the day)")
            end = g.consts.named("_QUIET_UNTIL", str(d.quiet_end),
                                 f"and end at {_clock(d.quiet_end)} (minutes of the day)")
            send.if_(f"in_clock_range(now, {start}, {end}, TIMEZONE)", reads=("now",))
            with send.indent():
                if g.holds_sends:
                    send.if_("run is not None")
                    send.nested("fh.setdefault(run, []).append(target)", reads=("fh",))
                g.schedule(send, f"next_local_clock({g.v('now')}, {end}, TIMEZONE)",
                           TimerKind.HELD_SEND, "(src, kind, run), (target, args)")
                g.note(send, "", call(notes.send_held, "src", "target", "_due", "TIMEZONE"), "kind")
                send("return")
        send("_deliver(src, kind, target, args)")
    deliver = g.block(depth)
    deliver("def _deliver(src, kind, target, args):")
    with deliver.indent():
        if d.send_limit is not None:
            n = d.send_limit
            deliver.if_(call(limit_reached, "dl", str(n), inner(window_start(d.limit_per, g.v("now"), g.consts))),
                        reads=("dl",))
            with deliver.indent():
                deliver("acts.append(OutAction(now, src, 'suppressed', target, args))", reads=("acts", "now"))
                g.note(deliver, "", call(notes.send_limited, "src", "target", literal(d.limit_text)), "kind")
                deliver("return")
            deliver("dl.append(now)", reads=("dl", "now"))
        deliver("acts.append(OutAction(now, src, 'send', target, args))", reads=("acts", "now"))
        g.note(deliver, "", call(notes.sent, "src", "'send'", "target", "args"), "kind")
    return [send, deliver]


def _any(conditions: list[str]) -> str:
    """` and (a or b)`, or nothing when one of them always holds."""
    if any(always(c) for c in conditions):
        return ""
    if len(conditions) == 1:
        return f" and {conditions[0]}"
    return f" and ({' or '.join(conditions)})"


def _clock(minutes: int) -> str:
    """Minutes since midnight as the rule file writes a time: 1320 → 22:00."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
