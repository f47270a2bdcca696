"""One-line statements in their canonical text (used by the formatter).

Everything here prints on a single line — declarations, flow triggers, steps
other than `if`, test steps — except a rule too long for one line, which
`rule_lines` breaks at its clauses. Blocks (`flow`, `test`, `if`) and comments
are laid out by leadflow.dsl.formatter.
"""

from __future__ import annotations

from leadflow.dsl import ast
from leadflow.dsl.format_expr import (
    format_duration,
    format_expr,
    format_literal,
    format_number,
    format_string,
)

# A rule longer than this is broken into its clauses (the project's line length).
MAX_WIDTH = 100
CONTINUATION = "  "


def format_statement(node) -> str:
    """A declaration (not a rule), flow trigger, single-line step or test step as one line."""
    formatter = _STATEMENTS.get(type(node))
    if formatter is None:
        action = _ACTIONS.get(type(node))
        if action is None:
            raise TypeError(f"not a one-line statement: {type(node).__name__}")
        return action(node)
    return formatter(node)


# ------------------------------------------------------------- declarations


def _fields(fields: tuple[ast.FieldDecl, ...]) -> str:
    return ", ".join(f"{f.name}: {f.type}" for f in fields)


def _event(d: ast.EventDecl) -> str:
    return f"event {d.name}({_fields(d.fields)})" if d.fields else f"event {d.name}"


def _score(d: ast.ScoreDecl) -> str:
    text = f"score {d.name}"
    if d.min is not None:
        text += f" min {format_number(d.min)}"
    if d.max is not None:
        text += f" max {format_number(d.max)}"
    return text


def _stage(d: ast.StageDecl) -> str:
    return f"stage {d.name}" if d.when is None else f"stage {d.name} when {format_expr(d.when)}"


def _clock(c: ast.Clock) -> str:
    return f"{c.hour:02d}:{c.minute:02d}"


# -------------------------------------------------------------------- rules


def rule_lines(r: ast.Rule) -> list[str]:
    """A rule on one line; past MAX_WIDTH, its clauses on lines of their own,
    and the actions one per line when they are still past MAX_WIDTH together:

        rule NAME: on EVENT [where COND] [count CMP N [within DUR]]
          when COND
          ACTION, ACTION          or          ACTION,
          MODIFIERS                           ACTION
    """
    label = "" if r.name is None else rule_label(r) + " "
    head, when = _trigger(r.trigger)
    conditions = [] if when is None else [f"when {format_expr(when)}"]
    actions = [format_statement(a) for a in r.actions]
    modifiers = [" ".join(_modifier(m) for m in r.modifiers)] if r.modifiers else []
    one_line = " ".join([label + head, *conditions, ", ".join(actions), *modifiers])
    if len(one_line) <= MAX_WIDTH:
        return [one_line]
    if len(CONTINUATION + ", ".join(actions)) > MAX_WIDTH:
        actions = [action + "," for action in actions[:-1]] + actions[-1:]
    else:
        actions = [", ".join(actions)]
    return [label + head] + [CONTINUATION + clause for clause in conditions + actions + modifiers]


def rule_label(r: ast.Rule) -> str:
    """`rule NAME:` of a labelled rule (the formatter aligns the text after it)."""
    return f"rule {r.name}:"


def _trigger(t: ast.Trigger) -> tuple[str, ast.Expr | None]:
    """The trigger's text, without the `when` condition of an `on` rule (returned apart)."""
    if isinstance(t, ast.OnEvent):
        text = f"on {t.event}"
        if t.where is not None:
            text += f" where {format_expr(t.where)}"
        if t.count is not None:
            text += f" count {t.count.op} {t.count.value}"
            if t.count.within is not None:
                text += f" within {format_duration(t.count.within)}"
        return text, t.when
    return _other_trigger(t), None


def _other_trigger(t: ast.Trigger) -> str:
    if isinstance(t, ast.WhenCond):
        return f"when {format_expr(t.cond)}"
    if isinstance(t, ast.Every):
        return f"every {format_duration(t.every)} without {t.without or 'activity'}"
    if isinstance(t, ast.OnStage):
        return f"on {t.change} {t.stage}"
    if isinstance(t, ast.While):
        return f"while {format_expr(t.cond)}"
    raise TypeError(f"not a trigger: {type(t).__name__}")


def _modifier(m: ast.Modifier) -> str:
    if isinstance(m, ast.Once):
        return "once" if m.per is None else f"once per {format_duration(m.per)}"
    if isinstance(m, ast.UpTo):
        return f"up to {m.times} times"
    if isinstance(m, ast.CappedAt):
        return f"capped at {format_number(m.limit)}"
    if isinstance(m, ast.ExpiresAfter):
        return f"expires after {format_duration(m.after)}"
    raise TypeError(f"not a modifier: {type(m).__name__}")


# ------------------------------------------------------------------ actions


def _add(a: ast.Add) -> str:
    verb, preposition = ("subtract", "from") if a.negate else ("add", "to")
    text = f"{verb} {format_expr(a.amount)}"
    return text if a.score is None else f"{text} {preposition} {a.score}"


def _subtract_percent(a: ast.SubtractPercent) -> str:
    text = f"subtract {format_number(a.percent)}%"
    return text if a.score is None else f"{text} from {a.score}"


def _send(a: ast.Send) -> str:
    text = f"{a.kind} {format_string(a.target)}"
    if a.args:
        text += " with " + ", ".join(f"{arg.name} = {format_expr(arg.value)}" for arg in a.args)
    return text


def _tag(a: ast.Tag) -> str:
    return f"{'untag' if a.remove else 'tag'} {format_string(a.tag)}"


_ACTIONS = {
    ast.Add: _add,
    ast.SubtractPercent: _subtract_percent,
    ast.SetField: lambda a: f"set lead.{a.field} = {format_expr(a.value)}",
    ast.Tag: _tag,
    ast.Send: _send,
    ast.FlowControl: lambda a: f"{a.op} {a.flow}",
    ast.Wait: lambda w: f"wait {format_duration(w.duration)}",
}


# ----------------------------------------------------------- flows and tests


def _flow_trigger(t: ast.FlowTrigger) -> str:
    text = f"{t.op} on {t.event}"
    return text if t.where is None else f"{text} where {format_expr(t.where)}"


def _values(values: tuple[ast.FieldValue, ...]) -> str:
    return ", ".join(f"{v.name}: {format_literal(v.value)}" for v in values)


def _test_event(s: ast.TestEvent) -> str:
    text = f"at {s.at.text} {s.event}"
    return f"{text}({_values(s.values)})" if s.values else text


def _expect(s: ast.Expect) -> str:
    text = f"expect {format_expr(s.cond)}"
    return text if s.at is None else f"at {s.at.text} {text}"


_STATEMENTS = {
    ast.RulesetDecl: lambda d: f"ruleset {d.name}",
    ast.TimezoneDecl: lambda d: f"timezone {format_string(d.zone)}",
    ast.TestsFor: lambda d: f"tests for {format_string(d.path)}",
    ast.EventDecl: _event,
    ast.LeadDecl: lambda d: f"lead({_fields(d.fields)})",
    ast.ScoreDecl: _score,
    ast.StageDecl: _stage,
    ast.SendLimit: lambda d: f"send limit {d.limit} per {format_duration(d.per)}",
    ast.QuietHours: lambda d: f"quiet hours {_clock(d.start)} to {_clock(d.end)}",
    ast.FlowTrigger: _flow_trigger,
    ast.TestLead: lambda s: f"lead({_values(s.values)})",
    ast.TestEvent: _test_event,
    ast.Expect: _expect,
}
