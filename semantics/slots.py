"""Field slots: where each event field travels in the input columns.

One column per distinct (field, type) pair over all event types, in
declaration order. Two events may declare a field of the same name with
different types; each pair gets its own column, typed its own way. The log
reader (runtime/reader_sql.py) writes columns in this layout and the compiled
module (compiler/codegen.py) reads them in it; the driver hands columns over
as they are only when the two layouts are equal.

STANDARD LIBRARY ONLY (see semantics/__init__.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldSlots:
    """The column layout of a ruleset's events."""

    slots: tuple[tuple[str, str], ...]  # (field, type), column v{j}
    users: tuple[tuple[int, ...], ...]  # for slot j: the numbers of the events that declare it
    by_event: tuple[tuple[tuple[str, int], ...], ...]  # event number → ((field, slot j), ...)

    @classmethod
    def of(cls, events: Mapping[str, Sequence[tuple[str, str]]]) -> FieldSlots:
        """The layout of events given as name → ((field, type), ...), in declaration order."""
        slots: list[tuple[str, str]] = []
        users: list[list[int]] = []
        by_event = []
        for number, fields in enumerate(events.values()):
            mine = []
            for pair in fields:
                if pair not in slots:
                    slots.append(pair)
                    users.append([])
                j = slots.index(pair)
                users[j].append(number)
                mine.append((pair[0], j))
            by_event.append(tuple(mine))
        return cls(tuple(slots), tuple(tuple(u) for u in users), tuple(by_event))
