"""Colour on a terminal, and the one-line usage error every command prints.

Colour follows the conventions other command-line tools share: `NO_COLOR`
set to anything non-empty turns it off (https://no-color.org), else
`FORCE_COLOR` set to anything non-empty but `0` turns it on even in a pipe
(CI logs), else it is on when the stream is a terminal. NO_COLOR wins when
both are set, as in CPython's own tracebacks.

Diagnostics are rendered as plain text by leadflow.dsl (which knows nothing of
terminals); `colour_diagnostics` paints that text line by line.
"""

from __future__ import annotations

import os
import re
import sys
from typing import NoReturn, TextIO

import click

_HEAD = re.compile(r"^(?P<where>\S.*?:\d+:\d+: )(?P<severity>error|warning)(?P<rest>: .*)$")
_GUTTER = re.compile(r"^(?P<gutter> +\d* +\| )(?P<text>.*)$")
_HINT = re.compile(r"^(?P<indent> +)hint:(?P<rest>.*)$")
_SEVERITY_COLOUR = {"error": "red", "warning": "yellow"}


def wants_colour(stream: TextIO | None = None) -> bool:
    """Whether to write ANSI colours to `stream` (default: stderr)."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force:
        return force != "0"
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def colour_diagnostics(text: str) -> str:
    """Paint rendered diagnostics: the position in bold, the severity and caret in its colour."""
    lines = []
    severity = "error"
    for line in text.split("\n"):
        head = _HEAD.match(line)
        gutter = _GUTTER.match(line)
        hint = _HINT.match(line)
        if head:
            severity = head["severity"]
            line = (click.style(head["where"], bold=True)
                    + click.style(severity, fg=_SEVERITY_COLOUR[severity], bold=True)
                    + click.style(head["rest"], bold=True))
        elif gutter and set(gutter["text"].strip()) == {"^"}:
            line = click.style(gutter["gutter"], fg="blue") + click.style(
                gutter["text"], fg=_SEVERITY_COLOUR[severity], bold=True)
        elif gutter:
            line = click.style(gutter["gutter"], fg="blue") + gutter["text"]
        elif hint:
            line = hint["indent"] + click.style("hint:", fg="cyan", bold=True) + hint["rest"]
        lines.append(line)
    return "\n".join(lines)


def echo_diagnostics_text(text: str) -> None:
    """Rendered diagnostics on stderr, in colour when stderr wants it."""
    colour = wants_colour(sys.stderr)
    click.echo(colour_diagnostics(text) if colour else text, err=True, color=colour)


def counts_line(errors: int, warnings: int, files: int | None = None) -> str:
    """`2 errors, 1 warning in 3 files`."""
    line = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if files is not None:
        line += f" in {_plural(files, 'file')}"
    return line


def echo_counts(errors: int, warnings: int, files: int | None = None) -> None:
    """The closing count line on stderr; red when there are errors, yellow for warnings only."""
    line = counts_line(errors, warnings, files)
    colour = wants_colour(sys.stderr)
    if colour:
        fg = "red" if errors else "yellow" if warnings else "green"
        line = click.style(line, fg=fg, bold=True)
    click.echo(line, err=True, color=colour)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def usage_error(message: str) -> NoReturn:
    """`error: message` on stderr, exit 2 (a usage error, as docs/cli.md defines it)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
