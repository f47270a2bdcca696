"""Benchmark `leadflow report` against the run it is built on.

    python bench/report_bench.py                  # 1,000,000 events of ~50,000 leads
    python bench/report_bench.py -n 200000

On the same generated log (bench/gen_events.py) and ruleset (examples/zapateria.leadflow),
each in its own child process:

  1. leadflow run --format parquet --top 10   (the baseline: what the report runs inside)
  2. leadflow report --top 10                 (run + aggregates + top-lead timelines + charts)

alternated --rounds times (default 3), and prints each one's best wall time and
highest peak RSS, the report's phases, the ratio report / run (target: under 2)
and PASS/FAIL; peak RSS must stay under 1 GB. Both are measured in the same
invocation, so the ratio holds on a busy machine even when the seconds do not;
the report's own phases (run, aggregate, timelines, render: all in one process)
give a second ratio that no outside load can tilt. Exits 1 when a target is missed. Not a pytest test.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from run_bench import RULESET, leadflow_command, synthetic_log
from state_bench import timed

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_RATIO = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=1_000_000)
    parser.add_argument("--budget-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3, help="each command's best time counts")
    args = parser.parse_args()

    data = os.path.join(HERE, "data")
    log = synthetic_log(args.events)
    report = os.path.join(data, "report_bench.html")
    run = [*leadflow_command(), "run", RULESET, log, "--format", "parquet", "--top", "10",
           "--out", os.path.join(data, "out_report_bench")]
    make_report = [*leadflow_command(), "report", RULESET, log, "--top", "10", "--out", report]
    runs, reports = [], []
    for _ in range(args.rounds):  # alternated, so a burst of load elsewhere hits both alike
        runs.append(timed(run))
        reports.append(timed(make_report))
    run_s, run_mb = min(r[0] for r in runs), max(r[1] for r in runs)
    report_s, report_mb = min(r[0] for r in reports), max(r[1] for r in reports)
    report_err = min(reports)[2]
    ratio = report_s / run_s

    summary = report_err.rstrip().splitlines()[-1]
    phases = {name: float(value) for name, value in re.findall(r"(\w+) ([\d.]+)s", summary)}
    inside = sum(phases.values()) / phases["run"]  # one process: load elsewhere cancels out
    print(summary)
    print()
    print(f"{'command':<36}{'wall':>9}{'peak RSS':>12}")
    print(f"{'run --format parquet':<36}{run_s:>8.1f}s{run_mb:>9,.0f} MB")
    print(f"{'report':<36}{report_s:>8.1f}s{report_mb:>9,.0f} MB")
    print(f"report / run   {ratio:.2f}  (target < {TARGET_RATIO:g})")
    print(f"inside the report, all phases / its run phase   {inside:.2f}")
    print(f"report file    {os.path.getsize(report) / 1024:,.0f} KB ({report})")
    failed = [name for name, bad in [("ratio", ratio >= TARGET_RATIO),
                                     ("memory", report_mb >= args.budget_mb)] if bad]
    print("PASS" if not failed else f"FAIL: {', '.join(failed)}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
