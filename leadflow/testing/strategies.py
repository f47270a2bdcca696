"""Hypothesis strategies that generate event logs for a ruleset (docs/testing.md).

`events(ruleset)` generates one lead's time-ordered events, `event_logs(ruleset)`
several leads', both as an `EventLog`; `leads(ruleset)` generates lead
attributes. Events are of the declared types with values of the declared field
types, aimed at what the rules look at (leadflow/testing/rule_hints.py): numbers
near the constants the rules compare with (`amount > 100` gives 99, 100, 100.5,
101 …), strings that match the rules' globs and lists, and times just inside and
just outside the rules' windows, timers and waits, counted from earlier events
with the ruleset's own calendar.

The only module of leadflow that imports Hypothesis: `leadflow.testing` loads it
when one of these names is first used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from leadflow.dsl.model import Model
from leadflow.semantics import timemath
from leadflow.testing.eventlog import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    EventLog,
    Instant,
    LogEvent,
    as_instant,
)
from leadflow.testing.rule_hints import RuleHints, rule_hints

__all__ = ["event_logs", "events", "leads"]

# Generated logs start on a Monday morning, local time: a shrunk counterexample
# then reads like office hours rather than 01:00 inside the quiet hours.
DEFAULT_START = dt.datetime(2024, 1, 8, 9, 0)
DEFAULT_SPAN = dt.timedelta(days=400)


# -------------------------------------------------------------- strategies


def leads(ruleset: Model, missing: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """Lead attributes for the ruleset's `lead(...)` fields; with missing=True some are left out."""
    return _attributes(ruleset, rule_hints(ruleset), missing)


def events(ruleset: Model, *, lead_id: str = "lead1", names: Iterable[str] | None = None,
           min_size: int = 0, max_size: int = 12, start: dt.datetime = DEFAULT_START,
           span: dt.timedelta = DEFAULT_SPAN, missing: bool = False,
           attributes: bool = True) -> st.SearchStrategy[EventLog]:
    """One lead's time-ordered events (an EventLog of one lead).

    names: only these event types. missing: fields may be left out.
    attributes: draw lead attributes when the ruleset declares `lead(...)` fields.
    """
    plan = _Plan(ruleset, names, missing, start, span)
    return _log(plan, [lead_id], min_size, max_size, attributes)


def event_logs(ruleset: Model, leads: int | Iterable[str] = 3, span: dt.timedelta = DEFAULT_SPAN,
               *, names: Iterable[str] | None = None, min_events: int = 0, max_events: int = 12,
               start: dt.datetime = DEFAULT_START, missing: bool = False,
               attributes: bool = True) -> st.SearchStrategy[EventLog]:
    """Logs of `leads` leads (a number, or the ids to use), each time-ordered within `span`."""
    ids = [f"lead{i}" for i in range(1, leads + 1)] if isinstance(leads, int) else list(leads)
    plan = _Plan(ruleset, names, missing, start, span)
    return _log(plan, ids, min_events, max_events, attributes)


_WORDS = ("a", "x", "ES", "botas", "retail", "/", "www.example.com/")
_REPEAT = object()  # marks a step that repeats an earlier event (any string could be an event name)
_GAPS = (0, SECOND, MINUTE, HOUR, DAY)


class _Plan:
    """The strategies for one ruleset, built once when a test is decorated."""

    def __init__(self, model: Model, names: Iterable[str] | None, missing: bool,
                 start: dt.datetime, span: dt.timedelta):
        self.model = model
        self.hints = hints = rule_hints(model)
        self.timezone = model.timezone
        chosen = [n for n in model.events if names is None or n in set(names)]
        unknown = sorted(set(names or ()) - set(model.events))
        if unknown or not chosen:
            raise ValueError(f"no such event in {model.path}: {', '.join(unknown) or '(none given)'}")
        # Events the rules react to come first (they shrink toward them) and come up more often.
        used = [n for n in chosen if n in hints.events_used]
        weighted = used * 3 + [n for n in chosen if n not in hints.events_used]
        self.start = as_instant(start, model.timezone)
        self.span = int(span.total_seconds()) * SECOND
        self.missing = missing
        values = {name: self._values_for(name) for name in chosen}  # built once: drawing is hot
        self.event = st.sampled_from(weighted).flatmap(values.__getitem__)
        windows = sorted(hints.durations, key=lambda d: (d[1], d[0]))
        # Half the events land a window's length (± 1 s) after an earlier one: the edges of
        # `within`, `every`, `once per`, `expires` and `wait` are where rules go wrong.
        after = st.tuples(st.just("after"), st.integers(1, 4), st.sampled_from(windows),
                          st.sampled_from((-SECOND, 0, SECOND)))
        self.placement = _weighted(
            (st.tuples(st.just("gap"), st.sampled_from(_GAPS)), 1),
            (after, 2 if windows else 0),
            (st.tuples(st.just("gap"), st.integers(0, 40 * 86_400).map(lambda s: s * SECOND)), 1),
        )

    def _values_for(self, name: str) -> st.SearchStrategy[tuple[str, tuple]]:
        per_field = []
        for f in self.model.events[name].fields:
            value = _value(f.type, f.name, self.hints, self.start, self.span)
            if self.missing:
                value = st.one_of(st.none(), value)
            per_field.append(value.map(lambda v, n=f.name: (n, v)))
        return st.tuples(*per_field).map(
            lambda pairs, n=name: (n, tuple(p for p in pairs if p[1] is not None)))

    def place(self, choice: tuple, times: list[int], now: int, base: int | None = None) -> int:
        """The next event time: a gap after the last event, or a window/timer length
        (± 1 second) after `base` (the event a repeat copies) or one of the last few
        events; never before `now`."""
        if choice[0] == "gap":
            at = now + choice[1]
        else:
            _, back, (amount, unit), nudge = choice
            base = times[-min(back, len(times))] if base is None else base
            at = timemath.add_duration(base, amount, unit, self.timezone) + nudge
        return min(max(at, now), self.start + self.span)


def _log(plan: _Plan, ids: list[str], min_size: int, max_size: int,
         attributes: bool) -> st.SearchStrategy[EventLog]:
    # A step is a new event, or a repeat of one of the last few (same type, same values):
    # real leads come back to the same page, and `count > 3` or points adding up to a
    # stage's threshold need repeats that independent draws seldom make.
    repeat = st.tuples(st.just(_REPEAT), st.tuples(st.integers(1, 3), st.integers(1, 4)))
    what = _weighted((plan.event, 2), (repeat, 1))
    steps = st.lists(st.tuples(plan.placement, what), min_size=min_size, max_size=max_size)
    first = st.integers(0, plan.span // (2 * SECOND)).map(lambda s: s * SECOND)
    with_attrs = attributes and bool(plan.model.lead_fields)
    attrs = _attributes(plan.model, plan.hints, True) if with_attrs else st.just({})

    @st.composite
    def lead_log(draw: Any, lead_id: str) -> tuple[tuple[LogEvent, ...], dict[str, Any]]:
        lead_attrs = draw(attrs)
        now = plan.start + draw(first)
        times: list[int] = []
        out = []
        for choice, (name, values) in draw(steps):
            copies, base = 1, None
            if name is _REPEAT and out:
                back, copies = values
                earlier = out[-min(back, len(out))]
                name, values, base = earlier.event, earlier.values, earlier.ts
            elif name is _REPEAT:  # nothing to repeat yet
                name, values = draw(plan.event)
            for _ in range(min(copies, max_size - len(out))):
                # A repeat one window after the event it copies probes the window's edge.
                now = plan.place(choice, times, now, base) if times else now
                base = now if base is not None else None
                times.append(now)
                out.append(LogEvent(lead_id, now, name, values))
        return tuple(out), lead_attrs

    @st.composite
    def log(draw: Any) -> EventLog:
        per_lead = [draw(lead_log(lead_id)) for lead_id in ids]
        return EventLog(tuple(e for lead_events, _ in per_lead for e in lead_events),
                        tuple((lead_id, tuple(a.items())) for lead_id, (_, a) in zip(ids, per_lead)
                              if a),
                        plan.timezone)

    return log()


def _weighted(*choices: tuple[st.SearchStrategy, int]) -> st.SearchStrategy:
    """One of the strategies, each as often as its weight; shrinks toward the first.
    (st.one_of cannot weight: it drops a strategy given twice.)"""
    pool = [strategy for strategy, weight in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


def _attributes(model: Model, hints: RuleHints, missing: bool) -> st.SearchStrategy[dict[str, Any]]:
    start = as_instant(DEFAULT_START, model.timezone)
    entries = {}
    for name, decl in model.lead_fields.items():
        value = _value(decl.type, "lead." + name, hints, start, int(DEFAULT_SPAN.total_seconds()) * SECOND)
        entries[name] = st.one_of(st.none(), value) if missing else value
    return st.fixed_dictionaries(entries).map(lambda d: {k: v for k, v in d.items() if v is not None})


def _value(kind: str, key: str, hints: RuleHints, start: int, span: int) -> st.SearchStrategy[Any]:
    """Values of one field: near the rules' constants for it, or anything of its type."""
    constants = sorted(hints.numbers.get(key, ()))
    if kind == "number":
        near = sorted({c + d for c in constants for d in (-1, 0, 0.5, 1)})
        noise = st.integers(0, 1000).map(float)
        return st.one_of(st.sampled_from([float(n) for n in near]), noise) if near else noise
    if kind == "int":
        near = sorted({int(c) + d for c in constants for d in (-1, 0, 1)})
        noise = st.integers(0, 1000)
        return st.one_of(st.sampled_from(near), noise) if near else noise
    if kind == "text":
        options = [st.sampled_from(sorted(hints.texts[key]))] if hints.texts.get(key) else []
        options += [_glob_instance(g) for g in sorted(hints.globs.get(key, ()))]
        options.append(st.sampled_from(_WORDS))
        return st.one_of(*options)
    if kind == "bool":
        return st.booleans()
    if kind == "time":
        return st.integers(0, span // SECOND).map(lambda s: Instant(start + s * SECOND))
    raise ValueError(f"unknown field type {kind!r}")


def _glob_instance(pattern: str) -> st.SearchStrategy[str]:
    """Strings matching a `*`/`?` glob, each wildcard filled from a small alphabet
    (that shrinks to the pattern's literal text: `*/mi_cesta*` gives "/mi_cesta")."""
    literals = re.split(r"[*?]", pattern)  # the text between wildcards
    fills = [st.text(alphabet="abz/._", max_size=4) if ch == "*" else st.sampled_from("abz/")
             for ch in pattern if ch in "*?"]
    if not fills:
        return st.just(pattern)

    def build(filled: tuple[str, ...]) -> str:
        return literals[0] + "".join(f + text for f, text in zip(filled, literals[1:]))

    return st.tuples(*fills).map(build)
