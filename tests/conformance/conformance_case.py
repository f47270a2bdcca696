"""Reading a conformance case file and putting rows in a comparable form.

A `.case` file is a leading `#` comment (what the case pins and why) and then
sections, each opened by a line `=== NAME`:

    rules        the ruleset text (loaded as `<case stem>.leadflow`)
    events       CSV: lead_id,event,ts, then one column per field (empty = missing)
    lead_attrs   CSV keyed by lead_id (optional)
    as_of        one ISO-8601 time (optional: default the latest event time)
    leads        expected leads.csv      (lead_id, scores in declaration order, stage, tags)
    actions      expected actions.csv    (lead_id, at, rule, kind, target, args)
    transitions  expected transitions.csv (lead_id, at, from, to)
    error        text a RulesetRuntimeError's message must contain (instead of outputs)

Expected rows are written by hand from SPEC.md and docs/semantics.md; this
module only parses them and normalizes values so that comparison is semantic
(numbers as numbers, times as instants, args as JSON values).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SECTIONS = ("rules", "events", "lead_attrs", "as_of", "leads", "actions", "transitions", "error")
ACTIONS_HEADER = ["lead_id", "at", "rule", "kind", "target", "args"]
TRANSITIONS_HEADER = ["lead_id", "at", "from", "to"]

_SECTION_LINE = re.compile(r"^=== (\w+)\s*$")
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"(Z|[+-]\d{2}:\d{2})?$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class CaseFormatError(Exception):
    """The case file itself is malformed (a corpus bug, not an engine bug)."""


@dataclass(frozen=True)
class Case:
    path: Path
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def rules_path(self) -> str:
        """The path given to load_text, so unlabelled rules get the id `<stem>:<line>`."""
        return f"{self.stem}.leadflow"


def read_case(path: Path) -> Case:
    """Split a case file into its sections; the text before the first section is comment."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        header = _SECTION_LINE.match(line)
        if header:
            name = header.group(1)
            if name not in SECTIONS:
                raise CaseFormatError(f"{path}:{number}: unknown section {name!r}")
            if name in sections:
                raise CaseFormatError(f"{path}:{number}: section {name!r} appears twice")
            current = sections[name] = []
        elif current is not None:
            current.append(line)
        elif line.strip() and not line.startswith("#"):
            raise CaseFormatError(f"{path}:{number}: text before the first section must be # comment")
    if "rules" not in sections:
        raise CaseFormatError(f"{path}: no `=== rules` section")
    if "error" not in sections and "leads" not in sections:
        raise CaseFormatError(f"{path}: needs `=== leads` (and actions, transitions) or `=== error`")
    return Case(path, {name: "\n".join(lines).strip("\n") for name, lines in sections.items()})


def csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV section; blank lines are skipped."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return [], []
    reader = csv.DictReader(io.StringIO("\n".join(lines) + "\n"))
    rows = list(reader)
    for row in rows:
        if None in row:
            raise CaseFormatError(f"a row has more cells than the header: {row}")
    return list(reader.fieldnames or []), rows


# --------------------------------------------------------------------- times


def parse_time(text: str, zone: str) -> int:
    """ISO-8601 → µs since the epoch; without an offset the time is local to `zone` (fold=0)."""
    match = _ISO.match(text.strip())
    if not match:
        raise CaseFormatError(f"not an ISO-8601 time: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    if offset is None:
        tzinfo: dt.tzinfo = ZoneInfo(zone)
    elif offset == "Z":
        tzinfo = dt.UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        tzinfo = dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0), micro, tzinfo=tzinfo)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def format_time(us: int) -> str:
    moment = _EPOCH + dt.timedelta(microseconds=us)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond:06d}Z" if moment.microsecond else "Z")


# -------------------------------------------------------------------- values


def typed_value(text: str, kind: str, zone: str) -> Any:
    """A CSV cell as the engine expects it for a declared field type."""
    if kind == "number":
        return float(text)
    if kind == "int":
        return int(text)
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise CaseFormatError(f"not a bool: {text!r}")
        return text.lower() == "true"
    if kind == "time":
        return parse_time(text, zone)
    return text


def canonical_number(value: Any) -> Any:
    """Numbers compared as numbers: 15 == 15.0, and 6 decimal places as in leads.csv."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    rounded = round(float(value), 6)
    return int(rounded) if rounded == int(rounded) else rounded


def canonical_json(value: Any) -> str:
    """Args as a JSON text with keys sorted and numbers canonical."""
    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {str(k): walk(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return canonical_number(item)
    return json.dumps(walk(value), sort_keys=True, ensure_ascii=False)
