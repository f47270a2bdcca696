"""Diagnostics: the one type every stage of the front end reports problems with.

Printed as::

    path:line:col: error: message
       12 | on purchse add 5
          |    ^^^^^^^
      hint: did you mean `purchase`?
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
        if source is not None:
            lines += _excerpt(source, self.span)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


# Source lines longer than this are cut around the caret (a minified or
# generated file can put a megabyte on one line).
MAX_SHOWN = 100


def _excerpt(source: str, span: Span) -> list[str]:
    """The span's source line and a caret underline, or nothing if the line does not exist."""
    if span.line < 1:
        return []
    # Lines as the lexer counts them: only "\n" ends a line (not \r, \f or U+2028).
    start_of_line = 0
    for _ in range(span.line - 1):
        start_of_line = source.find("\n", start_of_line) + 1
        if start_of_line == 0:
            return []
    end_of_line = source.find("\n", start_of_line)
    line_text = source[start_of_line:] if end_of_line < 0 else source[start_of_line:end_of_line]
    line_text = _printable(line_text.rstrip("\r"))
    start = max(span.column, 1)
    if span.end_line == span.line and span.end_column > start:
        width = span.end_column - start
    else:
        width = max(len(line_text) - start + 1, 1)
    if len(line_text) > MAX_SHOWN:
        first = max(0, min(start - 1 - MAX_SHOWN // 3, len(line_text) - MAX_SHOWN))
        prefix = "..." if first > 0 else ""
        suffix = "..." if first + MAX_SHOWN < len(line_text) else ""
        line_text = prefix + line_text[first:first + MAX_SHOWN] + suffix
        start = start - first + len(prefix)
    width = max(1, min(width, len(line_text) - start + 2))
    gutter = str(span.line)
    return [f" {gutter} | {line_text}",
            f" {' ' * len(gutter)} | {_blank(line_text[:start - 1])}{'^' * width}"]


def _printable(text: str) -> str:
    """Control characters would garble a terminal: a tab shows as one space, the rest as `?`.

    Either way one character stays one column, as the lexer counts columns.
    """
    return "".join(c if c.isprintable() else (" " if c == "\t" else "?") for c in text)


def _blank(text: str) -> str:
    """Spaces as wide on screen as `text`, so the caret lands under the right character."""
    return "".join("  " if unicodedata.east_asian_width(c) in "WF" else " " for c in text)


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
