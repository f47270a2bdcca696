"""choose_timers: the timer mode recorded on the program."""

from __future__ import annotations

import pytest
from irkit import on, program, rule

from leadflow.compiler import ir
from leadflow.compiler.passes import choose_timers

EVERY = rule(5, "every", period=ir.Dur(micros=10), without=None)


WAIT_FLOW = ir.Flow(0, "f", "t.leadflow", 1, None, (), (), (ir.Wait(ir.Dur(micros=1)),))
CASES = [
    ("no timers at all", program([on(0)]), "none"),
    ("one every rule", program([on(0), EVERY]), "one"),
    ("only every rules", program([on(0), EVERY, rule(6, "every", period=ir.Dur(micros=20))]), "every"),
    ("every and expiries", program([EVERY, on(1, modifiers=ir.Modifiers(expires=ir.Dur(micros=1)))]),
     "mixed"),
    ("a flow wait only", program([on(0)], flows=[WAIT_FLOW]), "heap"),
    ("quiet hours", program([on(0)], delivery=ir.Delivery(quiet_start=1, quiet_end=2)), "heap"),
]


@pytest.mark.parametrize("p, mode", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_timer_mode(p, mode):
    assert choose_timers(p).timers == mode
