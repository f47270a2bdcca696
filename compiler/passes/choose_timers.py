"""Timers: a heap per lead only when the ruleset has timers of several kinds.

Sets `Program.timers`, which says where the generated code keeps due times:

- "none":   no rule or flow ever schedules anything (no `every`, `expires`,
            `wait`, quiet hours): the loop never checks a clock;
- "one":    a single `every` rule and no other timer: its due time is the
            loop's one clock (no `tnext`, no sequence numbers);
- "every":  only `every` rules: each keeps its next due time in a variable;
- "mixed":  `every` rules in variables, other timers (expiries, flow waits,
            delayed sends) in a heap;
- "heap":   everything in the heap (the plain choice).
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir


def _has_heap_timers(program: ir.Program) -> bool:
    if program.delivery.quiet_start is not None:
        return True
    if any(r.modifiers.expires is not None for r in program.rules):
        return True
    return any(isinstance(i, ir.Wait) for f in program.flows for i in f.code)


def choose_timers(program: ir.Program) -> ir.Program:
    every = sum(r.kind == "every" for r in program.rules)
    if _has_heap_timers(program):
        mode = "mixed" if every else "heap"
    else:
        mode = "none" if not every else "one" if every == 1 else "every"
    return dataclasses.replace(program, timers=mode)
