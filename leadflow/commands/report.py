"""`leadflow report FILE EVENTS... [--out report.html]`: one HTML file about a run.

The funnel, score distributions, points per rule, actions per template and
week, the top leads with their timelines and the data quality, in one file that
opens offline (docs/report.md). The inputs are read exactly as `run` reads them;
no output of `run` is written. Exit codes as `run`: 2 for a usage error (a
missing file, a bad --out, the charts library missing), 1 for a ruleset with
errors or one that fails at run time.
"""

from __future__ import annotations

import os
from typing import Any

import click

from leadflow.commands.run import (
    MAX_TOP,
    build_options,
    check_workers,
    fail,
    input_options,
    load_engine,
    reported_errors,
    ruleset_label,
    workers_options,
)
from leadflow.runtime.readers import InputError


@click.command("report")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("events", nargs=-1, required=True)
@input_options
@click.option("--out", "out_file", default="report.html", show_default=True, metavar="FILE",
              help="The HTML file to write.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(0, MAX_TOP),
              help="Leads to show with their timelines (0: none).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the report's path (no rule "
              "warnings or summary; data warnings and errors still show).")
@workers_options
def command(file: str, events: tuple[str, ...], engine: str, out_file: str, top: int,
            quiet: bool, workers: int | None, scheduler: str | None, **inputs: Any) -> None:
    """Write an HTML report of replaying EVENTS through FILE: funnel, scores, points, actions."""
    from leadflow.runtime.report import build_report, check_report_path, write_report
    from leadflow.runtime.report_charts import ChartsUnavailable, converter

    try:
        converter()
        check_report_path(out_file)
    except (ChartsUnavailable, InputError) as exc:
        fail(str(exc), 2)
    check_workers(workers, scheduler)
    ruleset = load_engine(file, engine, warnings=not quiet)
    with reported_errors(inputs["memory_limit"]):
        report = build_report(ruleset, build_options(events, **inputs),
                              ruleset_label(file, ruleset), top, workers, scheduler)
        write_report(out_file, report.html)
    for line in report.result.summary.warnings():
        click.echo(line, err=True)
    if not quiet:
        counts = report.result.summary.counts
        phases = ", ".join(f"{name} {s:.2f}s" for name, s in report.seconds.items())
        click.echo(f"leadflow report {ruleset_label(file, ruleset)}: {counts.rows:,} rows read, "
                   f"{report.result.summary.leads:,} leads ({phases})", err=True)
    click.echo(os.path.abspath(out_file))
