"""The send limit, `send limit N per D`: is one more send over it?

A send is checked when it would be delivered, counting the sends delivered in
the window `(t - D, t]`; over the limit it is suppressed.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations


def limit_reached(delivered, limit, start):
    """True when `limit` sends were delivered after `start`; `delivered`: their times, in order."""
    return len(delivered) >= limit and delivered[-limit] > start
