"""A readable dump of the IR, for `leadflow compile --emit ir`.

One node per line, indented by nesting; a node whose whole text fits on a
line (an expression, a duration) is written inline, and a field left at its
default is not written. The program, its rules, aggregates, trackers, flows
and dispatch are always written a field per line, and lists of them (and of
dispatch branches and flow steps) an item per line, so that a pass changing
one field changes one line. Every optimizer pass rewrites the IR or writes its
decision into it (compiler/ir.py), so two dumps (`--no-optimize`,
`--skip-pass NAME`) show what the passes changed. Deterministic: the same
program gives the same text.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass

from leadflow.compiler import ir

WIDTH = 100
# Written a field per line whatever their length.
_BLOCKS = (ir.Program, ir.Rule, ir.Aggregate, ir.Tracker, ir.Flow, ir.Dispatch)
# Lists of these are written an item per line.
_ITEMS = _BLOCKS + (ir.EventBranch, ir.Do, ir.Wait, ir.JumpUnless, ir.Jump, ir.FlowTrigger)


def dump(program) -> str:
    """The IR as indented text, ending with a newline."""
    out: list[str] = []
    _write(out, program, 0, "")
    return "\n".join(out) + "\n"


def _write(out: list[str], value, depth: int, label: str) -> None:
    pad = "  " * depth + (f"{label}: " if label else "")
    if not _expanded(value, len(pad)):
        out.append(pad + _inline(value))
        return
    if isinstance(value, tuple):
        out.append(f"{pad}({len(value)})")
        for item in value:
            _write(out, item, depth + 1, "-")
        return
    out.append(pad + type(value).__name__)
    for name, item in _set_fields(value):
        _write(out, item, depth + 1, name)


def _expanded(value, indent: int) -> bool:
    """Whether a value is written over several lines rather than inline."""
    if isinstance(value, _BLOCKS):
        return True
    if isinstance(value, tuple):
        if any(isinstance(item, _ITEMS) for item in value):
            return True
        if not any(is_dataclass(item) or isinstance(item, tuple) for item in value):
            return False  # plain values, as (file, line, message): one line, however long
    return (is_dataclass(value) or isinstance(value, tuple)) and indent + len(_inline(value)) > WIDTH


def _inline(value) -> str:
    if is_dataclass(value):
        parts = ", ".join(f"{name}={_inline(item)}" for name, item in _set_fields(value))
        return f"{type(value).__name__}({parts})"
    if isinstance(value, tuple):
        inner = ", ".join(_inline(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _set_fields(node) -> list[tuple[str, object]]:
    """(name, value) of the fields that differ from their defaults, in declaration order."""
    out = []
    for f in fields(node):
        value = getattr(node, f.name)
        if f.default is not MISSING and value == f.default:
            continue
        if f.default_factory is not MISSING and value == f.default_factory():
            continue
        out.append((f.name, value))
    return out
