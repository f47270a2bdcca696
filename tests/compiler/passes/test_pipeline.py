"""The pass list: order, the switch that turns them off, and properties every pass has."""

from __future__ import annotations

import pytest

from leadflow.api import load_file
from leadflow.compiler import ir, irwalk
from leadflow.compiler.lower import lower
from leadflow.compiler.passes import PASS_NAMES, PASSES, optimize


@pytest.fixture(scope="module")
def zapateria():
    return lower(load_file("examples/zapateria.leadflow").model)


def test_the_passes_run_in_the_documented_order():
    assert PASS_NAMES == ("fold_constants", "remove_dead_rules", "prune_state", "share_aggregates",
                          "bound_windows", "fuse_rules", "dispatch_by_event", "inline_filters",
                          "watch_settle", "choose_timers")


def test_the_switch_turns_every_pass_off(zapateria):
    assert optimize(zapateria, enabled=False) is zapateria
    assert optimize(zapateria, skip=PASS_NAMES) == zapateria


def test_an_unknown_pass_name_is_an_error(zapateria):
    with pytest.raises(ValueError, match="unknown passes"):
        optimize(zapateria, skip=("no_such_pass",))


@pytest.mark.parametrize("optimization", PASSES, ids=PASS_NAMES)
def test_each_pass_is_idempotent(optimization, zapateria):
    once = optimization(zapateria)
    assert optimization(once) == once


def test_optimizing_changes_the_plain_program(zapateria):
    optimized = optimize(zapateria)
    assert optimized != zapateria
    assert optimized.dispatch is not None and optimized.timers == "mixed"
    assert any(isinstance(r.where, ir.FilterCall) for r in zapateria.rules)
    assert not any(isinstance(e, ir.FilterCall) for e in irwalk.root_exprs(optimized))
    assert {a.storage for a in optimized.aggregates} >= {"counter", "recent"}
