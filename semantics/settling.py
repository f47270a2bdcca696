"""When a lead is settled, and what a ruleset that never settles is told.

After each event or timer both engines repeat settle rounds until a round
changes nothing (docs/semantics.md, "Settling"); a lead still changing in
round MAX_ROUNDS is a run-time error naming what changed in that last round.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations

MAX_ROUNDS = 10


def not_settled(involved):
    """(message, rule ids, file:line) of the run-time error, from what changed in the last
    round: (rule id or `stage NAME`, file:line) pairs, in order."""
    names = ", ".join(f"{what} ({where})" for what, where in involved)
    message = (f"the ruleset does not settle: after {MAX_ROUNDS} rounds these still change the "
               f"lead: {names}; a rule's action keeps re-triggering another (or itself)")
    rules = [what for what, _ in involved if not what.startswith("stage ")]
    return message, rules, involved[0][1]
