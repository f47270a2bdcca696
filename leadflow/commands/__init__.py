"""Sub-commands of `leadflow`; each module defines one click command named `command`.

A command's module is imported only when that command runs (or when help lists
it), so `leadflow check` does not pay for duckdb and pyarrow, which only `run`
and `explain` need.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from leadflow.api import Loaded

# The command names; each is also its module's name under leadflow.commands.
COMMAND_NAMES = ("check", "fmt", "test", "compile", "run", "explain")


class LazyGroup(click.Group):
    """A click group that imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_NAMES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_NAMES:
            return None
        return importlib.import_module(f"leadflow.commands.{cmd_name}").command


def echo_diagnostics(loaded: Loaded) -> bool:
    """Print a loaded file's diagnostics on stderr; whether it is free of errors."""
    if loaded.diagnostics:
        click.echo(loaded.render(), err=True)
    return loaded.ok


def rule_files(args: tuple[str, ...]) -> list[str]:
    """The rule files named: a directory means every `.leadflow` file under it, sorted.

    A missing file, or a directory without rule files, is a usage error: one
    line `error: ...` on stderr and exit 2, before any file is checked.
    """
    files: list[str] = []
    for arg in args:
        if os.path.isdir(arg):
            found = sorted(os.path.join(root, name) for root, dirs, names in os.walk(arg)
                           for name in names if name.endswith(".leadflow"))
            if not found:
                usage_error(f"{arg}: no .leadflow files in this directory")
            files += found
        elif not os.path.exists(arg):
            usage_error(f"{arg}: no such file")
        else:
            files.append(arg)
    return files


def usage_error(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
