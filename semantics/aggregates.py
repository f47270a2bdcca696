"""The list aggregates, `last N` and `top N`, over a window's values in time order.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations


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
