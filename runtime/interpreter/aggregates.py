"""Aggregates over a lead's applied events: count, sum, min, max, avg, distinct, since.

Windows `within D` at time t are `(t - D, t]`. Missing field values are skipped
by sum/min/max/avg/distinct; `count` and `sum` give 0 with no events, the
others missing. Sums add values in time order with plain floating-point
addition, so both engines get the same bits.

A filter that reads only the aggregated event (`where amount > 100`) is tested
once per event and its matches are kept in a `Series` with running totals, so
an aggregate over the whole history costs O(1) per evaluation rather than a
rescan. Any other filter (one that reads scores, tags, lead fields...) is
re-evaluated over the event type's history each time, on the current state.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from leadflow.dsl import ast
from leadflow.runtime.interpreter.index import RulesetIndex
from leadflow.runtime.interpreter.state import Context, EventHistory, Facts, Series
from leadflow.semantics import aggregates as core
from leadflow.semantics import timemath

Evaluate = Callable[[RulesetIndex, Facts, ast.Expr, Context], Any]


def _take(series: Series, ts: int, value: Any) -> None:
    series.ts.append(ts)
    series.values.append(value)
    if value is None:
        return
    if isinstance(value, (int, float)):  # text and bool fields have no sum
        series.total = series.total + value
    series.present += 1
    series.low = value if series.low is None or value < series.low else series.low
    series.high = value if series.high is None or value > series.high else series.high
    series.distinct.add(value)


def _extend(ix: RulesetIndex, facts: Facts, series: Series, event: str, where: ast.Expr | None,
            field: str | None, outer: Context, evaluate: Evaluate) -> None:
    """Test the events of the type not yet tested against the filter, keeping the matches.

    `outer` is where the aggregate is evaluated: its event is what `this.x` reads."""
    log = facts.logs.get(event) or EventHistory()
    now = outer.now
    for i in range(series.scanned, len(log.ts)):
        values, ts = log.values[i], log.ts[i]
        if where is not None:
            ctx = Context(now, event, values, ts, outer.this)
            value = evaluate(ix, facts, where, ctx)
            if value is None or not value:
                continue
        _take(series, ts, None if field is None else (ts if field == "ts" else values.get(field)))
    series.scanned = len(log.ts)


def matching(ix: RulesetIndex, facts: Facts, event: str, where: ast.Expr | None,
             field: str | None, outer: Context, evaluate: Evaluate) -> Series:
    """The events of `event` passing `where`, with `field`'s values."""
    if ix.is_pure_filter(event, where):  # kept, and only extended with the new events
        key = (event, 0 if where is None else id(where), field)
        series = facts.series.get(key)
        if series is None:
            series = facts.series[key] = Series()
    else:  # re-tested over the whole history, on the current state
        series = Series()
    _extend(ix, facts, series, event, where, field, outer, evaluate)
    return series


def aggregate(ix: RulesetIndex, facts: Facts, node: ast.Aggregate, ctx: Context,
              evaluate: Evaluate) -> Any:
    now = ctx.now
    series = matching(ix, facts, node.event, node.where, node.field, ctx, evaluate)
    if node.within is None and node.func not in ast.LIST_AGGREGATES:
        return _whole(node.func, series)
    first = 0
    if node.within is not None:
        start = timemath.add_duration(now, -node.within.amount, node.within.unit, ix.timezone)
        first = bisect_right(series.ts, start)
    last = bisect_right(series.ts, now)
    if node.func == "count":
        return last - first
    values = [v for v in series.values[first:last] if v is not None]
    if node.func == "last":
        return core.last_values(values, node.limit)
    if node.func == "top":
        return core.top_values(values, node.limit)
    return _over(node.func, values)


def _whole(func: str, series: Series) -> Any:
    if func == "count":
        return len(series.ts)
    if func == "sum":
        return series.total
    if func == "min":
        return series.low
    if func == "max":
        return series.high
    if func == "avg":
        return series.total / series.present if series.present else None
    if func == "distinct":
        return len(series.distinct)
    raise ValueError(f"unknown aggregate {func!r}")


# An aggregate over the present values of a window (semantics/aggregates.py).
_OVER = {"sum": core.sum_of, "avg": core.avg_of, "min": core.min_of, "max": core.max_of,
         "distinct": core.distinct_of}


def _over(func: str, values: list[Any]) -> Any:
    try:
        return _OVER[func](values)
    except KeyError:
        raise ValueError(f"unknown aggregate {func!r}") from None


def since(ix: RulesetIndex, facts: Facts, node: ast.Since, ctx: Context, evaluate: Evaluate) -> Any:
    """Time since the last such event (0 for the event being processed); missing if none."""
    now = ctx.now
    series = matching(ix, facts, node.event, node.where, None, ctx, evaluate)
    last = bisect_right(series.ts, now)
    return now - series.ts[last - 1] if last else None
