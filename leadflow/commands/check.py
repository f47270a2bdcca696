"""`leadflow check FILE...`: parse and type-check; print every diagnostic."""

from __future__ import annotations

import sys

import click

from leadflow.api import load_file


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def command(files: tuple[str, ...]) -> None:
    """Parse and type-check rule files. Exit 1 if any has errors."""
    failed = False
    for path in files:
        loaded = load_file(path)
        if loaded.diagnostics:
            click.echo(loaded.render(), err=True)
        if not loaded.ok:
            failed = True
    sys.exit(1 if failed else 0)
