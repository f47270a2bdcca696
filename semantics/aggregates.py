"""Aggregates over the present values of a window, in time order.

`sum`, `avg`, `min`, `max`, `distinct` give one value (`avg`, `min` and `max`
of no values are missing); `last N` and `top N` give a list. A sum adds in
time order, starting from the integer 0, so both engines round alike.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations


def sum_of(values):
    total = 0
    for value in values:
        total = total + value
    return total


def avg_of(values):
    return sum_of(values) / len(values) if values else None


def min_of(values):
    return min(values) if values else None


def max_of(values):
    return max(values) if values else None


def distinct_of(values):
    return len(set(values))


def last_values(values, n):
    """The n most recent distinct values, newest first (`values` in time order)."""
    out = []
    for value in reversed(values):
        if value not in out:
            out.append(value)
            if len(out) == n:
                break
    return out


def top_values(values, n):
    """The n most frequent values, most frequent first; a tie goes to the one seen last."""
    counts = {}
    latest = {}
    for position, value in enumerate(values):
        counts[value] = counts.get(value, 0) + 1
        latest[value] = position
    return sorted(counts, key=lambda v: (-counts[v], -latest[v]))[:n]
