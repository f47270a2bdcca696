"""`leadflow compile FILE -o OUT.py`: a standalone Python module for a ruleset.

The module imports only the standard library and is the same, byte for byte,
for the same input. `--emit ir` writes the optimized IR instead, as text
(compiler/irdump.py). Exit 1 when the ruleset has errors, 2 when OUT cannot be
written.
"""

from __future__ import annotations

import os
import sys
import tempfile

import click

from leadflow.api import load_file
from leadflow.commands import echo_diagnostics
from leadflow.compiler import compile_with_warnings, optimized_program
from leadflow.compiler.irdump import dump
from leadflow.compiler.lower import CompileError
from leadflow.compiler.passes import PASS_NAMES
from leadflow.dsl import ast
from leadflow.dsl.diagnostics import error, warning


@click.command("compile")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, metavar="OUT.py",
              help="Where to write the module (`-` for standard output).")
@click.option("--no-optimize", is_flag=True, help="Turn every optimizer pass off.")
@click.option("--skip-pass", "skip", multiple=True, type=click.Choice(PASS_NAMES),
              help="Leave out one optimizer pass (repeatable).")
@click.option("--emit", type=click.Choice(["module", "ir"]), default="module", show_default=True,
              help="What to write: the Python module, or the optimized IR as text.")
def command(file: str, output: str, no_optimize: bool, skip: tuple[str, ...], emit: str) -> None:
    """Compile a rule file to a standalone Python module."""
    loaded = load_file(file)
    if not echo_diagnostics(loaded):
        sys.exit(1)
    try:
        if emit == "ir":
            program = optimized_program(loaded.model, not no_optimize, skip)
            source, notes = dump(program), program.warnings
        else:
            source, notes = compile_with_warnings(loaded.model, not no_optimize, skip)
    except CompileError as exc:
        span = exc.span or ast.Span(file, 1, 1, 1, 1)
        click.echo(error(f"cannot compile: {exc}", span).render(loaded.sources.get(span.file)), err=True)
        sys.exit(1)
    for path, line, message in notes:
        span = ast.Span(path, line, 1, line, 1)
        click.echo(warning(message, span).render(loaded.sources.get(path)), err=True)
    if output == "-":
        click.echo(source, nl=False)
        return
    try:
        _write_atomically(output, source)
    except OSError as exc:
        click.echo(f"error: cannot write {output}: {exc.strerror}", err=True)
        sys.exit(2)


def _write_atomically(path: str, text: str) -> None:
    """Write via a temporary file and a rename, so a reader never sees half a module.

    As `>` in a shell would: a symbolic link is followed (its target is
    replaced, the link stays), and the file gets the mode the umask gives new
    files, not the 0600 of the temporary file.
    """
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    handle, temp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogatepass", newline="\n") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
