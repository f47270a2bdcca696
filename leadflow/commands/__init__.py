"""Sub-commands of `leadflow`; each module defines one click command named `command`."""

from __future__ import annotations

import click

from leadflow.commands import check, compile, explain, fmt, run, test

COMMANDS = (check, fmt, test, compile, run, explain)


def register_all(group: click.Group) -> None:
    for module in COMMANDS:
        group.add_command(module.command)
