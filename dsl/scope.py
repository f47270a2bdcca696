"""Symbol tables and name scopes for the checker.

`collect_declarations` walks the declarations of a ruleset once, reports the
problems that need no expression typing (duplicates, unknown field types,
score bounds, stage conditions, the timezone) and returns `Symbols`: the tables
every later check looks names up in, built once so that checking stays linear
in the size of the file.

A `Scope` says what a bare name can mean at one place in the file: the fields
of the triggering event (when there is one), else a score.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, did_you_mean, error, warning
from leadflow.dsl.model import FIELD_TYPES, Model

IMPLICIT_SCORE = "score"  # the one score a ruleset has when it declares none (SPEC 3)


class Report:
    """Collects diagnostics; the checker keeps going after each one."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.diagnostics.append(error(message, span, hint))

    def warning(self, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.diagnostics.append(warning(message, span, hint))

    def is_first(self, seen: dict, key, span: ast.Span, message: str, shown: str) -> bool:
        """Record `key` at `span` in `seen`; when it is already there, report `message`
        with a hint pointing at the first `shown`, and return False."""
        first = seen.setdefault(key, span)
        if first is span:
            return True
        self.error(message, span, first_line_hint(shown, first, span))
        return False

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


# ------------------------------------------------------------------ spans


def name_span(node) -> ast.Span:
    """The span of the name a node declares or refers to, or the node's own span."""
    span = getattr(node, "name_span", ast.NO_SPAN)
    return node.span if span == ast.NO_SPAN else span


def leading_span(span: ast.Span, text: str) -> ast.Span:
    """The first `len(text)` columns of a span: `amount` in `amount: number`."""
    return ast.Span(span.file, span.line, span.column, span.line, span.column + len(text))


def trailing_span(span: ast.Span, text: str) -> ast.Span:
    """The last `len(text)` columns of a span: `fit` in `add 5 to fit`."""
    start = span.end_column - len(text)
    if span == ast.NO_SPAN or start < 1:
        return span
    return ast.Span(span.file, span.end_line, start, span.end_line, span.end_column)


def first_line_hint(what: str, first: ast.Span, again: ast.Span) -> str:
    """Where the first of two clashing things is, for the hint on the second."""
    if first.line == again.line and first.file == again.file:
        return f"the first {what} is earlier on the same line"
    return f"the first {what} is on line {first.line}"


# ---------------------------------------------------------------- symbols


@dataclass
class Symbols:
    """Every name a ruleset declares, as lookup tables."""

    # Field types are None for a field whose type is unknown (already reported):
    # the field exists, so using it is no second error.
    events: dict[str, dict[str, str | None]] = field(default_factory=dict)  # with `ts`
    lead: dict[str, str | None] = field(default_factory=dict)
    scores: dict[str, ast.ScoreDecl] = field(default_factory=dict)  # in declaration order
    stages: dict[str, int] = field(default_factory=dict)  # stage → position
    flows: dict[str, ast.FlowDecl] = field(default_factory=dict)
    timezone: str = "UTC"  # a valid zone (UTC when the declared one is not)
    field_owners: dict[str, str] = field(default_factory=dict)  # field name → first event with it

    def add_event_fields(self, event: str, fields: dict[str, str | None]) -> None:
        self.events[event] = {**fields, "ts": "time"}
        for name in fields:
            self.field_owners.setdefault(name, event)


def symbols_from_model(model: Model) -> Symbols:
    """The tables of an already checked ruleset (for a `tests for` file)."""
    symbols = Symbols()
    for name, decl in model.events.items():
        symbols.add_event_fields(name, {f.name: f.type for f in decl.fields})
    symbols.lead = {name: f.type for name, f in model.lead_fields.items()}
    symbols.scores = {s.name: s for s in model.scores}
    symbols.stages = {s.name: i for i, s in enumerate(model.stages)}
    symbols.flows = dict(model.flows)
    symbols.timezone = model.timezone
    return symbols


@dataclass(frozen=True)
class Scope:
    """What a bare name means at one place: an event field (when `fields` is set), else a score."""

    where: str  # for messages: "a `when` rule", "a test expectation", ...
    event: str | None = None
    fields: Mapping[str, str | None] = field(default_factory=dict)
    # The triggering event is unknown (already reported): unknown bare names are
    # not reported again, since they may be fields of the event the user meant.
    lenient: bool = False
    in_test: bool = False  # `sent "x"` / `notified "x"` are allowed
    # Inside an aggregate's or `since`'s `where`: `this.x` reads the triggering event
    # of the place the aggregate stands in (`this_event`), not the aggregated one.
    in_aggregate: bool = False
    this_event: str | None = None
    this_fields: Mapping[str, str | None] = field(default_factory=dict)
    nested: bool = False  # an aggregate inside another aggregate's `where`

    def this(self) -> tuple[str | None, Mapping[str, str | None]]:
        """The triggering event `this.x` reads here, and its fields."""
        if self.in_aggregate:
            return self.this_event, self.this_fields
        return self.event, self.fields

    def inside(self, inner: Scope) -> Scope:
        """The scope of an aggregate's `where` (`inner`) written in this scope."""
        event, fields = self.this()
        return replace(inner, in_aggregate=True, this_event=event, this_fields=fields,
                       nested=self.in_aggregate, lenient=inner.lenient or self.lenient)


def event_scope(symbols: Symbols, event: str, where: str) -> Scope:
    fields = symbols.events.get(event)
    if fields is None:
        return Scope(where, event, {}, lenient=True)
    return Scope(where, event, fields)


# ------------------------------------------------------------ declarations


def collect_declarations(module: ast.Module, report: Report) -> Symbols:
    """Build the symbol tables of a ruleset and report declaration problems."""
    collector = _Collector(report)
    for index, decl in enumerate(module.body):
        collector.declaration(index, decl)
    collector.finish()
    return collector.symbols


class _Collector:
    def __init__(self, report: Report):
        self.report = report
        self.symbols = Symbols()
        self.first: dict[tuple[str, str], ast.Span] = {}  # (kind, name) → where first declared
        self.lead_first: dict[str, ast.Span] = {}
        self.stage_decls: list[ast.StageDecl] = []
        self.field_decls: list[tuple[str, ast.FieldDecl]] = []

    def _unique(self, kind: str, name: str, span: ast.Span) -> bool:
        """Record a declaration; report it and return False when it repeats an earlier one."""
        shown = json.dumps(name, ensure_ascii=False) if kind == "test" else f"`{name}`"
        return self.report.is_first(self.first, (kind, name), span,
                                    f"{kind} {shown} is declared twice", shown)

    def declaration(self, index: int, decl) -> None:
        if isinstance(decl, ast.RulesetDecl):
            if self._once("ruleset", decl) and index != 0:
                self.report.error("`ruleset` must come before everything else in the file",
                                  decl.span, "move it above every other declaration")
        elif isinstance(decl, ast.TimezoneDecl):
            if self._once("timezone", decl):
                self._timezone(decl)
        elif isinstance(decl, ast.EventDecl):
            fields = self._fields(decl.fields, f"event `{decl.name}`", event=decl.name)
            if self._unique("event", decl.name, name_span(decl)):
                self.symbols.add_event_fields(decl.name, fields)
        elif isinstance(decl, ast.LeadDecl):
            self.symbols.lead.update(self._fields(decl.fields, "`lead(...)`", event=None))
        elif isinstance(decl, ast.ScoreDecl):
            self._score(decl)
        elif isinstance(decl, ast.StageDecl):
            if self._unique("stage", decl.name, name_span(decl)):
                self.symbols.stages[decl.name] = len(self.symbols.stages)
                self.stage_decls.append(decl)
        elif isinstance(decl, ast.FlowDecl):
            if self._unique("flow", decl.name, name_span(decl)):
                self.symbols.flows[decl.name] = decl
        elif isinstance(decl, ast.Rule):
            if decl.name is not None:
                self._unique("rule", decl.name, name_span(decl))
        elif isinstance(decl, ast.TestBlock):
            self._unique("test", decl.name, name_span(decl))
        elif isinstance(decl, ast.SendLimit):
            if self._once("send limit", decl) and decl.limit < 1:
                self.report.error("a send limit must be at least 1", decl.span,
                                  "to send nothing, remove the `send` actions instead")
        elif isinstance(decl, ast.QuietHours):
            self._quiet_hours(decl)

    def _quiet_hours(self, decl: ast.QuietHours) -> None:
        if self._once("quiet hours", decl) and decl.start == decl.end:
            self.report.error("quiet hours start and end at the same time", decl.span,
                              "write the period, e.g. `quiet hours 22:00 to 08:00`")

    def _once(self, keyword: str, decl) -> bool:
        return self.report.is_first(self.first, ("once", keyword), decl.span,
                                    f"`{keyword}` is given twice", f"`{keyword}`")

    def _timezone(self, decl: ast.TimezoneDecl) -> None:
        if valid_timezone(decl.zone):
            self.symbols.timezone = decl.zone
            return
        hint = did_you_mean(decl.zone, _all_timezones()) or \
            'use an IANA zone name such as "Europe/Madrid" or "UTC"'
        span = trailing_span(decl.span, json.dumps(decl.zone, ensure_ascii=False))
        self.report.error(f"unknown timezone `{decl.zone}`", span, hint)

    def _fields(self, decls, owner: str, event: str | None) -> dict[str, str | None]:
        """The fields of one event (or of the lead, when `event` is None) as name → type."""
        fields: dict[str, str | None] = {}
        # Lead fields may be spread over several `lead(...)` lines; event fields may not.
        seen = self.lead_first if event is None else {}
        for f in decls:
            span = leading_span(f.span, f.name)
            if not self.report.is_first(seen, f.name, span,
                                        f"field `{f.name}` is declared twice in {owner}", f"`{f.name}`"):
                continue
            if event is not None and f.name == "ts":
                self.report.error("every event already has the field `ts` (its time)", span,
                                  "rename this field")
                continue
            if f.type not in FIELD_TYPES:
                hint = did_you_mean(f.type, FIELD_TYPES) or \
                    "field types are " + ", ".join(f"`{t}`" for t in FIELD_TYPES)
                self.report.error(f"unknown type `{f.type}`", trailing_span(f.span, f.type), hint)
                fields[f.name] = None
                continue
            if event is not None:
                self.field_decls.append((event, f))
            fields[f.name] = f.type
        return fields

    def _score(self, decl: ast.ScoreDecl) -> None:
        if not self._unique("score", decl.name, name_span(decl)):
            return
        self.symbols.scores[decl.name] = decl
        if decl.min is not None and decl.max is not None and decl.min > decl.max:
            self.report.error(f"score `{decl.name}` has `min {decl.min}` above `max {decl.max}`",
                              decl.span, "swap the bounds")

    def finish(self) -> None:
        symbols = self.symbols
        if not symbols.scores:
            symbols.scores[IMPLICIT_SCORE] = ast.ScoreDecl(IMPLICIT_SCORE)
        for position, stage in enumerate(self.stage_decls):
            if position == 0 and stage.when is not None:
                self.report.error(f"the first stage, `{stage.name}`, takes no `when` condition",
                                  stage.when.span,
                                  "every lead starts in the first stage; "
                                  "add an initial stage above it, e.g. `stage visitor`")
            elif position > 0 and stage.when is None:
                self.report.error(f"stage `{stage.name}` needs a `when` condition",
                                  name_span(stage),
                                  f"only the first stage has none, e.g. "
                                  f"`stage {stage.name} when engagement >= 20`")
        # A field that hides a score: in rules on that event the bare name means the field.
        for event, f in self.field_decls:
            if f.name in symbols.scores:
                self.report.warning(
                    f"field `{f.name}` of `{event}` hides the score `{f.name}`",
                    leading_span(f.span, f.name),
                    f"in rules on `{event}`, `{f.name}` means the field; rename one of them")
        if "ts" in symbols.scores and symbols.events:
            self.report.warning("score `ts` is hidden by the event time `ts`",
                                name_span(symbols.scores["ts"]),
                                "in rules on an event, `ts` means its time; rename the score")


# Files of the system's zone database that are not zone names: `localtime` is
# this machine's own setting and `posixrules` a template. Python loads them,
# but `run` reads times with DuckDB's zone database, which refuses them; a
# ruleset must mean the same on every machine, so `check` refuses them too.
NOT_ZONE_NAMES = frozenset({"localtime", "posixrules"})


def valid_timezone(zone: str) -> bool:
    if zone in NOT_ZONE_NAMES:
        return False
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@lru_cache(maxsize=1)
def _all_timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))
