"""The checked model of a ruleset: what the checker hands to the engines.

The checker (`leadflow.dsl.checker.check`) builds a `Model` only for a file
without errors, so everything here is resolved and consistent: every event,
field, score, stage, flow and lead field a rule names exists, and every
expression is well typed. Engines (the reference interpreter, the compiler)
read only this.

Name resolution rule, used by both engines: a bare `Name` in an expression is a
field of the triggering event when the rule's context has an event that
declares it (or `ts`), otherwise a score. Contexts with an event: an `on EVENT`
rule's where/when/actions; an aggregate's or `since`'s `where` (the aggregated
event); a flow trigger's `where`; a flow's steps, when every `start on` of the
flow names the same event. No event (scores only): `when`, `every`, `on
enter/exit` and `while` rules, stage conditions and test expectations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.dsl import ast

FIELD_TYPES = ("number", "int", "text", "bool", "time")


@dataclass(frozen=True)
class CheckedRule:
    """A rule with its stable id: its label, or `<file stem>:<line>` when unlabelled."""

    id: str
    rule: ast.Rule


@dataclass(frozen=True)
class Model:
    path: str
    name: str | None
    timezone: str  # IANA name; "UTC" when not declared
    events: dict[str, ast.EventDecl]  # in declaration order
    lead_fields: dict[str, ast.FieldDecl]
    scores: tuple[ast.ScoreDecl, ...]  # never empty: an implicit `score` when none declared
    stages: tuple[ast.StageDecl, ...]  # may be empty
    rules: tuple[CheckedRule, ...]  # in file order
    flows: dict[str, ast.FlowDecl]
    send_limit: ast.SendLimit | None = None
    quiet_hours: ast.QuietHours | None = None
    tests: tuple[ast.TestBlock, ...] = ()
    # The static type of every expression node the checker saw ("number", "int",
    # "text", "bool", "time", "duration", "list"), keyed by id(node). The keyword
    # `stage` has type "stage": it compares with a stage name in quotes, by name
    # for == != and by declaration order for < <= > >= (either side may be `stage`).
    expr_types: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    # How the checker resolved every bare `Name`: "field" (of the triggering
    # event, including `ts`) or "score", keyed by id(node). Engines may use it
    # instead of repeating the resolution rule above.
    name_refs: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    # sha256 of the files it was loaded from (path and text of each), set by leadflow.api;
    # "" for a model made otherwise. Keys the compiled-module cache (compiler/load.py).
    source_digest: str = field(default="", compare=False, repr=False)

    def __repr__(self) -> str:  # the default would print every rule in pytest tracebacks
        return f"Model({self.path!r}, {len(self.rules)} rules, {len(self.flows)} flows)"

    @property
    def default_score(self) -> str:
        return self.scores[0].name

    def field_type(self, event: str, name: str) -> str | None:
        if name == "ts":
            return "time"
        for f in self.events[event].fields:
            if f.name == name:
                return f.type
        return None
