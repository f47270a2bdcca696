"""Sub-commands of `leadflow`; each module defines one click command named `command`.

A command's module is imported only when that command runs, so `leadflow check`
does not pay for duckdb and pyarrow, which only `run` and `explain` need; and
`leadflow --help` lists the commands from SUMMARIES without importing any of them.
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

# Each command's summary for `leadflow --help`: the first paragraph of its docstring
# (tests/cli/test_startup.py keeps the two equal).
SUMMARIES = {
    "check": "Parse and type-check rule files.",
    "fmt": "Rewrite rule files in the canonical layout (comments are kept).",
    "test": "Run the test blocks in rule files (or in `tests for \"x.leadflow\"` files).",
    "compile": "Compile a rule file to a standalone Python module.",
    "run": "Replay EVENTS (CSV, JSON Lines or Parquet files, directories or globs) through FILE.",
    "explain": "Show how lead ID got its scores, stage, tags and actions.",
    "state": "Show what the state FILE of `run --state` holds: as-of, leads, history, runs, "
             "rules.",
    "init": "Write a starter ruleset, with tests, and a sample event log.",
    "diff": "Compare ruleset versions OLD and NEW over the same EVENTS and as-of.",
    "backtest": "How well FILE's scores and stages predicted the conversions in --outcomes.",
    "fit": "Suggest points for FILE's rules from the conversions in --outcomes.",
    "report": "Write an HTML report of replaying EVENTS through FILE: funnel, scores, points, "
              "actions.",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_NAMES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_NAMES:
            return None
        return importlib.import_module(f"leadflow.commands.{cmd_name}").command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, from SUMMARIES: importing every command to read
        its docstring would cost more than the rest of the help."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit))
                for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def echo_diagnostics(loaded: Loaded, warnings: bool = True) -> bool:
    """Print a loaded file's diagnostics (without warnings: its errors) on stderr; whether
    it is free of errors."""
    text = loaded.render(errors_only=not warnings)
    if text:
        echo_diagnostics_text(text)
    return loaded.ok
