"""Event logs as values: what the Hypothesis strategies generate and `run` replays.

An `EventLog` holds the events of one or more leads in time order (equal
times keep their order), plus each lead's attributes. It prints as test
blocks in the ruleset's own time zone, so a counterexample Hypothesis shrank
can be pasted into a `.leadflow` file as a new test:

    test "lead1"
      at 2024-01-01T09:00 purchase(amount: 301, category: "botas")
      # at 2024-01-01T09:00 expect ...
    end
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from leadflow.semantics import timemath
from leadflow.semantics.values import value_text

Pairs = tuple[tuple[str, Any], ...]

# Lengths in µs, to write times in tests: `log.end + 3 * DAY`.
SECOND = timemath.SECOND
MINUTE = timemath.FIXED_UNITS["minute"]
HOUR = timemath.FIXED_UNITS["hour"]
DAY = timemath.FIXED_UNITS["day"]
WEEK = timemath.FIXED_UNITS["week"]


def as_instant(moment: dt.datetime, timezone: str) -> int:
    """An aware datetime, or a naive one read in the ruleset's time zone, as µs."""
    if moment.tzinfo is None:
        return timemath.from_local(moment, timezone)
    return timemath.parse_instant(moment.isoformat(), "UTC")


class Instant(int):
    """The value of a `time` field: µs since the epoch (engines read it as the int it is),
    written in a test block as a quoted UTC time."""

    def __repr__(self) -> str:
        return f"Instant({timemath.format_instant(self)!r})"


@dataclass(frozen=True)
class LogEvent:
    lead_id: str
    ts: int  # µs since the epoch, UTC
    event: str
    values: Pairs = ()  # (field, value) in declaration order; a missing field is left out

    @property
    def time(self) -> dt.datetime:
        """The event time as an aware UTC datetime."""
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=self.ts)

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.values).get(name, default)

    def as_test_line(self, timezone: str = "UTC") -> str:
        """`at TIME EVENT(field: value, ...)`, as a test block writes it."""
        when = time_literal(self.ts, timezone)
        if not self.values:
            return f"at {when} {self.event}"
        return f"at {when} {self.event}({_field_values(self.values)})"


@dataclass(frozen=True)
class EventLog:
    """Events of one or more leads, in time order; `attrs` holds each lead's attributes."""

    events: tuple[LogEvent, ...] = ()
    attrs: tuple[tuple[str, Pairs], ...] = ()  # (lead id, attributes) in lead order
    timezone: str = "UTC"  # the ruleset's: test blocks are written in its local time

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.events, key=lambda e: e.ts))  # stable: ties keep their order
        object.__setattr__(self, "events", ordered)

    # ----------------------------------------------------------- reading

    @property
    def leads(self) -> tuple[str, ...]:
        """Lead ids: those with attributes first (in order), then the others by first event."""
        ids = dict.fromkeys(lead for lead, _ in self.attrs)
        ids.update(dict.fromkeys(e.lead_id for e in self.events))
        return tuple(ids)

    def for_lead(self, lead_id: str) -> tuple[LogEvent, ...]:
        return tuple(e for e in self.events if e.lead_id == lead_id)

    def attributes(self, lead_id: str) -> dict[str, Any]:
        return dict(dict(self.attrs).get(lead_id, ()))

    def by_lead(self) -> dict[str, tuple[LogEvent, ...]]:
        return {lead: self.for_lead(lead) for lead in self.leads}

    @property
    def start(self) -> int | None:
        """The first event time (µs), None for an empty log."""
        return self.events[0].ts if self.events else None

    @property
    def end(self) -> int | None:
        """The last event time (µs): the as-of time `run` uses by default."""
        return self.events[-1].ts if self.events else None

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[LogEvent]:
        return iter(self.events)

    # ----------------------------------------------------------- changing

    def with_event(self, event: LogEvent) -> EventLog:
        """A copy with one more event, placed after the events at the same time."""
        return EventLog(self.events + (event,), self.attrs, self.timezone)

    def only(self, lead_id: str) -> EventLog:
        """The log of one lead."""
        return EventLog(self.for_lead(lead_id),
                        tuple((lead, a) for lead, a in self.attrs if lead == lead_id), self.timezone)

    # ----------------------------------------------------------- printing

    def as_test_blocks(self) -> str:
        """Each lead's attributes and events as a test block, ready to paste into a .leadflow file.

        The last line, commented, is the time `run` advanced the lead to (the
        log's last event): write the expectation there.
        """
        blocks = []
        for lead in self.leads:
            lines = [f"test {json.dumps(lead, ensure_ascii=False)}"]
            attrs = self.attributes(lead)
            if attrs:
                lines.append(f"  lead({_field_values(tuple(attrs.items()))})")
            lines += [f"  {e.as_test_line(self.timezone)}" for e in self.for_lead(lead)]
            if self.end is not None:
                lines.append(f"  # at {time_literal(self.end, self.timezone)} expect ...")
            lines.append("end")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) if blocks else "# (no events)"

    def __repr__(self) -> str:
        return "EventLog(\n" + self.as_test_blocks() + "\n)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """What Hypothesis prints in a falsifying example (its pretty printer calls this)."""
        printer.text("EventLog(")
        for line in self.as_test_blocks().splitlines():
            printer.break_()
            printer.text(line)
        printer.break_()
        printer.text(")")


def time_literal(ts: int, timezone: str) -> str:
    """A time literal for a test block: local wall-clock time when that reads back as the
    same instant (`2024-01-10T09:30`), else UTC (`2024-10-27T01:30:00Z`, the DST fold)."""
    text = timemath.format_wall_clock(ts, timezone)
    try:
        if timemath.parse_instant(text, timezone) == ts:
            return text
    except ValueError:
        pass
    return timemath.format_instant(ts)


def literal(value: Any) -> str:
    """A value as a test block writes it (semantics/values.py), every digit of a
    fraction kept so the block reads back the very value."""
    if isinstance(value, Instant):
        return json.dumps(timemath.format_instant(value))
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return value_text(value)


def _field_values(values: Pairs) -> str:
    return ", ".join(f"{name}: {literal(value)}" for name, value in values)
