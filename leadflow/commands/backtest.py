"""`leadflow backtest FILE EVENTS... --outcomes FILE`: did the scores predict conversions?

Replays the events once, taking every lead's scores and stage at each cutoff
from the events strictly before it, and measures them against the conversions
in the outcomes file (runtime/backtest.py). Exit codes as `run`: 0 done, 1
the ruleset has errors or failed at run time, 2 a usage error.
"""

from __future__ import annotations

from typing import Any

import click

from leadflow.commands.run import (
    build_options,
    fail,
    input_options,
    load_engine,
    report_failure,
    ruleset_label,
)
from leadflow.runtime.backtest import BacktestOptions, backtest
from leadflow.runtime.backtest_report import render_json, render_text
from leadflow.runtime.cutoffs import parse_duration
from leadflow.runtime.driver import LeadFailed
from leadflow.runtime.readers import InputError, expand_inputs


def outcome_options(function: Any) -> Any:
    """The options `backtest` and `fit` share: the outcomes and when to look."""
    options = [
        click.option("--outcomes", required=True, metavar="FILE",
                     help="Conversions: lead_id, converted_at[, value] (CSV, JSON Lines or Parquet)."),
        click.option("--horizon", default="90d", show_default=True, metavar="DURATION",
                     help="A lead counts as converting when it converts this soon after a cutoff."),
        click.option("--every", default="1 month", show_default=True, metavar="DURATION",
                     help="Time between cutoffs (from the first period after the first event)."),
        click.option("--cutoff", "cutoffs", multiple=True, metavar="TIME",
                     help="A cutoff time (repeatable), instead of --every."),
        click.option("--until", metavar="TIME", help="Outcomes are known up to this time. "
                     "Default: the later of the last event and the last conversion."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def build_backtest_options(outcomes: str, horizon: str, every: str, cutoffs: tuple[str, ...],
                           until: str | None) -> BacktestOptions:
    """BacktestOptions from the command line; InputError for a bad file or option."""
    found = expand_inputs([outcomes])
    if len(found) != 1:
        raise InputError(f"--outcomes {outcomes}: names {len(found)} files; give exactly one")
    try:
        return BacktestOptions(found[0], parse_duration(horizon, "--horizon"),
                               parse_duration(every, "--every"), tuple(cutoffs), until)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def warn_rejected(rejected: list[tuple[int, str]], path: str) -> None:
    if rejected:
        row, why = rejected[0]
        rows = "1 row" if len(rejected) == 1 else f"{len(rejected)} rows"
        click.echo(f"warning: {path}: {rows} rejected (first: row {row}: {why})", err=True)


@click.command("backtest")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("events", nargs=-1, required=True)
@outcome_options
@input_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the report.")
def command(file: str, events: tuple[str, ...], engine: str, fmt: str, outcomes: str,
            horizon: str, every: str, cutoffs: tuple[str, ...], until: str | None,
            **inputs: Any) -> None:
    """How well FILE's scores and stages predicted the conversions in --outcomes.

    At each cutoff, every lead's scores and stage come from its events strictly
    before the cutoff; a lead counts as converting when it converts within
    --horizon after it. Prints ROC AUC and average precision per score,
    conversion rate and lift per score decile and per stage, precision and
    recall of each stage, and the median time from entering a stage to converting.
    """
    ruleset = load_engine(file, engine)
    try:
        options = build_backtest_options(outcomes, horizon, every, cutoffs, until)
        report = backtest(ruleset, build_options(events, **inputs), options,
                          ruleset_label(file, ruleset))
    except InputError as exc:
        fail(str(exc), 2)
    except LeadFailed as exc:
        report_failure(exc)
    warn_rejected(report.setup.outcomes.rejected, outcomes)
    click.echo(render_json(report) if fmt == "json" else render_text(report, ruleset.timezone))
