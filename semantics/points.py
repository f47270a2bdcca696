"""A score's bounds and where it starts; how many points of an action land on it
under `capped at N`; what the points ledger names a change that takes points back.

The cap bounds a rule's live contribution (what it added and has not taken
back or let expire), counted before clamping, in both directions.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations


def clamp(value, low, high):
    """`value` within a score's `min`/`max` (None: no bound)."""
    if low is not None and value < low:
        value = float(low)
    if high is not None and value > high:
        value = float(high)
    return value


def initial_score(low, high):
    """Every score starts at 0, clamped into its bounds."""
    return clamp(0.0, low, high)


def capped(amount, live, cap):
    """The part of `amount` that keeps the live contribution within [-cap, cap]."""
    if amount > 0:
        return max(0.0, min(amount, cap - live))
    if amount < 0:
        return min(0.0, max(amount, -cap - live))
    return amount


def expired_cause(rule):
    """What the points ledger names a change `expires after` takes back: `expire:big`."""
    return f"expire:{rule}"


def released_cause(rule):
    """What the points ledger names the points a `while` rule gives back: `while:fit_es`."""
    return f"while:{rule}"
