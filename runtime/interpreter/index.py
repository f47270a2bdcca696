"""Lookups over a checked Model, built once per ruleset: which rules react to what.

Nothing here changes while leads are run; the per-lead state is in state.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.dsl import ast
from leadflow.dsl.model import CheckedRule, Model
from leadflow.semantics import points, timemath


@dataclass(frozen=True)
class Modifiers:
    """A rule's modifiers, gathered (docs/semantics.md, "Rules and modifiers")."""

    once: bool = False
    once_per: ast.Duration | None = None
    up_to: int | None = None
    cap: float | None = None
    expires: ast.Duration | None = None


def gather_modifiers(rule: ast.Rule) -> Modifiers:
    once, once_per, up_to, cap, expires = False, None, None, None, None
    for modifier in rule.modifiers:
        if isinstance(modifier, ast.Once):
            if modifier.per is None:
                once = True
            else:
                once_per = modifier.per
        elif isinstance(modifier, ast.UpTo):
            up_to = modifier.times
        elif isinstance(modifier, ast.CappedAt):
            cap = modifier.limit
        elif isinstance(modifier, ast.ExpiresAfter):
            expires = modifier.after
    return Modifiers(once, once_per, up_to, cap, expires)


class RulesetIndex:
    """The model plus the indexes the interpreter looks things up in."""

    def __init__(self, model: Model):
        self.model = model
        self.timezone = model.timezone
        timemath.zone(model.timezone)  # fail early on an unknown zone
        self.event_fields: dict[str, dict[str, str]] = {
            name: {f.name: f.type for f in decl.fields} for name, decl in model.events.items()
        }
        self.score_names = tuple(s.name for s in model.scores)
        self.bounds = {s.name: (s.min, s.max) for s in model.scores}
        self.default_score = model.default_score
        self.stage_names = tuple(s.name for s in model.stages)
        self.stage_order = {name: i for i, name in enumerate(self.stage_names)}
        self.rules: tuple[CheckedRule, ...] = model.rules
        self.modifiers = tuple(gather_modifiers(r.rule) for r in model.rules)
        self.flows: dict[str, ast.FlowDecl] = model.flows

        self.on_rules: dict[str, list[int]] = {}
        self.when_rules: list[int] = []
        self.while_rules: list[int] = []
        self.every_rules: list[int] = []
        self.enter_rules: dict[str, list[int]] = {}
        self.exit_rules: dict[str, list[int]] = {}
        # `on E where C count OP N within D` reads count(E where C within D): one node per rule,
        # kept here so the aggregate cache can key on it.
        self.count_nodes: dict[int, ast.Aggregate] = {}
        for i, checked in enumerate(model.rules):
            trigger = checked.rule.trigger
            if isinstance(trigger, ast.OnEvent):
                self.on_rules.setdefault(trigger.event, []).append(i)
                if trigger.count is not None:
                    self.count_nodes[i] = ast.Aggregate("count", trigger.event, None, trigger.where,
                                                        trigger.count.within, trigger.count.span)
            elif isinstance(trigger, ast.WhenCond):
                self.when_rules.append(i)
            elif isinstance(trigger, ast.While):
                self.while_rules.append(i)
            elif isinstance(trigger, ast.Every):
                self.every_rules.append(i)
            elif isinstance(trigger, ast.OnStage):
                target = self.enter_rules if trigger.change == "enter" else self.exit_rules
                target.setdefault(trigger.stage, []).append(i)
        self.pure_filters: dict[int, bool] = {}
        # How the checker resolved each bare name ("field" or "score"), when it says.
        self.name_refs: dict[int, str] = getattr(model, "name_refs", None) or {}
        # A flow's steps read the fields of the event that started it only when every
        # `start on` of the flow names that one event (dsl/model.py, name resolution).
        self.flow_event: dict[str, str | None] = {}
        for name, flow in model.flows.items():
            starts = {t.event for t in flow.triggers if t.op == "start"}
            self.flow_event[name] = starts.pop() if len(starts) == 1 else None
        # Which flows have a trigger on each event (file order), so an event looks at those only.
        self.flows_on: dict[str, list[str]] = {}
        for name, flow in model.flows.items():
            for event in dict.fromkeys(t.event for t in flow.triggers):
                self.flows_on.setdefault(event, []).append(name)

    def rule_id(self, index: int) -> str:
        return self.rules[index].id

    def rule_where(self, index: int) -> str:
        span = self.rules[index].rule.span
        return f"{span.file}:{span.line}"

    def has_field(self, event: str, name: str) -> bool:
        return name == "ts" or name in self.event_fields.get(event, {})

    def reads_field(self, node: ast.Name, event: str | None) -> bool:
        """Whether a bare name reads the context event's field (else it is a score)."""
        ref = self.name_refs.get(id(node))
        if ref is not None:
            return ref == "field"
        return event is not None and self.has_field(event, node.name)

    def clamp(self, score: str, value: float) -> float:
        return points.clamp(value, *self.bounds.get(score, (None, None)))

    def initial_score(self, score: str) -> float:
        """Every score starts at 0, clamped into its bounds (**Decision**, docs/semantics.md)."""
        return points.initial_score(*self.bounds.get(score, (None, None)))

    def is_pure_filter(self, event: str, where: ast.Expr | None) -> bool:
        """Whether a `where` reads only the aggregated event (so its answer never changes)."""
        if where is None:
            return True
        key = id(where)
        if key not in self.pure_filters:
            self.pure_filters[key] = _reads_only_event(self, event, where)
        return self.pure_filters[key]


def _reads_only_event(ix: RulesetIndex, event: str, expr: ast.Expr) -> bool:
    if isinstance(expr, (ast.Number, ast.String, ast.Bool)):
        return True
    if isinstance(expr, ast.DurationExpr):
        return expr.duration.unit in timemath.FIXED_UNITS  # a calendar length depends on now
    if isinstance(expr, ast.Name):
        return ix.reads_field(expr, event)
    if isinstance(expr, ast.Unary):
        return _reads_only_event(ix, event, expr.operand)
    if isinstance(expr, ast.Binary):
        return _reads_only_event(ix, event, expr.left) and _reads_only_event(ix, event, expr.right)
    if isinstance(expr, ast.In):
        return all(_reads_only_event(ix, event, e) for e in (expr.operand, *expr.items))
    if isinstance(expr, (ast.Matches, ast.IsMissing, ast.Call)):
        return _reads_only_event(ix, event, expr.operand)
    if isinstance(expr, ast.TextOp):
        return _reads_only_event(ix, event, expr.left) and _reads_only_event(ix, event, expr.right)
    return False  # `this.x` depends on the event the aggregate is evaluated for  # lead fields, scores, stage, tags and aggregates change over time
