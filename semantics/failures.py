"""What a ruleset that fails at run time is told, by either engine.

Two failures pass the checker: a rule whose evaluation raises (`add units * 2`
overflowing a float score) is named with its `file:line`; a lead still
changing after MAX_ROUNDS settle rounds (docs/semantics.md, "Settling") names
what changed in that last round. Each comes as (message, rule ids,
file:line), the arguments of a RulesetRuntimeError. An event fed to a lead
before its clock is a caller's mistake, a ValueError with `out_of_order`'s text.

STANDARD LIBRARY ONLY (and semantics/timemath.py): the compiled module embeds
this file's source.
"""

from __future__ import annotations

from leadflow.semantics.timemath import format_instant

MAX_ROUNDS = 10


def rule_failed(who, where, exc):
    """A rule, flow or stage `who` (at `where`, file:line) whose evaluation raised `exc`."""
    return f"{where}: {who} failed: {type(exc).__name__}: {exc}", (who,), where


def out_of_order(event, ts, now):
    """The text of the error for an event at `ts`, before the lead's clock `now`."""
    return (f"events of a lead must come in time order: {event} at {format_instant(ts)} "
            f"is before {format_instant(now)}")


def not_settled(involved):
    """What changed in the last round, (rule id or `stage NAME`, file:line) pairs in order."""
    names = ", ".join(f"{what} ({where})" for what, where in involved)
    message = (f"the ruleset does not settle: after {MAX_ROUNDS} rounds these still change the "
               f"lead: {names}; a rule's action keeps re-triggering another (or itself)")
    rules = [what for what, _ in involved if not what.startswith("stage ")]
    return message, rules, involved[0][1]
