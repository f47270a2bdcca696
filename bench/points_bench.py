"""Benchmark what the points ledger costs: `leadflow run` with and without `--points`.

    python bench/points_bench.py                  # 300,000 events, compiled engine, 3 rounds
    python bench/points_bench.py -n 1000000 --rounds 5

Runs the shop ruleset (examples/zapateria.leadflow) on the synthetic log
bench/data/events_N.parquet (made by bench/gen_events.py if missing), each run
in its own child process, alternating without and with `--points` so both
see the same machine load, and compares the fastest run of each. Prints the
ratio (with / without) and PASS when the ledger costs at most 10% of the run
time, the bar for writing it by default; FAIL otherwise. The exit code stays 0
either way: the figure decides a default, it guards nothing. Not a pytest test.
"""

from __future__ import annotations

import argparse
import os
import sys

import pyarrow.parquet as pq
from run_bench import RULESET, leadflow_command, synthetic_log
from state_bench import timed

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = 1.10  # the ledger may add at most 10% to the run time to be on by default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", default="compiled", choices=["compiled", "interpreter"])
    parser.add_argument("--format", default="csv", choices=["csv", "parquet", "jsonl"])
    args = parser.parse_args()

    log = synthetic_log(args.events)
    out = os.path.join(HERE, "data", "points_out")
    base = [*leadflow_command(), "run", RULESET, log, "--out", out, "--format", args.format,
            "--engine", args.engine, "--top", "0", "-q"]
    best = {"without": float("inf"), "with": float("inf")}
    for round_no in range(1, args.rounds + 1):
        for name, extra in (("without", []), ("with", ["--points"])):
            seconds, _, _ = timed([*base, *extra])
            best[name] = min(best[name], seconds)
            print(f"round {round_no}  {name:7} --points  {seconds:6.2f} s", flush=True)
    rows = pq.read_metadata(log).num_rows
    ledger_rows = None
    if args.format == "csv":
        with open(os.path.join(out, "points.csv"), encoding="utf-8") as ledger:
            ledger_rows = sum(1 for _ in ledger) - 1
    ratio = best["with"] / best["without"]
    print()
    print(f"events          {rows:,} ({args.engine}, {args.format})")
    if ledger_rows is not None:
        print(f"ledger rows     {ledger_rows:,}")
    print(f"without         {best['without']:.2f} s (fastest of {args.rounds})")
    print(f"with --points   {best['with']:.2f} s (fastest of {args.rounds})")
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"ratio           {ratio:.3f}  (target <= {TARGET:.2f} to be on by default): {verdict}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
