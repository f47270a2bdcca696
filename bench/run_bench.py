"""Benchmark `leadflow run` on a large synthetic log: events per second and peak memory.

    python bench/run_bench.py                    # 1,000,000 events, the compiled engine (the default)
    python bench/run_bench.py -n 200000 --engine interpreter

Generates bench/data/events_N.parquet first if it is not there (bench/gen_events.py),
runs `leadflow run examples/zapateria.leadflow` on it in a child process, and prints
the wall time, the events per second, the child's peak resident memory (from
getrusage) and the time of each phase from the run's own summary. Exits 1 if the
peak memory reaches the budget (1 GB by default), so it can guard a release.
Not a pytest test: it takes a while and its figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time

from gen_events import generate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RULESET = os.path.join(ROOT, "examples", "zapateria.leadflow")


def leadflow_command() -> list[str]:
    """The `leadflow` next to this Python (the project's venv), or `python -m leadflow.cli`."""
    script = os.path.join(os.path.dirname(sys.executable), "leadflow")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "leadflow.cli"]


def synthetic_log(events: int) -> str:
    """bench/data/events_N.parquet, made by bench/gen_events.py (~N/20 leads) if missing."""
    log = os.path.join(HERE, "data", f"events_{events}.parquet")
    if not os.path.exists(log):
        print(f"generating {log} ...", flush=True)
        generate(log, events, max(events // 20, 1))
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=1_000_000)
    parser.add_argument("--engine", default="compiled", choices=["compiled", "interpreter"])
    parser.add_argument("--budget-mb", type=int, default=1024, help="peak RSS allowed")
    args = parser.parse_args()

    log = synthetic_log(args.events)
    out = os.path.join(HERE, "data", "out")
    command = [*leadflow_command(), "run", RULESET, log, "--out", out, "--format", "parquet",
               "--engine", args.engine, "--top", "0"]
    print("$ " + " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in command),
          flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
    print(done.stderr.rstrip())
    if done.returncode != 0:
        sys.exit(f"leadflow run failed with exit code {done.returncode}")

    applied = re.search(r"= ([\d,]+) applied", done.stderr)
    events = int(applied.group(1).replace(",", "")) if applied else args.events
    phases = re.search(r"time\s+(.*)", done.stderr)
    print()
    print(f"events        {events:,}")
    print(f"wall time     {seconds:.1f} s")
    print(f"throughput    {events / seconds:,.0f} events/s (end to end, {args.engine})")
    print(f"peak RSS      {peak_mb:,.0f} MB (budget {args.budget_mb:,} MB)")
    if phases:
        print(f"phases        {phases.group(1)}")
    if peak_mb >= args.budget_mb:
        sys.exit("peak memory over budget")


if __name__ == "__main__":
    main()
