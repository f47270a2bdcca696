"""How the checker shows code and types in its messages.

`show` writes an expression back as source text (`amount * 2`), `describe`
wraps it in backticks or says "this expression" when it is long, and the
hint helpers suggest the fix for the commonest type mistakes.
"""

from __future__ import annotations

from leadflow.dsl import ast
from leadflow.dsl.format_expr import format_expr

NUMERIC = frozenset({"number", "int"})
TYPE_WORDS = {
    "number": "a number", "int": "an int", "text": "text", "bool": "a bool",
    "time": "a time", "duration": "a duration", "stage": "a stage",
}


def type_word(t: str) -> str:
    if t.startswith("list"):  # "list of text", or "list" for an empty list literal
        return f"a {t}"
    return TYPE_WORDS.get(t, t)


def show(expr) -> str:
    """An expression written back as source text, for messages: the formatter's own
    printer, so operators keep the parentheses their meaning needs."""
    return format_expr(expr)


def show_duration(d: ast.Duration) -> str:
    return f"{d.amount} {d.unit}{'' if d.amount == 1 else 's'}"


def describe(expr) -> str:
    text = show(expr)
    return f"`{text}`" if text and len(text) <= 40 else "this expression"


def names_list(names) -> str:
    names = list(names)
    listed = ", ".join(f"`{n}`" for n in names[:8])
    return listed + (", ..." if len(names) > 8 else "")


def condition_hint(expr, t: str) -> str | None:
    text = show(expr) or "it"
    if t in NUMERIC:
        return f"compare it, e.g. `{text} > 0`"
    if t == "text":
        return f'compare it, e.g. `{text} == "..."`'
    if t == "duration":
        return f"compare it, e.g. `{text} > 30 days`"
    if t == "stage":
        return 'compare it, e.g. `stage == "mql"`'
    return None


def literal_hint(literal, wanted: str) -> str | None:
    """How to write a mistyped literal as the type it is compared with."""
    if isinstance(literal, ast.String) and wanted in NUMERIC:
        try:
            float(literal.value)
        except ValueError:
            return None
        return f"remove the quotes: `{literal.value}`"
    if isinstance(literal, ast.Number) and wanted == "text":
        return f'quote it: `"{show(literal)}"`'
    if isinstance(literal, ast.Number) and wanted == "duration":
        return f"write the unit, e.g. `{show(literal)} days`"
    if isinstance(literal, ast.String) and wanted == "time":
        return "rules compare times with times, e.g. `ts - due > 3 days`"
    if isinstance(literal, ast.String) and wanted == "bool" and literal.value in ("true", "false"):
        return f"remove the quotes: `{literal.value}`"
    return None
