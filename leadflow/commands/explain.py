"""`leadflow explain FILE EVENTS... --lead ID`: one lead's timeline, step by step.

Every event and timer, every rule that fired and what it did, with the scores
and stage right after each step; then the final state, the actions, and the
rows of that lead that were rejected or ignored. `--json` prints the same as
data for tools. Exit codes as `run`.
"""

from __future__ import annotations

from typing import Any

import click

from leadflow.commands.run import (
    build_options,
    fail,
    input_options,
    load_engine,
    reported_errors,
    ruleset_label,
)
from leadflow.runtime.explain import explain, render_json, render_text


@click.command("explain")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("events", nargs=-1, required=True)
@click.option("--lead", "lead_ids", required=True, multiple=True, metavar="ID",
              help="The lead to explain (once).")
@input_options
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
def command(file: str, events: tuple[str, ...], lead_ids: tuple[str, ...], engine: str,
            as_json: bool, **inputs: Any) -> None:
    """Show how lead ID got its scores, stage, tags and actions."""
    if len(lead_ids) > 1:  # click would silently keep the last one
        fail(f"--lead given {len(lead_ids)} times; explain one lead per command", 2)
    lead_id = lead_ids[0]
    ruleset = load_engine(file, engine)
    with reported_errors(inputs["memory_limit"]):
        explanation = explain(ruleset, build_options(events, **inputs), lead_id,
                              ruleset_label(file, ruleset))
    click.echo(render_json(explanation) if as_json else render_text(explanation))
