"""Sub-commands of `leadflow`; each module defines one click command named `command`.

A command's module is imported only when that command runs (or when help lists
it), so `leadflow check` does not pay for duckdb and pyarrow, which only `run`
and `explain` need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import click

from leadflow.terminal import echo_diagnostics_text

if TYPE_CHECKING:
    from leadflow.api import Loaded

# The command names; each is also its module's name under leadflow.commands.
COMMAND_NAMES = ("check", "fmt", "test", "compile", "run", "explain", "state", "init", "diff",
                 "backtest", "fit", "report")


class LazyGroup(click.Group):
    """A click group that imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_NAMES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_NAMES:
            return None
        return importlib.import_module(f"leadflow.commands.{cmd_name}").command


def echo_diagnostics(loaded: Loaded, warnings: bool = True) -> bool:
    """Print a loaded file's diagnostics (without warnings: its errors) on stderr; whether
    it is free of errors."""
    text = loaded.render(errors_only=not warnings)
    if text:
        echo_diagnostics_text(text)
    return loaded.ok
