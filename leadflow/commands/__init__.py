"""Sub-commands of `leadflow`; each module defines one or more click commands."""

from __future__ import annotations

import importlib

import click

# Module name → command names it defines. A module that is not written yet is skipped.
COMMAND_MODULES = ("check", "fmt", "test", "compile", "run", "explain")


def register_all(group: click.Group) -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"leadflow.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"leadflow.commands.{name}":
                continue
            raise
        group.add_command(module.command)
