"""dispatch_by_event: one branch per event type with work, naming its `on` rules."""

from __future__ import annotations

from irkit import AMOUNT, BUY, VIEW, count, on, program, rule

from leadflow.compiler import ir
from leadflow.compiler.passes import dispatch_by_event

EVENTS3 = (ir.EventInfo("buy", (("amount", "number"),)), ir.EventInfo("view", (("url", "text"),)),
           ir.EventInfo("quiet", ()))


def branches(p: ir.Program) -> tuple[ir.EventBranch, ...]:
    return dispatch_by_event(p).dispatch.branches


def test_the_plain_program_has_no_dispatch():
    assert program([on(0)]).dispatch is None


def test_each_type_names_its_on_rules_in_file_order():
    p = program([on(0), on(1, VIEW), rule(2, "when", when=ir.Const(True)), on(3)])
    assert branches(p) == (ir.EventBranch(BUY, (0, 3)), ir.EventBranch(VIEW, (1,)))


def test_a_type_with_nothing_to_do_has_no_branch():
    p = program([on(0, VIEW)], events=EVENTS3)
    assert branches(p) == (ir.EventBranch(VIEW, (0,)),)


def test_a_type_only_recorded_or_triggering_a_flow_has_an_empty_branch():
    flow = ir.Flow(0, "f", "t.leadflow", 1, 2, (ir.FlowTrigger(2, None),), (), ())
    p = program([on(0, VIEW)], aggregates=[count(0, where=ir.Compare(">", AMOUNT, ir.Const(1)))],
                flows=[flow], events=EVENTS3)
    assert branches(p) == (ir.EventBranch(BUY), ir.EventBranch(VIEW, (0,)), ir.EventBranch(2))


def test_a_tracker_gives_its_type_a_branch():
    p = program([], trackers=[ir.Tracker(0, VIEW, None)])
    assert branches(p) == (ir.EventBranch(VIEW),)
