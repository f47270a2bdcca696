"""Cutoff schedules, durations, and the one-pass snapshot engine."""

from __future__ import annotations

import pytest

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.cutoffs import CutoffEngine, parse_duration, schedule
from leadflow.runtime.interpreter import Interpreter
from leadflow.semantics import timemath

TZ = "Europe/Madrid"


@pytest.mark.parametrize("text, expected", [
    ("90d", (90, "day")), ("90 days", (90, "day")), ("1 month", (1, "month")),
    ("2w", (2, "week")), ("12h", (12, "hour")), ("3 Months", (3, "month")), ("1y", (1, "year")),
])
def test_durations(text, expected):
    assert parse_duration(text, "--every") == expected


@pytest.mark.parametrize("text", ["", "month", "0d", "-3d", "5 fortnights", "1.5d"])
def test_bad_durations_name_the_option(text):
    with pytest.raises(ValueError, match="--horizon"):
        parse_duration(text, "--horizon")


def test_monthly_cutoffs_fall_on_local_first_days():
    first = timemath.parse_instant("2024-01-17T15:00", TZ)
    last = timemath.parse_instant("2024-04-01", TZ)
    cutoffs = schedule(first, last, (1, "month"), TZ)
    assert [timemath.format_local(c, TZ) for c in cutoffs] == [
        "2024-02-01T00:00:00+01:00", "2024-03-01T00:00:00+01:00", "2024-04-01T00:00:00+02:00"]


RULES = '''\
timezone "Europe/Madrid"
event open
event buy(amount: number)
score points
stage cold
stage warm when points >= 3
rule o: on open add 1
rule b: on buy where amount > 10 add 5
rule cool: every 7 days without activity subtract 1
'''


@pytest.mark.parametrize("engine_type", [Interpreter, CompiledEngine], ids=["interpreter", "compiled"])
def test_snapshots_equal_a_replay_of_the_events_before_each_cutoff(engine_type):
    engine = engine_type(load_text(RULES, "t.leadflow").model)
    t = lambda text: timemath.parse_instant(text, "Europe/Madrid")
    events = [(t("2024-01-01T10:00"), "open", {}), (t("2024-01-03T10:00"), "buy", {"amount": 20.0}),
              (t("2024-01-05T00:00"), "open", {}), (t("2024-01-20T09:00"), "open", {})]
    cutoffs = [t("2024-01-01T09:00"), t("2024-01-05T00:00"), t("2024-01-15"), t("2024-02-01")]
    seen = {}
    wrapped = CutoffEngine(engine, cutoffs, lambda lead, k, state: seen.__setitem__(
        k, engine.result(state).scores["points"]))
    state = wrapped.new_lead("L", {})
    for ts, name, values in events:
        wrapped.feed(state, ts, name, values)
    wrapped.advance(state, t("2024-02-01"))
    # Before the first event the lead is in no population; afterwards, each
    # snapshot is what the events strictly before the cutoff give.
    assert 0 not in seen
    for k in (1, 2, 3):
        fresh = engine.new_lead("L", {})
        for ts, name, values in events:
            if ts < cutoffs[k]:
                engine.feed(fresh, ts, name, values)
        engine.advance(fresh, cutoffs[k] - 1)
        assert seen[k] == engine.result(fresh).scores["points"], k
    assert seen[1] == 6  # the open stamped exactly at the cutoff is not seen
