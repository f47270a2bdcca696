"""`leadflow run FILE EVENTS...`: replay event logs through a ruleset and write the outputs.

Exit codes: 0 done (rejected rows are reported, not fatal, unless --strict), 1
the ruleset has errors or failed at run time, 2 a usage error (a missing file,
an unknown format, a log without the needed columns): one line on stderr.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from leadflow.runtime.run_settings import DEFAULT_MEMORY_LIMIT, OUTPUT_FORMATS

if TYPE_CHECKING:
    from leadflow.dsl.model import Model
    from leadflow.runtime.driver import LeadFailed, RunOptions
    from leadflow.runtime.engine import Engine
    from leadflow.runtime.summary import RunSummary

# The heavy modules (duckdb, pyarrow, the rule compiler) are imported where they are
# used, so that `leadflow run --help` starts at once (tests/cli/test_startup.py).


def _compiled(model: Model) -> Engine:
    from leadflow.compiler.engine import CompiledEngine
    return CompiledEngine(model)


def _interpreter(model: Model) -> Engine:
    from leadflow.runtime.interpreter import Interpreter
    return Interpreter(model)


# Engine name → how to make it from a checked model. The compiled module is the
# default; the interpreter is the reference it is tested against.
ENGINES: dict[str, Callable[[Model], Engine]] = {"compiled": _compiled,
                                                 "interpreter": _interpreter}


MAX_TOP = 1_000_000_000


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def load_engine(path: str, engine: str, warnings: bool = True, quick: bool = False) -> Engine:
    """The checked ruleset as an engine; exit 1 with the diagnostics if it has errors.

    Warnings are printed too, unless `warnings` is false (`run --quiet`, for a job
    that should be silent when it succeeds; `leadflow check` shows them). With
    `quick` (a `run` in one process) a compiled ruleset run before unchanged comes
    from the cache without its model (compiler/cached_engine.py), its warnings
    printed as they were.
    """
    if quick and engine == "compiled":
        from leadflow.compiler.cached_engine import cached_engine

        found = cached_engine(path)
        if found is not None:
            ruleset, text = found
            if warnings and text:
                from leadflow.terminal import echo_diagnostics_text

                echo_diagnostics_text(text)
            return ruleset
    from leadflow.api import load_file
    from leadflow.commands import echo_diagnostics

    loaded = load_file(path)
    if not echo_diagnostics(loaded, warnings):
        sys.exit(1)
    ruleset = ENGINES[engine](loaded.model)
    if quick and engine == "compiled":
        from leadflow.compiler.cached_engine import remember_engine

        remember_engine(path, loaded, ruleset)
    return ruleset


def ruleset_label(path: str, engine: Engine) -> str:
    """How summaries name the ruleset: its `ruleset` name, else the file's stem."""
    return engine.name or os.path.splitext(os.path.basename(path))[0]


def _finite(value: float | None, param: click.Parameter) -> float | None:
    """click's FloatRange lets NaN through (every comparison with it is false)."""
    if value is not None and math.isnan(value):
        raise click.BadParameter("nan is not a number", param=param)
    return value


def _delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """One character; `tab` and `\\t` name the tab."""
    if value is None:
        return None
    if value in ("tab", "\\t", "TAB"):
        return "\t"
    if len(value) != 1 or value in ('"', "\n", "\r"):
        raise click.BadParameter(f"{value!r}: give one character, such as ';' or tab")
    return value


def input_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options `run` and `explain` share: how to read the inputs and which engine."""
    options = [
        click.option("--leads", "leads", metavar="FILE", help="Lead attributes keyed by lead id "
                     "(CSV, JSON Lines or Parquet)."),
        click.option("--as-of", "as_of", metavar="TIME", help="Fire timers up to this time and "
                     "ignore later events. ISO-8601; no offset means the ruleset's time zone. "
                     "Default: the latest event time in the input."),
        click.option("--lead-col", default="lead_id", show_default=True, help="Column of the lead id."),
        click.option("--event-col", default="event", show_default=True, help="Column of the event type."),
        click.option("--time-col", default="ts", show_default=True, help="Column of the event time."),
        click.option("--properties-col", default="properties", show_default=True,
                     help="JSON column holding the fields that have no column of their own."),
        click.option("--delimiter", default=None, metavar="CHAR", callback=_delimiter,
                     help="Field separator of CSV files (`;`, `tab`, ...). Default: found in the "
                     "header line (`,` unless it has none and has `;`, a tab or `|`)."),
        click.option("--engine", type=click.Choice(sorted(ENGINES)), default="compiled",
                     show_default=True, help="Which engine runs the rules."),
        click.option("--memory-limit", default=DEFAULT_MEMORY_LIMIT, show_default=True,
                     help="Memory DuckDB may use to sort the events before spilling to disk."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def workers_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--workers and --scheduler: split the run by lead (runtime/cluster.py)."""
    function = click.option(
        "--scheduler", metavar="ADDRESS", help="Split the run by lead over the workers of the "
        "Dask cluster at ADDRESS (e.g. tcp://host:8786); they must reach the inputs.")(function)
    return click.option("--workers", type=click.IntRange(1, 1024), default=None, metavar="N",
                        help="Split the run by lead over N worker processes on this "
                        "machine.")(function)


def check_workers(workers: int | None, scheduler: str | None) -> None:
    if workers is not None and scheduler is not None:
        fail("--workers starts workers on this machine, --scheduler uses a cluster's: give one", 2)


def build_options(events: tuple[str, ...], leads: str | None, as_of: str | None, lead_col: str,
                  event_col: str, time_col: str, properties_col: str, memory_limit: str,
                  delimiter: str | None = None, **extra: Any) -> RunOptions:
    """RunOptions from the command line; InputError for a bad file or option."""
    from leadflow.runtime.driver import RunOptions
    from leadflow.runtime.readers import ColumnNames, InputError, expand_inputs

    files = expand_inputs(events)
    leads_file = None
    if leads is not None:
        found = expand_inputs([leads])
        if len(found) != 1:
            raise InputError(f"--leads {leads}: names {len(found)} files; give exactly one")
        leads_file = found[0]
    names = ColumnNames(lead_col, event_col, time_col, properties_col, delimiter)
    return RunOptions(files, leads_file, names, as_of, memory_limit=memory_limit, **extra)


@contextmanager
def reported_errors(memory_limit: str) -> Iterator[None]:
    """The failures of replaying the inputs, as one line and an exit code, never a traceback.

    A bad input or option exits 2; the ruleset failing on a lead exits 1 naming
    the rules; DuckDB or the system running out of memory or disk exits 2.
    """
    import duckdb

    from leadflow.runtime.driver import LeadFailed
    from leadflow.runtime.failures import describe_failure
    from leadflow.runtime.readers import InputError

    try:
        yield
    except InputError as exc:
        fail(str(exc), 2)
    except LeadFailed as exc:
        report_failure(exc)
    except (duckdb.Error, OSError) as exc:  # memory or disk ran out (runtime/failures.py)
        fail(describe_failure(exc, memory_limit), 2)


def report_failure(exc: LeadFailed) -> None:
    """`FILE:LINE: error: lead 'x': message (rules: a, b)`, exit 1."""
    error = exc.error
    rules = f" (rules: {', '.join(error.rules)})" if error.rules else ""
    where = f"{error.where}: " if error.where else ""
    click.echo(f"{where}error: lead {exc.lead_id!r}: {error}{rules}", err=True)
    sys.exit(1)


@click.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("events", nargs=-1, required=True)
@input_options
@click.option("--out", "out_dir", default="out", show_default=True, metavar="DIR",
              help="Directory for leads, actions, transitions and rejects.")
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="csv",
              show_default=True, help="Format of the output files.")
@click.option("--state", "state", metavar="FILE", help="Carry on from the state in FILE (made on "
              "first use): apply only new rows, write only what happened since the last run.")
@click.option("--rebuild", is_flag=True, help="With --state: replay the stored history and the "
              "new input under the current rules (after a rule change).")
@click.option("--event-id-col", metavar="COL", help="With --state: a row whose COL was seen "
              "before is a duplicate.")
# Bounded up front: a huge --top used to reach DuckDB (a parser error after the outputs were written).
@click.option("--top", default=10, show_default=True, type=click.IntRange(0, MAX_TOP),
              help="Leads to list in the overview (0: none).")
@click.option("--strict", is_flag=True, help="Exit 1 if any input row was rejected or a declared "
              "field has no column in the events.")
@click.option("--max-reject-rate", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              callback=lambda ctx, param, value: _finite(value, param),
              help="Exit 1 when more than PCT percent of the event rows were rejected.")
@click.option("--points/--no-points", "points", default=False, show_default=True,
              help="Also write the points ledger (points.FORMAT): one row per score change, "
              "with the rule that made it.")
@click.option("--cancelled", is_flag=True, help="Also write cancelled.FORMAT: the sends held by "
              "quiet hours that were never delivered because their flow run stopped.")
@click.option("--keep-cols", "keep_cols", metavar="COL,...", help="The --leads columns leads "
              "carries after its own (default: all).")
@click.option("--tz", "tz", metavar="ZONE|ruleset", help="Write times with this time zone's "
              "offset (an IANA name, or `ruleset` for the ruleset's). Default: UTC.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, summary, overview or rule "
              "warnings (data warnings and errors still show).")
@workers_options
def command(file: str, events: tuple[str, ...], engine: str, out_dir: str, fmt: str, top: int,
            strict: bool, max_reject_rate: float | None, quiet: bool, state: str | None,
            rebuild: bool, event_id_col: str | None, points: bool, cancelled: bool,
            workers: int | None, scheduler: str | None, tz: str | None, keep_cols: str | None,
            **inputs: Any) -> None:
    """Replay EVENTS (CSV, JSON Lines or Parquet files, directories or globs) through FILE.

    Writes leads, actions, transitions and rejects (with --points the points
    ledger, with --cancelled the cancelled held sends) to --out; prints the accounting
    and the time of each phase on stderr, the top leads and stage counts on stdout.
    """
    from leadflow.runtime.driver import run
    from leadflow.runtime.incremental import resolve_as_of, state_fields
    from leadflow.runtime.output_set import asked_outputs
    from leadflow.runtime.summary import render_overview

    ruleset = load_engine(file, engine, warnings=not quiet,
                          quick=workers is None and scheduler is None)
    if (rebuild or event_id_col) and state is None:
        fail("--rebuild and --event-id-col work with --state FILE", 2)
    check_workers(workers, scheduler)
    if keep_cols is not None and not inputs.get("leads"):
        fail("--keep-cols chooses columns of --leads FILE; give --leads too", 2)
    kept = tuple(c.strip() for c in keep_cols.split(",") if c.strip()) if keep_cols is not None else None
    with reported_errors(inputs["memory_limit"]):
        extra: dict[str, Any] = {}
        if state is not None:
            leads = [inputs["leads"]] if inputs.get("leads") else []
            extra = state_fields(file, [*events, *leads], state, rebuild, event_id_col,
                                 {**inputs, "out_dir": out_dir, "fmt": fmt, "engine": engine,
                                  **asked_outputs(points=points, cancelled=cancelled),
                                  **({"tz": tz} if tz else {}),
                                  **({"keep_cols": keep_cols} if keep_cols is not None else {})})
        inputs["as_of"] = resolve_as_of(inputs.get("as_of"))
        options = build_options(events, out_dir=out_dir, format=fmt, top=top, points=points,
                                cancelled=cancelled, tz=tz, keep_cols=kept,
                                progress=not quiet and sys.stderr.isatty(), **extra, **inputs)
        if workers is not None or scheduler is not None:
            from leadflow.runtime.cluster import run_on_cluster
            result = run_on_cluster(ruleset, options, ruleset_label(file, ruleset), workers,
                                    scheduler)
        else:
            result = run(ruleset, options, ruleset_label(file, ruleset))
    summary = result.summary
    if result.note:
        click.echo(result.note, err=True)
    if not quiet:
        click.echo(summary.render(), err=True)
        click.echo(render_overview(tuple(ruleset.scores), tuple(ruleset.stages), result.top,
                                   result.stage_counts, summary.outputs))
    else:
        for line in summary.warnings():
            click.echo(line, err=True)
    exit_for_data(summary, strict, max_reject_rate)


def exit_for_data(summary: RunSummary, strict: bool, max_reject_rate: float | None) -> None:
    """Exit 1 for what --strict and --max-reject-rate refuse, after every output is written."""
    counts = summary.counts
    if max_reject_rate is not None and summary.reject_percent > max_reject_rate:
        fail(f"{summary.reject_percent:.1f}% of the event rows were rejected, more than "
             f"--max-reject-rate {max_reject_rate:g}%", 1)
    if strict and (counts.rejected or counts.lead_rejected or counts.missing_fields):
        sys.exit(1)

