"""`leadflow diff OLD NEW EVENTS...`: what a rule change would change, lead by lead.

Replays the same log under both versions of a ruleset (runtime/compare.py)
and prints which leads change stage, how scores move, which tags and which
actions (emails, notifications) are gained or lost. `--detail FILE` writes one
row per changed lead. Exit codes: 0 done, 1 a ruleset has errors or failed at
run time, or `--fail-on-change` and some lead changes, 2 a usage error.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from leadflow.commands.run import (
    build_options,
    check_workers,
    fail,
    input_options,
    load_engine,
    report_failure,
    workers_options,
)
from leadflow.runtime.compare import diff, new_summary
from leadflow.runtime.diff_report import DetailWriter, render_json, render_markdown, render_text
from leadflow.runtime.driver import LeadFailed
from leadflow.runtime.readers import InputError

RENDER = {"text": render_text, "markdown": render_markdown, "json": render_json}


def open_detail(path: str):
    """The detail file, opened for writing; a usage error (exit 2) when it cannot be."""
    try:
        return open(path, "w", newline="", encoding="utf-8")
    except OSError as exc:
        fail(f"--detail {path}: cannot write it ({exc.strerror})", 2)


@click.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.argument("events", nargs=-1, required=True)
@input_options
@click.option("--format", "fmt", type=click.Choice(sorted(RENDER)), default="text",
              show_default=True, help="How to print the summary (markdown: for a pull request).")
@click.option("--detail", metavar="FILE", help="Write one row per changed lead here "
              "(CSV; JSON Lines when FILE ends in .jsonl).")
@click.option("--fail-on-change", is_flag=True, help="Exit 1 when any lead changes (for CI).")
@workers_options
def command(old: str, new: str, events: tuple[str, ...], engine: str, fmt: str,
            detail: str | None, fail_on_change: bool, workers: int | None, scheduler: str | None,
            **inputs: Any) -> None:
    """Compare ruleset versions OLD and NEW over the same EVENTS and as-of.

    Prints a stage-change matrix (old stage x new stage), the score changes per
    score, tags gained and lost, and actions added and removed per kind and
    template.
    """
    check_workers(workers, scheduler)
    before = load_engine(old, engine)
    after = load_engine(new, engine)
    summary = new_summary(before, after, old, new)
    handle = None
    try:
        options = build_options(events, **inputs)
        if detail is not None:
            handle = open_detail(detail)
            writer = DetailWriter(handle, summary.scores, detail.lower().endswith(".jsonl"))
        on_change = writer.write if handle else lambda change: None
        if (workers is not None or scheduler is not None) and before.events == after.events:
            from leadflow.runtime.cluster import open_cluster
            from leadflow.runtime.partitioned_diff import diff_split
            with open_cluster(workers, scheduler) as cluster:
                diff_split(before, after, options, summary, cluster, on_change)
        else:  # versions with different events read the log twice, in this process
            diff(before, after, options, summary, on_change)
    except InputError as exc:
        fail(str(exc), 2)
    except LeadFailed as exc:
        report_failure(exc)
    finally:
        if handle is not None:
            handle.close()
    click.echo(RENDER[fmt](summary))
    if detail is not None:
        click.echo(f"{summary.changed} changed leads written to {os.path.normpath(detail)}",
                   err=True)
    if fail_on_change and summary.changed:
        sys.exit(1)
