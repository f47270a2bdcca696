"""`leadflow check [PATH...]`: parse and type-check; print every diagnostic.

Diagnostics go to stderr as `path:line:col: severity: message`, the source
line, a caret underline and a hint, then a closing count line such as
`2 errors, 1 warning in 3 files`. Exit 1 if any file has an error (with
`--strict`, any warning too: it is then reported as an error); warnings alone
exit 0.

`--format json` prints one JSON object on stdout instead, and `--format
github` one GitHub Actions workflow command per diagnostic
(`::error file=...,line=...,col=...::message`), which GitHub shows as an
annotation on the line of the pull request.
"""

from __future__ import annotations

import dataclasses
import json
import sys

import click

from leadflow.api import Loaded, load_file
from leadflow.compiler import dead_rule_warnings
from leadflow.dsl import ast
from leadflow.dsl.diagnostics import Diagnostic, error, render_all
from leadflow.files import rule_files
from leadflow.terminal import echo_counts, echo_diagnostics_text

FORMATS = ("text", "json", "github")


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 on any).")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text",
              show_default=True, help="text on stderr, or json / github on stdout.")
def command(paths: tuple[str, ...], strict: bool, output_format: str) -> None:
    """Parse and type-check rule files.

    PATHS are files or directories (their .leadflow files, at any depth); none
    means the current directory. Exit 1 if any file has errors."""
    files = rule_files(paths)
    found: list[tuple[Diagnostic, str | None]] = []  # each with the source it points into
    seen: set[tuple] = set()
    for path in files:
        loaded = _load(path)
        for diagnostic in loaded.diagnostics:
            # A tests file repeats its ruleset's errors; show each problem once.
            key = (diagnostic.span, diagnostic.severity, diagnostic.message)
            if key in seen:
                continue
            seen.add(key)
            if strict and not diagnostic.is_error:
                diagnostic = dataclasses.replace(diagnostic, severity="error")
            found.append((diagnostic, loaded.sources.get(diagnostic.span.file)))
    errors = sum(1 for d, _ in found if d.is_error)
    warnings = len(found) - errors
    if output_format == "json":
        click.echo(_json(found, len(files), errors, warnings))
    elif output_format == "github":
        for diagnostic, _ in found:
            click.echo(github_annotation(diagnostic))
        echo_counts(errors, warnings, len(files))
    else:
        if found:
            echo_diagnostics_text("\n".join(render_all([d], source) for d, source in found))
        echo_counts(errors, warnings, len(files))
    sys.exit(1 if errors else 0)


def _json(found: list[tuple[Diagnostic, str | None]], files: int, errors: int,
          warnings: int) -> str:
    diagnostics = [{"file": d.span.file, "line": d.span.line, "column": d.span.column,
                    "end_line": d.span.end_line, "end_column": d.span.end_column,
                    "severity": d.severity, "message": d.message, "hint": d.hint}
                   for d, _ in found]
    summary = {"files": files, "errors": errors, "warnings": warnings,
               "diagnostics": diagnostics}
    return json.dumps(summary, ensure_ascii=False, indent=2)


def github_annotation(diagnostic: Diagnostic) -> str:
    """`::error file=F,line=L,col=C,endLine=..,endColumn=..,title=leadflow check::message`."""
    span = diagnostic.span
    properties = {"file": span.file, "line": span.line, "col": span.column}
    if span.end_line == span.line and span.end_column > span.column:
        properties.update(endLine=span.end_line, endColumn=span.end_column)
    properties["title"] = "leadflow check"
    listed = ",".join(f"{k}={_escape(str(v), property_value=True)}" for k, v in properties.items())
    message = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    return f"::{diagnostic.severity} {listed}::{_escape(message)}"


def _escape(text: str, property_value: bool = False) -> str:
    """GitHub's escaping for workflow commands: `%`, CR and LF; `:` and `,` in properties too."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _load(path: str) -> Loaded:
    """load_file, with a last line of defence: a bug in leadflow is reported, not a traceback.

    Also warns about rules the compiler would drop because they can never fire.
    The front end is meant never to raise (tests/dsl/test_robustness.py checks
    it); if it ever does, the user still gets a diagnostic naming the file.
    """
    try:
        loaded = load_file(path)
        if loaded.ok:
            # The optimizer's verdict: rules that can never fire are left out of compiled code.
            loaded.diagnostics.extend(dead_rule_warnings(loaded.model))
        return loaded
    except Exception as exc:  # noqa: BLE001 - the contract is no traceback, whatever happens
        where = ast.Span(path, 1, 1, 1, 1)
        detail = f"{type(exc).__name__}: {exc}"[:200]
        problem = error(f"internal error while checking this file ({detail})",
                        where, "this is a bug in leadflow; please report it with the file")
        return Loaded(path, None, [problem], {})
