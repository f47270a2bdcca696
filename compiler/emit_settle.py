"""Emitters for `_settle()` (while rules, stage, rising `when` rules, exit/enter) and
`_timers(bound)` (every periods, expiries, flow waits, held sends, in due order)."""

from __future__ import annotations

from leadflow.compiler import ir
from leadflow.compiler.emit_events import fire_every
from leadflow.compiler.emit_expr import call, inner, is_constant, literal, literal_names
from leadflow.compiler.emit_stmt import SIGNED, Gen, TimerKind, action_text, flag
from leadflow.compiler.writer import Block
from leadflow.semantics import notes
from leadflow.semantics.failures import MAX_ROUNDS
from leadflow.semantics.points import expired_cause, released_cause


def settle_function(g: Gen, depth: int) -> Block | None:
    """`_settle()`: rounds of while rules, stage, rising `when` rules, exit/enter, until quiet."""
    p = g.p
    whiles = [r for r in p.rules if r.kind == "while"]
    whens = [r for r in p.rules if r.kind == "when"]
    exits = [r for r in p.rules if r.kind == "exit"]
    enters = [r for r in p.rules if r.kind == "enter"]
    if not (whiles or whens or p.stages):
        return None
    b = g.block(depth)
    b("def _settle():")
    with b.indent():
        b(f"for _round in range({MAX_ROUNDS}):")
        with b.indent():
            b("involved = []")
            for rule in whiles:
                _while_step(g, b, rule)
            if p.stages:
                b("_old = stg", reads=("stg",))
                b("_new = 0")
                for k in range(1, len(p.stages)):
                    file, line = p.stage_lines[k]
                    with b.mapped(g.sources.add(f"stage {p.stages[k]}", file, line)):
                        em = g.plain_emitter()
                        b.if_(f"{em.cond(p.stage_conds[k])}")
                        b.nested(f"_new = {k}")
                b.assign("stg", "_new")
            for rule in whens:
                with b.mapped(g.rule_source(rule)):
                    em = g.plain_emitter()
                    b(f"_c = bool({inner(em.cond(rule.when))})")
                    b(f"u{rule.index} = _c and not wp{rule.index}", reads=(f"wp{rule.index}",))
                    b.assign(f"wp{rule.index}", "_c")
            if whens:
                g.group(b, [(r, flag(f"u{r.index}")) for r in whens], g.plain_emitter, involved=True)
            if p.stages:
                b.if_("stg != _old", reads=("stg",))
                with b.indent():
                    b("involved.append(-1 - stg)")
                    b("trans.append(Transition(now, STAGES[_old], STAGES[stg]))", reads=("trans", "now"))
                    b.assign("ssince", g.v("now"))
                    g.note(b, "stage", call(notes.stage_changed, "STAGES[_old]", "STAGES[stg]"))
                    _stage_groups(g, b, exits, "_old")
                    _stage_groups(g, b, enters, "stg")
            b.if_("not involved")
            if p.settle_watch is not None:
                b.nested_assign("sw", watched(g))  # quiet on these values: skip until one changes
            if p.settle_conditions:
                b.nested_assign("sc", conditions(g))  # or until a condition's value does
            b.nested("return")
        b("raise _not_settled(involved)")
    return b


def watched(g: Gen) -> str:
    """The tuple of values settle conditions read (passes/watch_settle.py)."""
    em = g.plain_emitter()
    return literal_names([em.value(atom) for atom in g.p.settle_watch]) if g.p.settle_watch else "()"


def conditions(g: Gen) -> str:
    """The tuple of the settle conditions' values (passes/watch_settle.py)."""
    em = g.plain_emitter()
    return literal_names([em.cond(cond) for cond in g.p.settle_conditions])


def settle_call(g: Gen, b: Block) -> None:
    """Call `_settle()`, unless the values its conditions read are those it last went quiet
    on, or (when it has settle_conditions) its conditions' values are."""
    if g.p.settle_watch is None:
        b("_settle()")
        return
    if not g.p.settle_conditions:
        b.if_(f"{watched(g)} != sw", reads=("sw",))
        b.nested("_settle()")
        return
    b("_w = " + watched(g))
    b.if_("_w != sw", reads=("sw",))
    with b.indent():
        b.if_(f"{conditions(g)} != sc", reads=("sc",))
        b.nested("_settle()")
        b.else_()
        b.nested_assign("sw", "_w")  # quiet on these values too: no condition changed


def _stage_groups(g: Gen, b: Block, rules: list[ir.Rule], stage_var: str) -> None:
    """The `on exit`/`on enter` rules of the stage left/entered: one group per stage."""
    for k in range(len(g.p.stages)):
        members = [r for r in rules if r.stage == k]
        if members:
            g.group(b, [(r, flag(f"{stage_var} == {k}")) for r in members], g.plain_emitter,
                    involved=True)


def _while_step(g: Gen, b: Block, rule: ir.Rule) -> None:
    """Start holding a while rule's points when its condition holds; give them back when not."""
    r = rule.index
    action = rule.actions[0]
    k = action.score
    with b.mapped(g.rule_source(rule)):
        em = g.plain_emitter()
        b(f"_c = {em.cond(rule.when)}")
        b.if_(f"_c and wh{r} is None", reads=(f"wh{r}",))
        with b.indent():
            value = em.value(action.amount)
            b(f"_a = {value}")
            shown = action_text(action, value if is_constant(value) else "_a")
            if g.trace and not is_constant(value) and action.verb in SIGNED:
                b(f"_w = {shown}")  # before a missing amount becomes 0
                shown = "_w"
            b.if_("_a is None")
            b.nested("_a = 0.0")
            b(f"_o = s{k}", reads=(f"s{k}",))
            g.change_score(b, k, "_a", rule.id)
            b.assign(f"wh{r}", f"s{k} - _o", reads=(f"s{k}",))
            b(f"involved.append({r})")
            g.note(b, "while", call(notes.while_holds, literal(rule.id), shown,
                                    literal(g.p.scores[k].name), f"s{k}"))
        b.elif_(f"not _c and {g.v(f'wh{r}')} is not None")
        with b.indent():
            g.change_score(b, k, f"-{g.v(f'wh{r}')}", released_cause(rule.id))
            if g.trace:
                g.note(b, "while", call(notes.while_released, literal(rule.id), g.v(f"wh{r}"),
                                        literal(g.p.scores[k].name), f"s{k}"))
            b.assign(f"wh{r}", "None")
            b(f"involved.append({r})")


# --------------------------------------------------------------------- timers


def timers_function(g: Gen, depth: int, settle: bool) -> Block | None:
    """`_timers(bound)`: fire every timer due at or before `bound`, in (due, creation) order."""
    p = g.p
    if p.timers == "none":
        return None
    everies = [r for r in p.rules if r.kind == "every"]
    scalar = everies if g.every_scalar else []
    b = g.block(depth)
    b("def _timers(bound):")
    with b.indent():
        b("while True:")
        with b.indent():
            if g.heap:
                b.if_("th", reads=("th",))
                b.nested("_due, _seq = th[0][0], th[0][1]")
                b.else_()
                b.nested("_due, _seq = _NEVER, 0")
            elif not g.single_every:
                b("_due, _seq = _NEVER, 0")
            if scalar and not g.single_every:
                b("_which = -1")
            for rule in scalar if not g.single_every else []:
                r = rule.index
                tie = "" if g.single_every else f" or (ed{r} == _due and eq{r} < _seq)"
                b.if_(f"ed{r} < _due{tie}", reads=(f"ed{r}", f"eq{r}"), loose=bool(tie))
                b.nested(f"_due, _seq, _which = ed{r}, eq{r}, {r}" if not g.single_every
                         else f"_due = ed{r}", reads=(f"ed{r}", f"eq{r}"))
            if g.single_every:
                b(f"_due = ed{scalar[0].index}", reads=(f"ed{scalar[0].index}",))
            b.if_("_due > bound")
            if g.single_every:
                b.nested("return")
            else:
                b.nested_assign("tnext", "_due")
                b.nested("return")
            b.assign("now", "_due")
            if g.heap and scalar:
                b.if_("_which == -1")
                with b.indent():
                    _heap_timer(g, b, [])
            elif g.heap:
                _heap_timer(g, b, everies)
            if g.single_every:
                fire_every(g, b, scalar[0])
            for rule in scalar if not g.single_every else []:
                b.if_(f"_which == {rule.index}", chained=g.heap or rule is not scalar[0])
                with b.indent():
                    fire_every(g, b, rule)
            if settle:
                settle_call(g, b)
    return b


def _heap_timer(g: Gen, b: Block, everies: list[ir.Rule]) -> None:
    b("_due, _seq, _kind, _ea, _eb = heappop(th)", reads=("th",))  # TimerKind says what _ea, _eb hold
    first = True

    def branch(kind: TimerKind):
        nonlocal first
        b.if_(f"_kind == {g.timer_kind(kind)}", chained=not first)
        first = False

    if everies:
        branch(TimerKind.EVERY)
        with b.indent():
            for i, rule in enumerate(everies):
                b.if_(f"_ea == {rule.index} and es{rule.index} == _seq", chained=i > 0,
                      reads=(f"es{rule.index}",))
                with b.indent():
                    fire_every(g, b, rule)
            b.else_()
            b.nested("continue  # restarted since: this period no longer exists")
    expiring = [r for r in g.p.rules if r.modifiers.expires is not None]
    if expiring:
        branch(TimerKind.EXPIRE)
        with b.indent():
            _expire(g, b, expiring)
    if g.p.flows and any(isinstance(i, ir.Wait) for f in g.p.flows for i in f.code):
        branch(TimerKind.FLOW_WAIT)
        with b.indent():
            for i, flow in enumerate(g.p.flows):
                b.if_(f"_ea == {flow.index}", chained=i > 0)
                with b.indent():
                    b("_tok, _pc = _eb")
                    b.if_(f"ft{flow.index} != _tok", reads=(f"ft{flow.index}",))
                    b.nested("continue  # the instance was stopped: its wait is cancelled")
                    g.note(b, "timer", literal(notes.wait_over(flow.name)))
                    b(f"_flow{flow.index}(_pc)")
    if g.p.delivery.quiet_start is not None:
        branch(TimerKind.HELD_SEND)
        with b.indent():
            b("_src, _via, _tok = _ea")  # _tok: a flow's send, the token of its run (else None)
            b("_target, _args = _eb")
            if g.holds_sends:  # a stopped run's held sends are cancelled
                b.if_("_tok in fx", reads=("fx",))
                with b.indent():
                    b("fx[_tok] -= 1", reads=("fx",))
                    b.if_("not fx[_tok]", reads=("fx",))
                    b.nested("del fx[_tok]", reads=("fx",))
                    b("continue")
                b.if_("_tok in fh", reads=("fh",))
                with b.indent():
                    b("fh[_tok].remove(_target)", reads=("fh",))
                    b.if_("not fh[_tok]", reads=("fh",))
                    b.nested("del fh[_tok]", reads=("fh",))
            g.note(b, "timer", call(notes.quiet_over, "_target"))
            b("_deliver(_src, _via, _target, _args)")


def _expire(g: Gen, b: Block, rules: list[ir.Rule]) -> None:
    """`expires after D`: take back what one firing changed; its points leave the contribution."""
    for i, rule in enumerate(rules):
        b.if_(f"_ea == {rule.index}", chained=i > 0)
        with b.indent(), b.mapped(g.rule_source(rule)):
            b("for _k, _actual, _points in _eb:")
            with b.indent():
                scores = sorted({a.score for a in rule.actions if isinstance(a, ir.AddScore)})
                for j, k in enumerate(scores):
                    b.if_(f"_k == {k}", chained=j > 0)
                    with b.indent():
                        g.change_score(b, k, "-_actual", expired_cause(rule.id))
                        if rule.modifiers.cap is not None:
                            live = f"rk{rule.index}_{k}"
                            b.assign(live, f"{live} - _points", reads=(live,))
                        g.note(b, "expire", call(notes.expired, literal(rule.id), "_actual",
                                                 literal(g.p.scores[k].name), f"s{k}"))
