"""Diagnostics: the one type every stage of the front end reports problems with.

Printed as::

    path:line:col: error: message
       12 | on purchse add 5
          |    ^^^^^^^
      hint: did you mean `purchase`?
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

from leadflow.dsl.ast import Span


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" or "warning"
    message: str
    span: Span
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self, source: str | None = None) -> str:
        """The diagnostic as text; with `source`, also the line and a caret underline."""
        head = f"{self.span.file}:{self.span.line}:{self.span.column}: {self.severity}: {self.message}"
        lines = [head]
        if source is not None and self.span.line >= 1:
            text_lines = source.splitlines()
            if self.span.line <= len(text_lines):
                line_text = text_lines[self.span.line - 1].expandtabs(1)
                gutter = str(self.span.line)
                start = max(self.span.column, 1)
                if self.span.end_line == self.span.line and self.span.end_column > start:
                    width = self.span.end_column - start
                else:
                    width = max(len(line_text) - start + 1, 1)
                lines.append(f" {gutter} | {_printable(line_text)}")
                lines.append(f" {' ' * len(gutter)} | {' ' * (start - 1)}{'^' * width}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def _printable(text: str) -> str:
    """Control characters would garble a terminal; show them escaped, one column each."""
    return "".join(c if c.isprintable() else "?" for c in text)


class LeadflowError(Exception):
    """Raised when a stage cannot go on; carries every diagnostic it found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def error(message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("error", message, span, hint)


def warning(message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic("warning", message, span, hint)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest known name, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def render_all(diagnostics: Iterable[Diagnostic], source: str | None) -> str:
    return "\n".join(d.render(source) for d in diagnostics)
