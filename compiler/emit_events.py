"""Emitters for step 2 of an event: recording it in aggregates and `since` trackers,
and the `every D without X` clocks it restarts (and their firing, a timer)."""

from __future__ import annotations

from collections.abc import Callable

from leadflow.compiler import ir
from leadflow.compiler.emit_expr import TRUE, ExprEmitter, all_of, always, literal, window_start
from leadflow.compiler.emit_stmt import Gen, TimerKind, flag
from leadflow.compiler.writer import Block
from leadflow.semantics import notes

SLACK = 86_400_000_000  # calendar windows: prune a day late, so a DST change never drops a live entry


# ------------------------------------------------------------------ recording


def record(g: Gen, b: Block, event: int, em: ExprEmitter) -> None:
    """Step 2 of an event: count it in every aggregate and `since` tracker of its type."""
    for agg in g.p.aggregates:
        if agg.event == event:
            _record_aggregate(g, b, agg, em)
    for tracker in g.p.trackers:
        if tracker.event != event:
            continue
        last = f"k{tracker.id}"
        if tracker.replay:
            b(f"{last}.append(({em.var('now')}, {g.evdict(event, em)}))", reads=(last,))
        else:
            _guarded(b, g.cond(em, tracker.where), lambda b, last=last: b.assign(last, em.var("now")))


def _record_aggregate(g: Gen, b: Block, agg: ir.Aggregate, em: ExprEmitter) -> None:
    name = f"g{agg.id}"
    if agg.storage == "replay":
        b(f"{name}.append(({em.var('now')}, {g.evdict(agg.event, em)}))", reads=(name,))
        return
    where = g.cond(em, agg.where)
    value = "None" if agg.field is None else em.var(g.field_local(agg.event, agg.field))
    present = [] if agg.field is None or value == "now" else [f"{value} is not None"]
    storage = agg.storage
    now = em.var("now")
    if storage == "counter":
        _guarded(b, where, lambda b: b.assign(name, "1", "+="))
    elif storage == "recent":
        _guarded(b, where, lambda b: b(f"{name}.append({now})", reads=(name,)))
    elif storage == "history":
        _guarded(b, where, lambda b: b(f"{name}.append(({now}, {value}))", reads=(name,)))
    elif storage == "window":
        cutoff = prune_cutoff(g, agg.within, now)
        def append_and_prune(b: Block) -> None:
            b(f"{name}.append(({now}, {value}))", reads=(name,))
            b.if_(f"len({name}) > 32")
            b.nested(f"_prune({name}, {cutoff})")
        _guarded(b, all_of([where, *present]), append_and_prune)
    elif storage == "distinct":
        _guarded(b, all_of([where, *present]), lambda b: b(f"{name}.add({value})", reads=(name,)))
    elif storage == "running":
        if agg.func in ("sum", "avg"):
            def add(b: Block) -> None:
                b.assign(name, f"{name} + {value}", reads=(name,))
                if agg.func == "avg":
                    b.assign(f"gn{agg.id}", "1", "+=")
            _guarded(b, all_of([where, *present]), add)
        else:
            op = "<" if agg.func == "min" else ">"
            _guarded(b, all_of([where, *present, f"({g.v(name)} is None or {value} {op} {name})"]),
                     lambda b: b.assign(name, value))
    else:
        raise ValueError(storage)


def prune_cutoff(g: Gen, within: ir.Dur, now: str) -> str:
    """Python for the time at or before which the entries of a window `within` count no
    more (at `now` and at any later time)."""
    cutoff = window_start(within, now, g.consts)
    if within.calendar:
        cutoff = f"{cutoff} - {g.consts.duration(SLACK)}"
    return cutoff


def compact_lines(g: Gen) -> list[str]:
    """The body of the module's `compact(lead)`: drop from the lead's deques of recent
    times the entries older than their window at the lead's clock (what `run --state`
    saves shrinks; every later event and timer comes after that clock, so nothing dropped
    could count again): window aggregates (time, value), as a run prunes them itself;
    "recent" aggregates, whose `count >= n` test reads the n-th latest time; and the
    times of the last sends, which the send limit reads the same way."""
    lines = []
    for agg in g.p.aggregates:
        if agg.storage == "window":  # as the run prunes it: the same entries, whenever
            lines.append(f"_prune(lead.g{agg.id}, {prune_cutoff(g, agg.within, 'now')})")
        elif agg.storage == "recent" and agg.within is not None:
            lines.append(f"_prune_times(lead.g{agg.id}, {_older_than(g, agg.within)})")
    delivery = g.p.delivery
    if delivery.send_limit is not None:
        lines.append(f"_prune_times(lead.dl, {_older_than(g, delivery.limit_per)})")
    return lines


def _older_than(g: Gen, within: ir.Dur) -> str:
    """A time at or before which nothing counts in `within` at `now` or later: the exact
    window start, or for calendar months one from the distance alone (longer than any
    run of that many months, `month_bounds`), without the calendar's cost per lead."""
    if within.calendar and within.months < 12_000:
        return f"now - {g.consts.month_bounds(within.months)[1]}"
    return prune_cutoff(g, within, "now")


def restart_every(g: Gen, b: Block) -> None:
    """`every D without X`: the clock starts at the first event and restarts at each X (file order)."""
    for rule in g.p.rules:
        if rule.kind != "every":
            continue
        if rule.without is None:
            schedule_every(g, b, rule, first=True)
            continue
        b.if_(f"code == {rule.without} or not seen", reads=("seen",), loose=True)
        with b.indent():
            schedule_every(g, b, rule, first=True)
    if any(r.kind == "every" and r.without is not None for r in g.p.rules):
        b.assign("seen", "True")


def _calendar_due(g: Gen, b: Block, r: int, period: ir.Dur, first: bool) -> None:
    """`_d` = the next due time of calendar every-rule r: its anchor + k periods (no drift)."""
    if first:
        b.assign(f"ea{r}", g.v("now"))
        b.assign(f"ek{r}", "1")
    else:
        b.assign(f"ek{r}", "1", "+=")
    b(f"_d = _every_due(ea{r}, ek{r}, {period.months})", reads=(f"ea{r}", f"ek{r}"))


def schedule_every(g: Gen, b: Block, rule: ir.Rule, first: bool) -> None:
    """Schedule the next period of an every rule: anchor + k×D (calendar months do not drift)."""
    r, period = rule.index, rule.period
    if g.heap and not g.every_scalar:  # the plain program: a heap entry, older ones go stale
        if period.calendar:
            _calendar_due(g, b, r, period, first)
            b.if_("_d is not None")
            with b.indent():
                b.assign(f"es{r}", g.v("tseq"))
                g.schedule(b, "_d", TimerKind.EVERY, f"{r}, None")
        else:
            b.assign(f"es{r}", g.v("tseq"))
            g.schedule(b, g.window_end(period), TimerKind.EVERY, f"{r}, None")
        return
    if period.calendar:
        _calendar_due(g, b, r, period, first)
        b.if_("_d is None")
        b.nested_assign(f"ed{r}", "_NEVER")
        b.else_()
        with b.indent():
            b.assign(f"ed{r}", "_d")
            _every_seq(g, b, r)
    else:
        b.assign(f"ed{r}", f"{g.v('now')} + {g.consts.duration(period.micros)}")
        _every_seq(g, b, r)


def _every_seq(g: Gen, b: Block, r: int) -> None:
    if g.single_every:
        return  # one timer only: no ties to break, no lower bound to keep
    b.assign(f"eq{r}", g.v("tseq"))
    b.assign("tseq", "1", "+=")
    b.lower_to("tnext", f"ed{r}", reads=(f"ed{r}",))


def fire_every(g: Gen, b: Block, rule: ir.Rule) -> None:
    """An every rule's period ended: fire it, then schedule the next period unless used up."""
    r = rule.index
    if not (g.heap and not g.every_scalar):
        b.assign(f"ed{r}", "_NEVER")
    g.note(b, "timer", literal(notes.period_over(rule.id, rule.trigger_text)))
    g.group(b, [(rule, flag(TRUE))], g.plain_emitter)
    mods = rule.modifiers
    cond = TRUE
    if mods.per is None:
        parts = []
        if mods.once:
            parts.append(f"{g.v(f'rc{r}')} == 0")
        if mods.up_to is not None:
            parts.append(f"{g.v(f'rc{r}')} < {mods.up_to}")
        cond = all_of(parts)
    if always(cond):
        schedule_every(g, b, rule, first=False)
    else:
        b.if_(f"{cond}")  # `once` / `up to N` used up for good: later periods could never fire
        with b.indent():
            schedule_every(g, b, rule, first=False)


def _guarded(b: Block, cond: str, body: Callable[[Block], None]) -> None:
    """What `body` writes, under `if cond:`, or bare when cond is True."""
    if always(cond):
        body(b)
        return
    b.if_(cond)
    with b.indent():
        body(b)
