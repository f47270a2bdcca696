"""Both engines write the same trace, line for line: every kind of note `explain` shows.

The texts come from semantics/notes.py; this runs one lead through a ruleset
that makes every one of them, on the compiled engine (the traced variant of
`_run`) and on the interpreter, and compares the two traces whole.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from engines import load

from leadflow.compiler.engine import CompiledEngine
from leadflow.runtime.interpreter import Interpreter

RULES = """\
timezone "UTC"
event visit(url: text)
event buy(amount: number)
event form(size: int)
event quit
lead(size: int, bonus: int)

score heat
score fit min 0 max 100
stage cold
stage warm when heat >= 10

send limit 1 per 1 day
quiet hours 22:00 to 08:00

rule seen:    on visit add 2 to heat, tag "visitor" capped at 3
rule spend:   on buy add amount to heat expires after 1 day
rule kick:    on buy start nurture
rule sized:   on form set lead.size = size
rule big:     while lead.size >= 100 add 20 to fit
rule scaled:  while lead.size >= 100 add lead.size / 50 to fit
rule bonus:   while lead.size >= 100 add lead.bonus to fit
rule halve:   on quit subtract 50% from heat, untag "visitor", stop night
rule cooling: every 3 days without activity subtract 1 from heat
rule warmed:  on enter warm notify "sales" with heat = heat

flow nurture
  start on visit
  stop on quit
  send "hello"
  send "again"
  wait 13 hours
  send "later"
end

flow night
  start on visit where url == "/night"
  send "late"
  wait 1 day
  send "morning"
end
"""


def at(text: str) -> int:
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000


EVENTS = [
    ("2024-01-01 10:00", "visit", {"url": "/a"}),   # nurture starts: hello sent, again over the limit
    ("2024-01-01 10:01", "visit", {"url": "/b"}),   # capped at 3
    ("2024-01-01 10:02", "buy", {"amount": 5.0}),   # expires after 1 day; nurture already running
    ("2024-01-01 10:03", "buy", {}),                # the amount is missing
    ("2024-01-01 10:04", "form", {"size": 150}),    # while holds
    ("2024-01-01 21:00", "buy", {"amount": 5.0}),   # stage warm: notify
    ("2024-01-01 23:30", "visit", {"url": "/night"}),  # sends held by quiet hours; nurture restarts
    ("2024-01-01 23:45", "quit", {}),               # stopped by halve, stop on quit: held sends cancelled
    ("2024-01-02 12:00", "form", {"size": 5}),      # while no longer holds
]
AS_OF = "2024-01-09 00:00"  # every 3 days without activity, twice

# A phrase of every note, so a trace that lost one fails.
PHRASES = ["visit(url: \"/a\")", "seen: add 2 → heat 2", "(capped at 3: 1)", "tag \"visitor\"",
           "untag \"visitor\"", "the amount is missing, no change", "set lead.size = 150",
           "big: holds, add 20 → fit 20", "scaled: holds, add 3 → fit 23", "bonus: holds, add missing → fit 23",
           "big: no longer holds, 20 taken back → fit 3", "expired → heat",
           "subtract 50%", "cold → warm", "notify \"sales\" with heat = ", "send \"hello\"",
           "suppressed by the send limit (1 per 1 days)", "held by quiet hours until",
           "quiet hours over: send", "nurture: starts", "already running, start ignored",
           "wait 13 hour(s), until", "nurture: wait over", "ends (no steps left)", "stops (stop on quit)",
           "night: stops (stopped by halve)", "cancelled (the flow stopped)",
           "cooling: 3 day(s) without activity"]


def traced(engine) -> list[tuple]:
    state = engine.new_lead("l1", {}, trace=True)
    for when, event, values in EVENTS:
        engine.feed(state, at(when), event, values)
    engine.advance(state, at(AS_OF))
    return [(e.at, e.kind, e.text, e.scores, e.stage) for e in engine.trace(state)]


@pytest.fixture(scope="module")
def traces():
    model = load(RULES)
    return traced(CompiledEngine(model)), traced(Interpreter(model))


def test_the_compiled_trace_is_the_interpreters(traces):
    compiled, interpreted = traces
    assert compiled == interpreted


@pytest.mark.parametrize("phrase", PHRASES)
def test_the_trace_shows_every_kind_of_note(traces, phrase):
    compiled, _ = traces
    assert any(phrase in text for _, _, text, _, _ in compiled), "\n".join(t for _, _, t, _, _ in compiled)
