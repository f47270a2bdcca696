"""Testing rulesets: test blocks, coverage, and properties with Hypothesis (docs/testing.md).

    from hypothesis import given
    from leadflow.testing import event_logs, load, run

    shop = load("examples/zapateria.leadflow")

    @given(event_logs(shop))
    def test_engagement_never_negative(log):
        for lead in run(shop, log).values():
            assert lead.scores["engagement"] >= 0

What is where (each module under leadflow/testing/):

    runner.py      test blocks (`test "..." … end`) run against any engine
    repro.py       a failing block cut down to the smallest log that still fails
    coverage.py    which rules, flow steps and stages the test blocks reached
    plugin.py      the pytest plugin: test blocks as pytest items
    eventlog.py    EventLog and LogEvent: logs as values, printed as test blocks
    replay.py      load() a ruleset, run() a log through an engine, LeadRun
    strategies.py  Hypothesis strategies: events, event_logs, leads
    rule_hints.py  what a ruleset looks at, so strategies can aim at it

A shrunk counterexample prints as test blocks (EventLog.__repr__), ready to
paste into a `.leadflow` file. Hypothesis is imported only when a strategy
(`events`, `event_logs`, `leads`) is first used: `leadflow test` and the
pytest plugin run without it.
"""

from __future__ import annotations

from typing import Any

from leadflow.testing.eventlog import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    WEEK,
    EventLog,
    Instant,
    LogEvent,
    literal,
    time_literal,
)
from leadflow.testing.replay import LeadRun, load, run

__all__ = [
    "DAY", "HOUR", "MINUTE", "SECOND", "WEEK", "EventLog", "Instant", "LeadRun", "LogEvent",
    "event_logs", "events", "leads", "literal", "load", "run", "time_literal",
]

_STRATEGIES = ("event_logs", "events", "leads")


def __getattr__(name: str) -> Any:
    """The Hypothesis strategies, imported on first use (Hypothesis is a test dependency)."""
    if name in _STRATEGIES:
        from leadflow.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'leadflow.testing' has no attribute {name!r}")
