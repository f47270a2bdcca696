"""Checker: AST → checked Model + diagnostics.

`check(module, ruleset=None)` reports every error it finds (not only the
first) and returns a Model only when there are none. For a file that begins
`tests for "x.leadflow"`, `ruleset` is the checked model of x and the result is
that model carrying this file's tests.

The work is split by subject, each module one pass over its part of the file:
  scope.py        declarations → symbol tables (duplicates, types, timezone, stages)
  typecheck.py    the type of every expression; unknown names with "did you mean"
  checks_rules.py rules, actions, modifiers, flows; conflicting `set`/`tag` warnings
  checks_traps.py warnings for valid rules that do not do what they seem to (SPEC-legal traps)
  checks_tests.py test blocks: fed events and attributes, times, expectations
  checks_messages.py  how messages show code and types, and the hints for type mistakes
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

from leadflow.dsl import ast
from leadflow.dsl.checks_rules import RuleChecker
from leadflow.dsl.checks_tests import TestChecker
from leadflow.dsl.checks_traps import check_traps
from leadflow.dsl.diagnostics import Diagnostic
from leadflow.dsl.model import CheckedRule, Model
from leadflow.dsl.scope import (
    Report,
    Scope,
    collect_declarations,
    first_line_hint,
    name_span,
    symbols_from_model,
)
from leadflow.dsl.typecheck import ExprTyper

STAGE_SCOPE = Scope("a stage condition")

# What each declaration is called when it turns up in a `tests for` file.
DECLARATION_WORDS = {
    ast.RulesetDecl: "`ruleset`", ast.TimezoneDecl: "`timezone`", ast.EventDecl: "an `event`",
    ast.LeadDecl: "`lead(...)`", ast.ScoreDecl: "a `score`", ast.StageDecl: "a `stage`",
    ast.Rule: "a rule", ast.SendLimit: "`send limit`", ast.QuietHours: "`quiet hours`",
    ast.FlowDecl: "a `flow`",
}


@dataclass
class CheckResult:
    model: Model | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.model is not None


def check(module: ast.Module, ruleset: Model | None = None) -> CheckResult:
    report = Report()
    types: dict[int, str] = {}
    refs: dict[int, str] = {}
    tests_file = ruleset is not None or any(isinstance(d, ast.TestsFor) for d in module.body)
    try:
        if tests_file:
            model = _check_tests_file(module, ruleset, report, types, refs)
        else:
            model = _check_ruleset(module, report, types, refs)
    except RecursionError:
        report.error("an expression is nested too deeply to check", module.span,
                     "split it into smaller rules")
        model = None
    # Reported by subject; shown top to bottom, as the reader meets them.
    diagnostics = sorted(report.diagnostics, key=lambda d: (d.span.line, d.span.column))
    if model is None or report.has_errors:
        return CheckResult(None, diagnostics)
    return CheckResult(model, diagnostics)


def _check_ruleset(module: ast.Module, report: Report, types: dict, refs: dict) -> Model | None:
    symbols = collect_declarations(module, report)
    typer = ExprTyper(symbols, report, types, refs)
    rules = RuleChecker(symbols, typer, report)
    tests = TestChecker(symbols, typer, report)
    for decl in module.body:
        if isinstance(decl, ast.Rule):
            rules.rule(decl)
        elif isinstance(decl, ast.StageDecl) and decl.when is not None:
            typer.condition(decl.when, STAGE_SCOPE, "when")
        elif isinstance(decl, ast.FlowDecl):
            rules.flow(decl)
        elif isinstance(decl, ast.SendLimit):
            typer.duration(decl.per)
        elif isinstance(decl, ast.TestBlock):
            tests.block(decl)
    rules.finish()
    check_traps(module, report)
    if report.has_errors:
        return None
    return dataclasses.replace(build_model(module), expr_types=types, name_refs=refs)


def _check_tests_file(module: ast.Module, ruleset: Model | None, report: Report,
                      types: dict, refs: dict) -> Model | None:
    """A `tests for "x.leadflow"` file: only test blocks, checked against x's model."""
    body = module.body
    if ruleset is None:
        first = next(d for d in body if isinstance(d, ast.TestsFor))
        report.error("these tests cannot be checked without the ruleset they are for",
                     first.span, "run `leadflow check` on this file: it loads the ruleset")
        return None
    symbols = symbols_from_model(ruleset)
    typer = ExprTyper(symbols, report, types, refs)
    tests = TestChecker(symbols, typer, report)
    seen: dict[str, ast.Span] = {}
    first_tests_for: ast.TestsFor | None = None
    for index, decl in enumerate(body):
        if isinstance(decl, ast.TestBlock):
            shown = json.dumps(decl.name, ensure_ascii=False)
            report.is_first(seen, decl.name, name_span(decl), f"test {shown} is declared twice", shown)
            tests.block(decl)
        elif isinstance(decl, ast.TestsFor) and first_tests_for is not None:
            report.error("`tests for` is given twice", decl.span,
                         first_line_hint("`tests for`", first_tests_for.span, decl.span))
        elif isinstance(decl, ast.TestsFor):
            first_tests_for = decl
            if index != 0:
                report.error("`tests for` must come before everything else in the file",
                             decl.span, "a file holds tests for one ruleset, named first")
        else:
            report.error(f"{DECLARATION_WORDS[type(decl)]} does not belong in a tests file",
                         decl.span, "a `tests for` file holds only `test` blocks; "
                         "move this to the ruleset")
    if report.has_errors:
        return None
    test_blocks = tuple(d for d in body if isinstance(d, ast.TestBlock))
    return dataclasses.replace(ruleset, tests=test_blocks,
                               expr_types={**ruleset.expr_types, **types},
                               name_refs={**ruleset.name_refs, **refs})


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
