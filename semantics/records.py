"""What replaying a lead gives back, the same records from either engine.

An action (`OutAction`: a send, notify, suppressed send, or a held send
cancelled), a stage change (`Transition`), a row of the points ledger
(`PointChange`), a line of `explain` (`TraceEntry`), a lead as it stands
(`LeadResult`), and the error a ruleset raises at run time
(`RulesetRuntimeError`). Times are integers: microseconds since the Unix
epoch, UTC.

Plain classes with `__slots__`, not dataclasses: a compiled module builds one
`OutAction` per action in its inner loop, and a slotted class with a plain
`__init__` is the cheapest object Python makes. Two records are equal when
they are the same kind with the same fields, so a compiled module's records
(its own copy of these classes) compare equal to the interpreter's.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations


def _fields(record):
    return tuple(getattr(record, name) for name in record.__slots__)


class _Record:
    """Equality and text by fields, in `__slots__` order (the constructor's)."""

    __slots__ = ()
    __hash__ = None  # mutable: lists and dicts inside

    def __eq__(self, other):
        if type(other).__name__ != type(self).__name__ or not isinstance(other, _Record):
            return NotImplemented
        return _fields(self) == _fields(other)

    def __repr__(self):
        return f"{type(self).__name__}{_fields(self)!r}"


class OutAction(_Record):
    """An outward action: kind "send", "notify" or "suppressed" (a send over the limit);
    "cancelled" for a held send whose flow run stopped (LeadResult.cancelled only).
    `rule` is the rule id, or the flow name for a flow step."""

    __slots__ = ("at", "rule", "kind", "target", "args")  # noqa: RUF023 (the constructor's order)

    def __init__(self, at, rule, kind, target, args):
        self.at = at
        self.rule = rule
        self.kind = kind
        self.target = target
        self.args = args


class Transition(_Record):
    """A stage change at `at`."""

    __slots__ = ("at", "from_stage", "to_stage")

    def __init__(self, at, from_stage, to_stage):
        self.at = at
        self.from_stage = from_stage
        self.to_stage = to_stage


class PointChange(_Record):
    """One row of the points ledger: a score changed by `change` (after clamping and caps)
    to `value`. `rule` is the rule id for a rule firing (as in OutAction.rule), the flow
    name for a flow step, `expire:<rule id>` when `expires after` takes points back and
    `while:<rule id>` when a `while` rule stops holding."""

    __slots__ = ("at", "rule", "score", "change", "value")  # noqa: RUF023

    def __init__(self, at, rule, score, change, value):
        self.at = at
        self.rule = rule
        self.score = score
        self.change = change
        self.value = value


class TraceEntry(_Record):
    """One line of `explain`: what happened (kind "event", "timer", "rule", "flow",
    "stage", "expire" or "while"), and the scores and stage right after it."""

    __slots__ = ("at", "kind", "text", "scores", "stage")  # noqa: RUF023

    def __init__(self, at, kind, text, scores, stage):
        self.at = at
        self.kind = kind
        self.text = text
        self.scores = scores
        self.stage = stage


class LeadResult(_Record):
    """A lead as it stands: scores in declaration order, stage (None when the ruleset
    declares none), tags sorted, attributes, actions and stage changes in order; the
    points ledger (a lead made with points on), the held sends whose flow run stopped
    before delivery (never in `actions`), its first and last applied event and last
    stage change (None: none yet). `pending` (runtime/pending.py's scheduled items) is
    the runner's to fill."""

    __slots__ = ("lead_id", "scores", "stage", "tags", "attrs", "actions",  # noqa: RUF023
                 "transitions", "points", "cancelled", "first_seen", "last_activity",
                 "stage_since", "pending")

    def __init__(self, lead_id, scores, stage, tags, attrs, actions, transitions, points=None,
                 cancelled=None, first_seen=None, last_activity=None, stage_since=None,
                 pending=None):
        self.lead_id = lead_id
        self.scores = scores
        self.stage = stage
        self.tags = tags
        self.attrs = attrs
        self.actions = actions
        self.transitions = transitions
        self.points = [] if points is None else points
        self.cancelled = [] if cancelled is None else cancelled
        self.first_seen = first_seen
        self.last_activity = last_activity
        self.stage_since = stage_since
        self.pending = [] if pending is None else pending


class RulesetRuntimeError(Exception):
    """A ruleset misbehaved at run time (a rule failed, or it did not settle).

    `where` is "file:line" of the rule file, `rules` the ids of the rules involved.
    """

    def __init__(self, message, rules=(), where=None):
        self.rules = tuple(rules)
        self.where = where
        super().__init__(message)

    def __reduce__(self):  # crosses processes in a split run (runtime/partitioned.py)
        return type(self), (str(self), self.rules, self.where)
