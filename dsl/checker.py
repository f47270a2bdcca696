"""Checker: AST → checked Model + diagnostics.

`check(module, ruleset=None)` reports every error it finds (not only the
first) and returns a Model only when there are none. For a file that begins
`tests for "x.leadflow"`, `ruleset` is the checked model of x and the result is
that model carrying this file's tests.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic
from leadflow.dsl.model import CheckedRule, Model


@dataclass
class CheckResult:
    model: Model | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.model is not None


def check(module: ast.Module, ruleset: Model | None = None) -> CheckResult:
    diagnostics: list[Diagnostic] = []
    if ruleset is not None:
        tests = tuple(d for d in module.body if isinstance(d, ast.TestBlock))
        model = dataclasses.replace(ruleset, tests=tests)
    else:
        model = build_model(module)
    if any(d.is_error for d in diagnostics):
        return CheckResult(None, diagnostics)
    return CheckResult(model, diagnostics)


def rule_id(rule: ast.Rule, path: str) -> str:
    """A rule's label, or `<file stem>:<line>` for an unlabelled rule."""
    if rule.name is not None:
        return rule.name
    stem = os.path.splitext(os.path.basename(path))[0]
    return f"{stem}:{rule.span.line}"


def build_model(module: ast.Module) -> Model:
    """Collect the declarations of a module into symbol tables (no validation)."""
    body = module.body
    name = next((d.name for d in body if isinstance(d, ast.RulesetDecl)), None)
    timezone = next((d.zone for d in body if isinstance(d, ast.TimezoneDecl)), "UTC")
    events = {d.name: d for d in body if isinstance(d, ast.EventDecl)}
    lead_fields = {f.name: f for d in body if isinstance(d, ast.LeadDecl) for f in d.fields}
    scores = tuple(d for d in body if isinstance(d, ast.ScoreDecl)) or (ast.ScoreDecl("score"),)
    stages = tuple(d for d in body if isinstance(d, ast.StageDecl))
    rules = tuple(CheckedRule(rule_id(d, module.path), d) for d in body if isinstance(d, ast.Rule))
    flows = {d.name: d for d in body if isinstance(d, ast.FlowDecl)}
    send_limit = next((d for d in body if isinstance(d, ast.SendLimit)), None)
    quiet_hours = next((d for d in body if isinstance(d, ast.QuietHours)), None)
    tests = tuple(d for d in body if isinstance(d, ast.TestBlock))
    return Model(module.path, name, timezone, events, lead_fields, scores, stages, rules, flows,
                 send_limit, quiet_hours, tests)
