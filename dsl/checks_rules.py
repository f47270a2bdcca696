"""Checks for rules, their actions and modifiers, and flows.

Each rule is checked once, in file order, against the symbol tables; the
tables of conflicting `set`/`tag`/`untag` actions are filled as rules go by,
so the whole pass is linear in the number of rules.
"""

from __future__ import annotations

from leadflow.dsl import ast
from leadflow.dsl.checks_messages import describe, type_word
from leadflow.dsl.diagnostics import did_you_mean
from leadflow.dsl.scope import (
    Report,
    Scope,
    Symbols,
    event_scope,
    name_span,
    trailing_span,
)
from leadflow.dsl.typecheck import ExprTyper, assignable

MODIFIER_WORDS = {ast.Once: "once", ast.UpTo: "up to", ast.CappedAt: "capped at",
                  ast.ExpiresAfter: "expires after"}
LATER_WINS = "when both fire on the same event, the later rule in the file wins"


class RuleChecker:
    def __init__(self, symbols: Symbols, typer: ExprTyper, report: Report):
        self.symbols = symbols
        self.typer = typer
        self.report = report
        self.started_flows: set[str] = set()  # flows some `start FLOW` action starts
        self.flows_without_start: list[ast.FlowDecl] = []
        # For the conflict warnings: (event, lead field) → the first rule that sets it, and
        # (event, tag, removes) → the first rule that tags / untags it.
        self.setters: dict[tuple[str, str], ast.Rule] = {}
        self.taggers: dict[tuple[str, str, bool], ast.Rule] = {}
        self.scopes = {
            "when": Scope("a `when` rule"),
            "every": Scope("an `every` rule"),
            "enter": Scope("an `on enter` rule"),
            "exit": Scope("an `on exit` rule"),
            "while": Scope("a `while` rule"),
        }
        self.event_scopes: dict[str, Scope] = {}

    def _event_scope(self, event: str) -> Scope:
        scope = self.event_scopes.get(event)
        if scope is None:
            scope = self.event_scopes[event] = event_scope(self.symbols, event, f"`{event}`")
        return scope

    # -- rules -----------------------------------------------------------
    def rule(self, rule: ast.Rule) -> None:
        trigger = rule.trigger
        typer = self.typer
        if isinstance(trigger, ast.OnEvent):
            scope = self._on_event(trigger)
        elif isinstance(trigger, ast.WhenCond):
            scope = self.scopes["when"]
            typer.condition(trigger.cond, scope, "when")
        elif isinstance(trigger, ast.Every):
            scope = self.scopes["every"]
            typer.duration(trigger.every)
            if trigger.without is not None and trigger.without not in self.symbols.events:
                typer.unknown_event(trigger.without, name_span(trigger))
        elif isinstance(trigger, ast.OnStage):
            scope = self.scopes[trigger.change]
            self.stage_ref(trigger.stage, name_span(trigger))
        else:
            scope = self.scopes["while"]
            typer.condition(trigger.cond, scope, "while")
        for action in rule.actions:
            self.action(action, scope)
        self._modifiers(rule.modifiers)
        if isinstance(trigger, ast.OnEvent) and trigger.event in self.symbols.events:
            self._conflicts(rule, trigger.event)

    def _on_event(self, trigger: ast.OnEvent) -> Scope:
        typer = self.typer
        if trigger.event not in self.symbols.events:
            typer.unknown_event(trigger.event, name_span(trigger))
        scope = self._event_scope(trigger.event)
        if trigger.where is not None:
            typer.condition(trigger.where, scope, "where")
        if trigger.count is not None:
            if trigger.count.value < 0:
                self.report.error("a count is never below 0", trigger.count.span)
            if trigger.count.within is not None:
                typer.duration(trigger.count.within)
        if trigger.when is not None:
            typer.condition(trigger.when, scope, "when")
        return scope

    def stage_ref(self, stage: str, span: ast.Span) -> None:
        stages = self.symbols.stages
        if not stages:
            self.report.error(f"unknown stage `{stage}`: no stages are declared", span,
                              f"declare it, e.g. `stage {stage} when engagement >= 20`")
        elif stage not in stages:
            self.report.error(f"unknown stage `{stage}`", span, did_you_mean(stage, stages)
                              or "the stages are " + ", ".join(f"`{s}`" for s in stages))

    def _modifiers(self, modifiers) -> None:
        seen: dict[str, ast.Span] = {}
        for modifier in modifiers:
            word = MODIFIER_WORDS[type(modifier)]
            if not self.report.is_first(seen, word, modifier.span, f"`{word}` is given twice",
                                        f"`{word}`"):
                continue
            if isinstance(modifier, ast.Once) and modifier.per is not None:
                self.typer.duration(modifier.per)
            elif isinstance(modifier, ast.UpTo) and modifier.times < 1:
                self.report.error("`up to` needs at least 1 time", modifier.span,
                                  "to switch the rule off, remove it")
            elif isinstance(modifier, ast.CappedAt) and modifier.limit <= 0:
                self.report.error("`capped at` needs a limit above 0", modifier.span,
                                  "to switch the rule off, remove it")
            elif isinstance(modifier, ast.ExpiresAfter):
                self.typer.duration(modifier.after)

    def _conflicts(self, rule: ast.Rule, event: str) -> None:
        """Warn when two rules on one event set the same field or tag and untag the same tag."""
        for action in rule.actions:
            if isinstance(action, ast.SetField):
                first = self.setters.setdefault((event, action.field), rule)
                if first is not rule:
                    self.report.warning(
                        f"this rule and the rule on line {first.span.line} both set "
                        f"`lead.{action.field}` on `{event}`", action.span, LATER_WINS)
            elif isinstance(action, ast.Tag):
                other = self.taggers.get((event, action.tag, not action.remove))
                if other is not None and other is not rule:
                    did, other_did = ("untags", "tags") if action.remove else ("tags", "untags")
                    self.report.warning(
                        f"this rule {did} `{action.tag}` and the rule on line {other.span.line} "
                        f"{other_did} it, both on `{event}`", action.span, LATER_WINS)
                self.taggers.setdefault((event, action.tag, action.remove), rule)

    # -- actions ---------------------------------------------------------
    def action(self, action, scope: Scope) -> None:
        typer = self.typer
        if isinstance(action, ast.Add):
            verb = "subtract" if action.negate else "add"
            typer.number(action.amount, scope, f"the amount to {verb}")
            self._score_ref(action.score, action.span)
        elif isinstance(action, ast.SubtractPercent):
            if not 0 < action.percent <= 100:
                self.report.error(f"`subtract {action.percent}%` is out of range: a percentage "
                                  "is above 0 and at most 100", action.span,
                                  "e.g. `subtract 25%` removes a quarter")
            self._score_ref(action.score, action.span)
        elif isinstance(action, ast.SetField):
            self._set_field(action, scope)
        elif isinstance(action, ast.Tag):
            if not action.tag.strip():
                self.report.error("a tag cannot be empty", action.span)
        elif isinstance(action, ast.Send):
            self._send(action, scope)
        elif isinstance(action, ast.FlowControl):
            if action.op == "start":
                self.started_flows.add(action.flow)
            if action.flow not in self.symbols.flows:
                flows = self.symbols.flows
                self.report.error(f"unknown flow `{action.flow}`",
                                  trailing_span(action.span, action.flow),
                                  did_you_mean(action.flow, flows) or (
                                      "the flows are " + ", ".join(f"`{f}`" for f in flows)
                                      if flows else f"declare it: `flow {action.flow} ... end`"))

    def _score_ref(self, score: str | None, span: ast.Span) -> None:
        if score is None or score in self.symbols.scores:
            return
        scores = self.symbols.scores
        self.report.error(f"unknown score `{score}`", trailing_span(span, score),
                          did_you_mean(score, scores) or
                          "the scores are " + ", ".join(f"`{s}`" for s in scores))

    def _set_field(self, action: ast.SetField, scope: Scope) -> None:
        field_type = self.symbols.lead.get(action.field)
        if action.field not in self.symbols.lead:
            lead = self.symbols.lead
            self.report.error(f"unknown lead field `{action.field}`", name_span(action),
                              did_you_mean(action.field, lead) or (
                                  "the lead fields are " + ", ".join(f"`{f}`" for f in lead)
                                  if lead else f"declare it: `lead({action.field}: text)`"))
        value_type = self.typer.type_of(action.value, scope)
        if field_type is not None and value_type is not None and \
                not assignable(value_type, field_type):
            self.report.error(f"`lead.{action.field}` is {type_word(field_type)}, but "
                              f"{describe(action.value)} is {type_word(value_type)}",
                              action.value.span)

    def _send(self, action: ast.Send, scope: Scope) -> None:
        if not action.target.strip():
            what = "template" if action.kind == "send" else "team"
            self.report.error(f"the {what} name cannot be empty", action.span)
        seen: dict[str, ast.Span] = {}
        for arg in action.args:
            self.report.is_first(seen, arg.name, arg.span, f"argument `{arg.name}` is given twice",
                                 f"`{arg.name}`")
            if self.typer.type_of(arg.value, scope) == "duration":
                self.report.error(f"{describe(arg.value)} is a duration, which `{action.kind}` "
                                  "cannot pass on", arg.value.span,
                                  "pass a number, text, a bool or a time")

    # -- flows -----------------------------------------------------------
    def flow(self, flow: ast.FlowDecl) -> None:
        start_events = set()
        for trigger in flow.triggers:
            if trigger.event not in self.symbols.events:
                self.typer.unknown_event(trigger.event, name_span(trigger))
            if trigger.op == "start":
                start_events.add(trigger.event)
            if trigger.where is not None:
                self.typer.condition(trigger.where, self._event_scope(trigger.event), "where")
        if len(start_events) == 1:
            scope = self._event_scope(next(iter(start_events)))
        elif start_events:
            scope = Scope(f"flow `{flow.name}`, which starts on several events,")
        else:
            scope = Scope(f"flow `{flow.name}`, which has no `start on`,")
            self.flows_without_start.append(flow)
        self._steps(flow.steps, scope)

    def _steps(self, steps, scope: Scope) -> None:
        for step in steps:
            if isinstance(step, ast.Wait):
                self.typer.duration(step.duration)
            elif isinstance(step, ast.If):
                self.typer.condition(step.cond, scope, "if")
                self._steps(step.then, scope)
                self._steps(step.otherwise, scope)
            else:
                self.action(step, scope)

    def finish(self) -> None:
        """Checks that need every rule seen first."""
        for flow in self.flows_without_start:
            if flow.name not in self.started_flows:
                self.report.error(f"flow `{flow.name}` never starts", name_span(flow),
                                  f"add `start on EVENT` to it, or `start {flow.name}` to a rule")
