"""Cutoff times for `backtest` and `fit`, and one pass per lead that stops at each of them.

A cutoff is a moment at which we ask "what did the rules say about this lead,
knowing only what happened strictly before it?". `CutoffEngine` wraps any
engine: just before a lead's clock reaches a cutoff it advances the lead to
`cutoff - 1µs` (timers due before the cutoff fire, nothing at or after it is
seen) and hands the state to a callback. Advancing early never changes what
the engine does next (timers due at or before an event's time fire before
it anyway), so every lead is replayed once, whatever the number of cutoffs.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

from leadflow.runtime.engine import Engine, LeadResult
from leadflow.semantics import timemath

_UNITS = {"m": "minute", "min": "minute", "minute": "minute", "h": "hour", "hour": "hour",
          "d": "day", "day": "day", "w": "week", "week": "week", "mo": "month",
          "month": "month", "y": "year", "year": "year"}
_DURATION = re.compile(r"\s*(\d+)\s*([a-z]+?)s?\s*")


def parse_duration(text: str, option: str) -> tuple[int, str]:
    """`90d`, `90 days`, `1 month`, `2w` → (amount, unit); ValueError naming the option."""
    match = _DURATION.fullmatch(text.lower())
    unit = _UNITS.get(match.group(2)) if match else None
    if match is None or unit is None or int(match.group(1)) <= 0:
        raise ValueError(f"{option}: cannot read duration {text!r} "
                         f"(use e.g. 90d, 2 weeks, 1 month)")
    return int(match.group(1)), unit


def start_of_period(us: int, unit: str, tz: str) -> int:
    """Local midnight of the day of `us`; the first of its month for month and year steps."""
    local = timemath.to_local(us, tz).replace(hour=0, minute=0, second=0, microsecond=0,
                                               tzinfo=None)
    if unit in ("month", "year"):
        local = local.replace(day=1)
    return timemath.from_local(local, tz)


def schedule(first_event: int, last_cutoff: int, every: tuple[int, str], tz: str) -> list[int]:
    """Cutoffs every `every` from the first period boundary after the first event, up to last_cutoff.

    Boundaries are local midnights (first of the month for monthly steps), so
    cutoffs read as calendar dates in reports.
    """
    amount, unit = every
    anchor = start_of_period(first_event, unit, tz)
    found = []
    k = 1
    while True:
        cutoff = timemath.add_duration(anchor, amount * k, unit, tz)
        if cutoff > last_cutoff:
            return found
        found.append(cutoff)
        k += 1


OnCutoff = Callable[[str, int, Any], None]  # (lead id, cutoff index, the engine's lead state)


class CutoffLead:
    """A lead as CutoffEngine drives it: the engine's state plus where its clock stands."""

    __slots__ = ("final", "first_event", "inner", "lead_id", "next")

    def __init__(self, lead_id: str, inner: Any):
        self.lead_id = lead_id
        self.inner = inner
        self.next = 0  # index of the next cutoff not yet reached
        self.first_event: int | None = None
        self.final: LeadResult | None = None

    @property
    def scores(self) -> dict[str, float]:
        """The final scores, for what the driver checks of every result (finite scores)."""
        return self.final.scores if self.final is not None else {}


class CutoffEngine:
    """An Engine that calls `on_cutoff` for each lead at each cutoff after its first event.

    A lead enters a cutoff's population only once it has an applied event
    strictly before that cutoff; a lead known only from --leads never does.
    `result` returns the CutoffLead itself, its `final` set to the inner
    engine's result at as-of, so a replay's emit sees first_event too.
    """

    def __init__(self, engine: Engine, cutoffs: Sequence[int], on_cutoff: OnCutoff):
        self.engine = engine
        self.cutoffs = list(cutoffs)
        self.on_cutoff = on_cutoff
        for name in ("name", "timezone", "events", "lead_fields", "scores", "stages"):
            setattr(self, name, getattr(engine, name))
        if hasattr(engine, "feed_columns"):
            # Same column layout as the inner engine, so replay hands over whole segments.
            self.slots, self.event_codes = engine.slots, engine.event_codes
            self.feed_columns = self._feed_columns

    def new_lead(self, lead_id: str, attrs: dict[str, Any], trace: bool = False) -> CutoffLead:
        return CutoffLead(lead_id, self.engine.new_lead(lead_id, attrs, trace))

    def _reach(self, lead: CutoffLead, ts: int) -> None:
        """Snapshot every cutoff at or before `ts` that the lead has not reached yet."""
        cutoffs = self.cutoffs
        while lead.next < len(cutoffs) and cutoffs[lead.next] <= ts:
            if lead.first_event is not None:
                self.engine.advance(lead.inner, cutoffs[lead.next] - 1)
                self.on_cutoff(lead.lead_id, lead.next, lead.inner)
            lead.next += 1

    def feed(self, lead: CutoffLead, ts: int, event: str, values: dict[str, Any]) -> None:
        self._reach(lead, ts)
        self.engine.feed(lead.inner, ts, event, values)
        if lead.first_event is None:
            lead.first_event = ts

    def _feed_columns(self, lead: CutoffLead, times: list, kinds: list, columns: list,
                      start: int, stop: int) -> None:
        """Rows start..stop (one lead, time order), cut into runs that fall between cutoffs."""
        i = start
        while i < stop:
            self._reach(lead, times[i])
            end = stop
            if lead.next < len(self.cutoffs):
                end = bisect_left(times, self.cutoffs[lead.next], i, stop)
            self.engine.feed_columns(lead.inner, times, kinds, columns, i, end)
            if lead.first_event is None:
                lead.first_event = times[i]
            i = end

    def advance(self, lead: CutoffLead, ts: int) -> None:
        self._reach(lead, ts + 1)  # a cutoff c sees the lead at c - 1 ≤ ts
        self.engine.advance(lead.inner, ts)

    def result(self, lead: CutoffLead) -> CutoffLead:
        lead.final = self.engine.result(lead.inner)
        return lead

    def trace(self, lead: CutoffLead) -> list:
        return self.engine.trace(lead.inner)
