"""The compiled module's own helpers: what its generated code calls besides the semantics core.

compiler/embed.py pastes this file's functions into every compiled module,
after the semantics core (semantics/) and before the ruleset's constants, so a
module stays standalone; here they are plain Python that ruff and the tests
read. What the answers mean is the core's (semantics/aggregates.py,
semantics/timemath.py, semantics/values.py, semantics/failures.py), and so
are the records a module returns (semantics/records.py); what
lives here is how a compiled module keeps its windows (deques of
(time, value), oldest first), binds its time zone, and names the rule behind
an error. The names are the ones the emitters write (compiler/emit_*.py).

Only the standard library and the semantics core may be imported: the
embedding drops the core's imports (its source is pasted before) and hoists
the others into the module's one import block. The TYPE_CHECKING block names
what the compiled module defines around these functions; it is not embedded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadflow.semantics.aggregates import (
    avg_of,
    distinct_of,
    last_values,
    max_of,
    min_of,
    sum_of,
    top_values,
)
from leadflow.semantics.failures import not_settled, rule_failed
from leadflow.semantics.points import capped
from leadflow.semantics.records import RulesetRuntimeError
from leadflow.semantics.timemath import add_months, every_due
from leadflow.semantics.values import event_text

if TYPE_CHECKING:  # defined by the compiled module (compiler/templates/module.py.j2, codegen)
    TIMEZONE: str = "UTC"
    EVENT_NAMES: tuple = ()
    EVENT_FIELDS: tuple = ()
    STAGES: tuple = ()
    _STAGE_WHERE: tuple = ()
    _RULES: dict = {}
    _SOURCES: tuple = ()
    _LINE_MAP: tuple = ()


# ------------------------------------------------------- calendar windows


def _shift(us, months):
    return add_months(us, months, TIMEZONE)


def _after(x, now, months, lo, hi):
    """x > now - months, deciding from the distance alone when it is far from the window edge.

    lo and hi bound the length of `months` calendar months (compiler/emit_expr.py,
    month_bounds), so only an `x` near the edge needs the calendar.
    """
    age = now - x
    if age < lo:
        return True
    if age >= hi:
        return False
    return x > add_months(now, -months, TIMEZONE)


def _every_due(anchor, k, months):
    """The end of the k-th calendar period after `anchor`, or None for an empty period."""
    return every_due(anchor, k, months, "month", TIMEZONE)


# ----------------------------------------------- windows of (time, value)


def _count_after(times, start):
    """How many of the (sorted) times are after `start`."""
    count = 0
    for at in reversed(times):
        if at <= start:
            break
        count += 1
    return count


def _prune(entries, cutoff):
    while entries and entries[0][0] <= cutoff:
        entries.popleft()


def _prune_times(times, cutoff):
    while times and times[0] <= cutoff:
        times.popleft()


def _present(entries, start):
    return [value for at, value in entries if value is not None and (start is None or at > start)]


def _agg_count(entries, start):
    if start is None:
        return len(entries)
    return sum(1 for at, _ in entries if at > start)


def _agg_sum(entries, start):
    return sum_of(_present(entries, start))


def _agg_avg(entries, start):
    return avg_of(_present(entries, start))


def _agg_min(entries, start):
    return min_of(_present(entries, start))


def _agg_max(entries, start):
    return max_of(_present(entries, start))


def _agg_distinct(entries, start):
    return distinct_of(_present(entries, start))


def _agg_last(entries, start, n):
    return last_values(_present(entries, start), n)


def _agg_top(entries, start, n):
    return top_values(_present(entries, start), n)


def _r_values(events, start, accept, args, field):
    """(time, value) of the events in the window that pass a filter reading the lead's state."""
    return [(at, None if field is None else event.get(field)) for at, event in events
            if (start is None or at > start) and accept(event, *args)]


def _r_last(events, accept, args):
    for at, event in reversed(events):
        if accept(event, *args):
            return at
    return None


def _always(event):
    return True


# ------------------------------------------------------------ trace notes

_capped = capped  # the name the emitters write


def _event_text(code, columns, i):
    """Row i of the input columns, an event of type `code`, as its trace note shows it."""
    return event_text(EVENT_NAMES[code], [(name, columns[slot][i]) for name, slot in EVENT_FIELDS[code]
                                          if columns[slot][i] is not None])


# ----------------------------------------------------------------- errors


def _not_settled(involved):
    """The error for a ruleset still changing the lead after the last settle round.

    `involved`: rule indexes, and -1 - k for stage k (its condition changed the stage).
    """
    named = [_RULES[item] if item >= 0 else (f"stage {STAGES[-1 - item]}", _STAGE_WHERE[-1 - item])
             for item in involved]
    return RulesetRuntimeError(*not_settled(named))


def _source_of(line):
    """The innermost rule, flow or stage whose generated code holds `line`."""
    best = None
    for first, last, source in _LINE_MAP:
        if first <= line <= last and (best is None or first >= best[0]):
            best = (first, source)
    return None if best is None else _SOURCES[best[1]]


def _runtime_error(exc):
    """Name the rule file and line of the rule whose code raised `exc`."""
    found = None
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_globals is globals():
            found = _source_of(frame.tb_lineno) or found
        frame = frame.tb_next
    if found is None:
        return RulesetRuntimeError(f"compiled ruleset failed: {type(exc).__name__}: {exc}")
    label, file, line = found
    return RulesetRuntimeError(*rule_failed(label, f"{file}:{line}", exc))
