"""How many points of an action land on a score under `capped at N`, and what the
points ledger names a change that takes points back.

The cap bounds a rule's live contribution (what it added and has not taken
back or let expire), counted before clamping, in both directions.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations


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
