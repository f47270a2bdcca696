"""leadflow.testing.run agrees with `leadflow run` on what as-of means (issue 10, item 15)."""

from __future__ import annotations

from leadflow.testing import DAY, load, run
from leadflow.testing.eventlog import EventLog, LogEvent

CLICKS = load("""
ruleset clicks
event click
score engagement
rule c: on click add 1
""")


def test_item15_library_run_does_not_apply_events_after_as_of():
    t0 = 1_700_000_000_000_000
    log = EventLog(tuple(LogEvent("a", t0 + i * DAY, "click", ()) for i in range(4)), (), "UTC")
    # As `leadflow run --as-of` at the first click: the later three are not applied.
    assert run(CLICKS, log, as_of=t0)["a"].scores["engagement"] == 1
    assert run(CLICKS, log)["a"].scores["engagement"] == 4  # default: the last event
