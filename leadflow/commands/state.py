"""`leadflow state FILE`: what a `run --state` file holds.

Exit codes: 0 printed, 2 the file is missing or not a leadflow state file.
"""

from __future__ import annotations

import json
import sys

import click

from leadflow.runtime.readers import InputError
from leadflow.runtime.state_store import open_for_reading
from leadflow.semantics.timemath import format_instant


def _time(us: int | None) -> str:
    return format_instant(us) if us is not None else "-"


def render(info: dict) -> str:
    history = ", ".join(f"{status} {n:,}" for status, n in info["history"].items()) or "none"
    lines = [
        f"state {info['file']}",
        (f"  ruleset      {info['ruleset']} ({info['ruleset_file']}; fingerprint "
         f"{info['fingerprint'][:12]})"),
        f"  engine       {info['engine']}",
        f"  as-of        {_time(info['as_of'])}",
        f"  leads        {info['leads']:,}",
        f"  next timer   {_time(info['next_due'])}",
        f"  history      {info['history_rows']:,} rows ({history})",
        f"  runs         {len(info['runs'])}",
    ]
    for run in info["runs"][-10:]:
        counts = run["counts"]
        flags = (" rebuild" if run["rebuild"] else "") + ("" if run["delivered"] else
                                                          " NOT DELIVERED")
        lines.append(f"    #{run['run']:<4} as-of {_time(run['as_of'])}  started {run['started_at']}"
                     f"  {counts.get('rows', 0):,} rows, {counts.get('applied', 0):,} applied"
                     f"{flags}")
    return "\n".join(lines)


@click.command("state")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (times in microseconds).")
def command(file: str, as_json: bool) -> None:
    """Show what the state FILE of `run --state` holds: as-of, leads, history, runs, rules."""
    try:
        con, state = open_for_reading(file)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        info = state.summary()
    finally:
        con.close()
    click.echo(json.dumps(info, indent=2, ensure_ascii=False) if as_json else render(info))
