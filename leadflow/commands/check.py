"""`leadflow check FILE...`: parse and type-check; print every diagnostic.

Diagnostics go to stderr as `path:line:col: severity: message`, the source
line, a caret underline and a hint. Exit 1 if any file has an error; warnings
alone exit 0.
"""

from __future__ import annotations

import sys

import click

from leadflow.api import Loaded, load_file
from leadflow.commands import echo_diagnostics, rule_files
from leadflow.compiler import dead_rule_warnings
from leadflow.dsl import ast
from leadflow.dsl.diagnostics import error


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path())
def command(files: tuple[str, ...]) -> None:
    """Parse and type-check rule files (a directory: every .leadflow file under it).

    Exit 1 if any has errors, 2 if a file is missing.
    """
    failed = False
    for path in rule_files(files):
        if not echo_diagnostics(_load(path)):
            failed = True
    sys.exit(1 if failed else 0)


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
