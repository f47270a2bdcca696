"""A value as trace notes and test-block messages show it: as the user writes it.

`15` not `15.0`; `"boda"` with JSON escapes, as a string literal in a rule file
is written; `true`/`false`; a list in brackets; a missing value as `missing`.
An applied event is its name and its present fields, `purchase(amount: 120)`;
a send's target is shown in double quotes, as written.

STANDARD LIBRARY ONLY: the compiled module embeds this file's source.
"""

from __future__ import annotations

import json


def number_text(value):
    """A number as people write it: 15, not 15.0; 0.333333 at most six decimals."""
    if value is None:
        return "missing"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def value_text(value):
    """Any field value (text, number, flag, list, missing) as a rule file writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return number_text(value)


def args_text(args):
    """The arguments of a send or notify as a trace note ends with: ` with k = v, ...`."""
    if not args:
        return ""
    return " with " + ", ".join(f"{key} = {json.dumps(value)}" for key, value in args.items())


def quoted(target):
    """A send's or notify's target as a trace note shows it: `"welcome"`, as written."""
    return f'"{target}"'


def event_text(event, fields):
    """An applied event as a trace note shows it: `purchase(amount: 120, sku: "A1")`.

    `fields` are the (name, value) pairs of its present fields, in declaration order.
    """
    shown = ", ".join(f"{name}: {value_text(value)}" for name, value in fields)
    return f"{event}({shown})" if shown else event
