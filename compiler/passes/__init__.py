"""Optimizer passes: small pure functions `Program -> Program`, applied in this order.

Each lives in its own module with fixture tests (tests/compiler/passes/, and
in fixtures/ a rule file with the IR dump before and after the pass). Each
transforms the IR or writes its decision into it as a typed node or field;
code generation only renders what the IR says. `optimize(program,
enabled=False)` applies none of them, which is what the differential tests
compare against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from leadflow.compiler import ir
from leadflow.compiler.passes.bound_windows import bound_windows
from leadflow.compiler.passes.choose_timers import choose_timers
from leadflow.compiler.passes.dispatch_by_event import dispatch_by_event
from leadflow.compiler.passes.fold_constants import fold_constants
from leadflow.compiler.passes.fuse_rules import fuse_rules
from leadflow.compiler.passes.inline_filters import inline_filters
from leadflow.compiler.passes.prune_state import prune_state
from leadflow.compiler.passes.remove_dead_rules import remove_dead_rules
from leadflow.compiler.passes.share_aggregates import share_aggregates
from leadflow.compiler.passes.watch_settle import watch_settle

Pass = Callable[[ir.Program], ir.Program]

PASSES: tuple[Pass, ...] = (
    fold_constants,      # first: later passes see constant conditions
    remove_dead_rules,   # needs folded conditions
    prune_state,         # after dead rules are gone, their aggregates are unread
    share_aggregates,    # before storage is chosen, so reads are merged
    bound_windows,       # needs every read of a (shared) aggregate
    fuse_rules,
    dispatch_by_event,   # names rules by index: after every pass that removes rules
    inline_filters,
    watch_settle,        # needs the aggregates' final storage
    choose_timers,       # last: sees the final set of rules
)

PASS_NAMES = tuple(p.__name__ for p in PASSES)


def optimize(program: ir.Program, enabled: bool = True, skip: Iterable[str] = ()) -> ir.Program:
    """Apply every pass in order (none when `enabled` is False; `skip` names passes to leave out)."""
    if not enabled:
        return program
    skipped = set(skip)
    unknown = skipped - set(PASS_NAMES)
    if unknown:
        raise ValueError(f"unknown passes: {sorted(unknown)}")
    for optimization in PASSES:
        if optimization.__name__ not in skipped:
            program = optimization(program)
    return program
