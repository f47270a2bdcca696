"""`leadflow test [-v] [PATH...]`: run test blocks (SPEC 7) with the reference interpreter.

`-v` lists each test as it runs: `PASS  file:line  name` (or FAIL).

Each failing expectation is printed as `file:line: expected …, got …`, then the
smallest event log that still fails it, as a test block to paste; the last
line is `N passed, M failed`. Exit 1 on any failure or any file with errors.

`--coverage` adds a table of the rules, flow steps and stages the tests made
fire (leadflow/testing/coverage.py); `--fail-under N` (implies `--coverage`) also
exits 1 when the total is below N percent.
"""

from __future__ import annotations

import math
import sys

import click

from leadflow.api import load_file
from leadflow.commands import echo_diagnostics
from leadflow.dsl import ast
from leadflow.files import rule_files
from leadflow.runtime.interpreter import Interpreter, RulesetIndex
from leadflow.terminal import wants_colour
from leadflow.testing import coverage as rule_coverage
from leadflow.testing.repro import minimal_block
from leadflow.testing.runner import Failure, run_tests


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-v", "--verbose", is_flag=True, help="List each test with its file, line and result.")
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Report which rules, flow steps and stages the tests made fire.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="N",
              callback=lambda ctx, param, value: _finite(value, param),
              help="With coverage: exit 1 when the total is below N percent.")
def command(paths: tuple[str, ...], verbose: bool, with_coverage: bool,
            fail_under: float | None) -> None:
    """Run the test blocks in rule files (or in `tests for "x.leadflow"` files).

    PATHS are files or directories (their .leadflow files, at any depth); none
    means the current directory."""
    passed = failed = 0
    broken_files = False
    with_coverage = with_coverage or fail_under is not None
    coverages: list[rule_coverage.Coverage] = []
    colour = wants_colour(sys.stdout)
    for path in rule_files(paths):
        loaded = load_file(path)
        if not echo_diagnostics(loaded):
            broken_files = True
            click.echo(f"{path}: tests not run: the file has errors", err=True)
            continue
        try:
            engine = Interpreter(loaded.model)
            recorder = rule_coverage.CoverageRecorder(engine) if with_coverage else None
        except ValueError as exc:  # e.g. a timezone this machine does not know
            broken_files = True
            click.echo(f"{path}: error: {exc}", err=True)
            continue
        outcomes = run_tests(recorder or engine, loaded.model)
        for block, outcome in zip(loaded.model.tests, outcomes):
            if verbose:
                _echo_verdict(block, outcome.passed, colour)
            if outcome.passed:
                passed += 1
                continue
            failed += 1
            for failure in outcome.failures:
                click.echo(f"{failure}  (test \"{outcome.name}\")")
            _echo_minimal_block(engine, block, outcome.failures[0])
        if recorder is not None:
            coverages.append(recorder.coverage())
    summary = f"{passed} passed, {failed} failed"
    click.echo(click.style(summary, fg="red" if failed else "green", bold=True) if colour
               else summary, color=colour)
    below = False
    if with_coverage:
        merged = rule_coverage.merge(coverages)
        click.echo("")
        click.echo(rule_coverage.render(merged))
        total = rule_coverage.total_percent(merged)
        if fail_under is not None and total < fail_under:
            below = True
            click.echo(f"rule coverage {total:.1f}% is below --fail-under {fail_under:g}%")
    sys.exit(1 if failed or broken_files or below else 0)


def _echo_verdict(block: ast.TestBlock, passed: bool, colour: bool) -> None:
    """`PASS  examples/zapateria.leadflow:219  third purchase within six months ...`."""
    word = "PASS" if passed else "FAIL"
    if colour:
        word = click.style(word, fg="green" if passed else "red", bold=True)
    span = block.span
    click.echo(f"{word}  {span.file}:{span.line}  {block.name}", color=colour)


def _finite(value: float | None, param: click.Parameter) -> float | None:
    """click's FloatRange lets NaN through, and every comparison with NaN is false."""
    if value is not None and math.isnan(value):
        raise click.BadParameter("nan is not a number", param=param)
    return value


def _echo_minimal_block(engine: Interpreter, block: ast.TestBlock, failure: Failure) -> None:
    """The smallest event log that still fails, as a block to paste (leadflow/testing/repro.py)."""
    text = minimal_block(engine, RulesetIndex(engine.model), block, failure)
    if text is not None:
        click.echo("  the smallest event log that still fails, as a test block:")
        click.echo("\n".join("    " + line for line in text.splitlines()))
