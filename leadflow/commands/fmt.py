"""`leadflow fmt [--check | --diff] [PATH...]`: rewrite files in the canonical layout, keeping comments.

`--check` and `--diff` change nothing: the first only names the files that
would change, the second also prints the change as a unified diff (stdout).
Both exit 1 when a file would change.

Only syntax matters here: a file with semantic errors is formatted all the
same. A file that does not parse is reported with its diagnostics and left
alone; the other files are still processed. Before writing, the formatted text
is parsed again and must give the same tree and the same comments, so a
formatter bug can never change what a rule file means.
"""

from __future__ import annotations

import difflib
import sys

import click

from leadflow.api import read_source
from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, LeadflowError, error, render_all
from leadflow.dsl.formatter import format_module
from leadflow.dsl.parser import parse
from leadflow.files import rule_files
from leadflow.terminal import echo_diagnostics_text, wants_colour


@click.command("fmt")
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; exit 1 if any file would be reformatted.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print what would change as a unified diff, exit 1 if any.")
@click.argument("paths", nargs=-1, type=click.Path())
def command(check_only: bool, show_diff: bool, paths: tuple[str, ...]) -> None:
    """Rewrite rule files in the canonical layout (comments are kept).

    PATHS are files or directories (their .leadflow files, at any depth); none
    means the current directory."""
    failed = would_change = False
    dry_run = check_only or show_diff
    colour = wants_colour(sys.stdout)
    for path in rule_files(paths):
        outcome = format_file(path, write=not dry_run)
        if outcome == "error":
            failed = True
        elif outcome == "changed":
            would_change = True
            verb = "would reformat" if dry_run else "reformatted"
            click.echo(f"{verb} {path}", err=True)
            if show_diff:
                click.echo(_diff(path, colour), nl=False, color=colour)
    sys.exit(1 if failed or (dry_run and would_change) else 0)


def _diff(path: str, colour: bool) -> str:
    """The unified diff from the file as it is to the file formatted."""
    text, _ = read_source(path)
    formatted = format_module(parse(text, path))
    lines = difflib.unified_diff(text.splitlines(keepends=True),
                                 formatted.splitlines(keepends=True),
                                 fromfile=path, tofile=path)
    shown = [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
             for line in lines]
    if colour:
        paint = {"+": "green", "-": "red", "@": "cyan"}
        shown = [click.style(line[:-1], fg=paint[line[0]]) + "\n" if line[:1] in paint
                 and not line.startswith(("+++", "---")) else line for line in shown]
    return "".join(shown)


def format_file(path: str, write: bool) -> str:
    """Format one file: "unchanged", "changed" (rewritten when `write`), or "error" (reported)."""
    text, problem = read_source(path)
    if problem is not None:
        _report([problem], None)
        return "error"
    try:
        module = parse(text, path)
    except LeadflowError as exc:
        _report(exc.diagnostics, text)
        return "error"
    formatted = format_module(module)
    if formatted == text:
        return "unchanged"
    problem = _verify(module, formatted, path)
    if problem is not None:
        _report([problem], text)
        return "error"
    if write:
        try:
            with open(path, "wb") as handle:
                handle.write(formatted.encode("utf-8"))
        except OSError as exc:
            _report([error(f"cannot write the file: {exc.strerror}", _file_span(path))], None)
            return "error"
    return "changed"


def _verify(module: ast.Module, formatted: str, path: str) -> Diagnostic | None:
    """None when `formatted` reads back as the same tree with the same comments."""
    try:
        again = parse(formatted, path)
    except LeadflowError:
        again = None
    # Compared as multisets: a flow's triggers move above its steps, with their comments.
    same_comments = again is not None and (
        sorted(c.text for c in again.comments) == sorted(c.text for c in module.comments))
    if again == module and same_comments:
        return None
    return error("internal error: the formatted text would not mean the same as this file, "
                 "so it was left untouched", _file_span(path),
                 "please report this with the file attached")


def _file_span(path: str) -> ast.Span:
    return ast.Span(path, 1, 1, 1, 1)


def _report(diagnostics: list[Diagnostic], source: str | None) -> None:
    echo_diagnostics_text(render_all(diagnostics, source))
