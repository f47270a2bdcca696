"""Text-level helpers for generated code: indented blocks, source-map marks, merging ifs."""

from __future__ import annotations

import re
from contextlib import contextmanager

from leadflow.compiler.emit_expr import unwrap


class Block:
    """Lines of code at an indentation depth; `with b.indent():` nests (adding `pass` if empty)."""

    def __init__(self, depth: int = 0):
        self.lines: list[str] = []
        self.depth = depth

    def __call__(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def indent(self):
        self.depth += 1
        start = len(self.lines)
        yield
        if len(self.lines) == start:
            self("pass")
        self.depth -= 1

    @contextmanager
    def mapped(self, source: int):
        """Code that belongs to one rule (or flow, stage): the source map records its lines."""
        self(f"# @src {source}")
        yield
        self("# @end")


class Sources:
    """The source map's table: (label, file, line) per rule, flow and stage, numbered."""

    def __init__(self):
        self.entries: list[tuple[str, str, int]] = []

    def add(self, label: str, file: str, line: int) -> int:
        entry = (label, file, line)
        if entry not in self.entries:
            self.entries.append(entry)
        return self.entries.index(entry)


def merge_nested_ifs(lines: list[str]) -> list[str]:
    """`if a:` whose whole body is `if b:` (no else on either) becomes `if a and b:`.

    Also `elif a:` when no `else:` ends its chain (an event dispatch chain):
    there, falling through to the following `elif`s instead changes nothing.
    A source-map range around the inner `if` moves out to cover the merged line.
    """
    lines = list(lines)
    i = 0
    while i < len(lines) - 1:
        outer = _IF.match(lines[i])
        marked = _MARK.match(lines[i + 1]) is not None
        inner = _IF.match(lines[i + 2 if marked else i + 1]) if i + 2 < len(lines) or not marked else None
        depth = len(outer.group(1)) if outer else 0
        if outer and inner and inner.group(2) == "if" and len(inner.group(1)) == depth + 4:
            at = i + 2 if marked else i + 1
            end_outer = _block_end(lines, i, depth)
            end_inner = _block_end(lines, at, depth + 4)
            closing = end_inner + 1 if marked else end_inner
            safe = (not _continues(lines, end_outer, depth) if outer.group(2) == "if"
                    else not _chain_has_else(lines, end_outer, depth))
            if (closing == end_outer and safe and not _continues(lines, end_inner, depth + 4)
                    and (not marked or lines[end_inner].strip() == "# @end")):
                cond = f"{_operand(outer.group(3))} and {_operand(inner.group(3))}"
                body = [line[4:] if line.strip() else line for line in lines[at + 1:end_inner]]
                merged = [f"{outer.group(1)}{outer.group(2)} {cond}:"] + body
                if marked:
                    merged = [lines[i + 1][4:]] + merged + [lines[end_inner]]
                lines[i:closing] = merged
                continue
        i += 1
    return lines


_MARK = re.compile(r"^\s*# @src \d+$")
_IF = re.compile(r"^(\s*)(if|elif) (.*):$")


def _chain_has_else(lines: list[str], at: int, depth: int) -> bool:
    """Whether the if/elif chain continuing at `at` ends with an `else:`."""
    while at < len(lines):
        line = lines[at]
        if len(line) - len(line.lstrip()) != depth or not line.lstrip().startswith(("elif ", "else:")):
            return False
        if line.lstrip().startswith("else:"):
            return True
        at = _block_end(lines, at, depth)
    return False


def _block_end(lines: list[str], start: int, depth: int) -> int:
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > depth):
        end += 1
    return end


def _continues(lines: list[str], at: int, depth: int) -> bool:
    if at >= len(lines):
        return False
    line = lines[at]
    return len(line) - len(line.lstrip()) == depth and line.lstrip().startswith(("elif ", "else:"))


def _operand(cond: str) -> str:
    """A condition as an operand of `and`: parenthesized unless it is one name or one group."""
    if cond.isidentifier() or unwrap(cond) != cond:
        return cond
    return f"({cond})"
