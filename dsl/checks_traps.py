"""Warnings for rules that mean something other than what they seem to say.

Two traps a marketer falls into, both valid leadflow that `check` used to pass
in silence:

- **A threshold with no firing policy.** `on purchase count >= 3 within 6
  months add 15` reads as "a third purchase earns 15", but an `on` rule fires
  on every matching event, so the fourth and fifth purchase earn 15 again. The
  warning names the four ways to say what was meant: `once`, `once per D`,
  `count == N` (exactly the Nth) and a `while` rule (points that hold while the
  condition does). Only rules whose actions pile up are flagged: adding points,
  sending, notifying or starting a flow. Tagging or setting the same value
  again changes nothing, so `on page_view ... count > 3 tag "vestir"` is fine;
  so is any rule with `once`, `once per`, `up to` or `capped at`, which says
  how often it may act. `when` rules fire on a rising edge only (SPEC 4), so
  they cannot fall into it.
- **`!=` or `not in` on a lead attribute.** A comparison that reads a missing
  value is false, so `lead.country != "ES"` leaves out every lead whose country
  is not known. The warning is not given when the same condition already says
  what happens to a missing value (`lead.country is missing or ...`).

Each check walks expressions generically (by dataclass fields), so it keeps
working when new kinds of expression are added to the language.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from leadflow.dsl import ast
from leadflow.dsl.checks_messages import show, show_duration
from leadflow.dsl.scope import Report

# Modifiers that say how often a rule may act.
FIRING_POLICIES = (ast.Once, ast.UpTo, ast.CappedAt)
# Aggregates that only grow as events arrive (within a window, they stay up while it lasts).
GROWING = frozenset({"count", "sum", "distinct"})
_FLIPPED = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}


def check_traps(module: ast.Module, report: Report) -> None:
    """Report the trap warnings for every rule, stage and flow of a ruleset."""
    for decl in module.body:
        if isinstance(decl, ast.Rule):
            _repeating_threshold(decl, report)
            for cond in _rule_conditions(decl.trigger):
                _missing_attribute(cond, report)
        elif isinstance(decl, ast.StageDecl) and decl.when is not None:
            _missing_attribute(decl.when, report)
        elif isinstance(decl, ast.FlowDecl):
            for trigger in decl.triggers:
                if trigger.where is not None:
                    _missing_attribute(trigger.where, report)
            for cond in _flow_conditions(decl.steps):
                _missing_attribute(cond, report)


# ------------------------------------------------------- repeated thresholds


def _repeating_threshold(rule: ast.Rule, report: Report) -> None:
    trigger = rule.trigger
    if not isinstance(trigger, ast.OnEvent):
        return
    if any(isinstance(m, FIRING_POLICIES) for m in rule.modifiers):
        return
    if not any(_piles_up(action) for action in rule.actions):
        return
    found = _threshold(trigger)
    if found is None:
        return
    span, shown, exact = found
    within = getattr(trigger.count, "within", None)
    per = show_duration(within) if within is not None else "30 days"
    report.warning(
        f"this rule fires on every `{trigger.event}` while `{shown}` holds, "
        "not only when it is first reached", span,
        f"to act only once, add `once`; at most once a period, `once per {per}`; "
        + (f"only on reaching it, `{exact}`; " if exact else "")
        + "for points that last while it holds, a `while` rule")


def _piles_up(action) -> bool:
    """Whether doing the action again changes more than doing it once."""
    if isinstance(action, (ast.Tag, ast.SetField)):
        return False
    if isinstance(action, ast.FlowControl):
        return action.op == "start"
    return True


def _threshold(trigger: ast.OnEvent) -> tuple[ast.Span, str, str | None] | None:
    """The `count >= N` (or an aggregate `>= N` in `where`/`when`): its span, its text and
    the `==` that fires only on reaching it (None for a sum, which jumps past a bound)."""
    count = trigger.count
    if count is not None and count.op in (">=", ">"):
        exact = count.value if count.op == ">=" else count.value + 1
        within = f" within {show_duration(count.within)}" if count.within is not None else ""
        return count.span, f"count {count.op} {count.value}", f"count == {exact}{within}"
    for cond in (trigger.where, trigger.when):
        for node in _positive_comparisons(cond):
            found = _aggregate_threshold(node)
            if found is not None:
                return found
    return None


def _aggregate_threshold(node: ast.Binary) -> tuple[ast.Span, str, str | None] | None:
    left, op, right = node.left, node.op, node.right
    if isinstance(right, ast.Aggregate) and op in _FLIPPED:  # `3 <= count(x)`
        left, op, right = right, _FLIPPED[op], left
    if not (isinstance(left, ast.Aggregate) and left.func in GROWING and op in (">=", ">")
            and isinstance(right, ast.Number)):
        return None
    if left.func == "sum":  # a sum jumps past a bound: there is no `==` to fire at
        return node.span, show(node), None
    wanted = right.value if op == ">=" else right.value + 1
    exact = ast.Binary("==", left, ast.Number(wanted))
    return node.span, show(node), show(exact)


def _positive_comparisons(cond: ast.Expr | None) -> Iterator[ast.Binary]:
    """Comparisons a condition holds through `and` and `or` (not under a `not`)."""
    pending = [cond] if cond is not None else []
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Binary) and node.op in ("and", "or"):
            pending += [node.right, node.left]
        elif isinstance(node, ast.Binary):
            yield node


# --------------------------------------------- `!=` on a missing attribute


def _missing_attribute(cond: ast.Expr, report: Report) -> None:
    """Warn about `lead.x != v` and `lead.x not in [...]` unless `cond` also tests `lead.x is missing`."""
    nodes = list(_walk(cond))
    handled = {n.operand.name for n in nodes
               if isinstance(n, ast.IsMissing) and isinstance(n.operand, ast.LeadField)}
    for node in nodes:
        field = _negative_test(node)
        if field is None or field in handled:
            continue
        handled.add(field)  # one warning per attribute and condition
        shown = show(node)
        if len(shown) > 50:
            shown = f"lead.{field} {'!=' if isinstance(node, ast.Binary) else 'not in'} ..."
        report.warning(
            f"`{shown}` is false for a lead without `lead.{field}`", node.span,
            f"a comparison with a missing value is false; to include those leads write "
            f"`lead.{field} is missing or {shown}`, to leave them out on purpose "
            f"`lead.{field} is not missing and {shown}`")


def _negative_test(node) -> str | None:
    """The lead attribute `node` tests with `!=` or `not in`, if it does."""
    if isinstance(node, ast.Binary) and node.op == "!=":
        for side in (node.left, node.right):
            if isinstance(side, ast.LeadField):
                return side.name
    if isinstance(node, ast.In) and node.negated and isinstance(node.operand, ast.LeadField):
        return node.operand.name
    return None


def _walk(node) -> Iterator:
    """Every AST node under `node` (itself included), found through dataclass fields."""
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, tuple):
            pending.extend(reversed(item))
            continue
        if not dataclasses.is_dataclass(item) or isinstance(item, ast.Span):
            continue
        yield item
        pending.extend(reversed([getattr(item, f.name) for f in dataclasses.fields(item)]))


# ------------------------------------------------------------------ where


def _rule_conditions(trigger) -> list[ast.Expr]:
    if isinstance(trigger, ast.OnEvent):
        return [c for c in (trigger.where, trigger.when) if c is not None]
    cond = getattr(trigger, "cond", None)  # `when` and `while` rules
    return [cond] if cond is not None else []


def _flow_conditions(steps) -> Iterator[ast.Expr]:
    for step in steps:
        if isinstance(step, ast.If):
            yield step.cond
            yield from _flow_conditions(step.then)
            yield from _flow_conditions(step.otherwise)
