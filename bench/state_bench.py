"""Benchmark `run --state`: a daily run of new events against a large state.

    python bench/state_bench.py                   # 1,000,000 events in the state, 10,000 new
    python bench/state_bench.py -n 200000 --new 2000

Generates a time-ordered log of N + NEW events of ~N/20 leads (bench/gen_events.py),
splits it into the first N rows and the last NEW, then runs, each in its own child
process on the shop ruleset (examples/zapateria.leadflow):

  1. full replay, no state     (the baseline a team without state pays every day)
  2. full replay with --state  (builds the state)
  3. the NEW events with --state (the daily run)

and prints each run's wall time, CPU time and peak RSS, the ratio of the daily run to the
full replay with state (target: at most 10%), the state file's size per
million events and the machine's load average. Exits 1 when a target is missed.
Not a pytest test.

The daily run is short, so a moment of contention on a shared machine moves it
far more than the long replays: it runs --daily-runs times (3), each on a fresh
copy of the same state, and the ratio uses the median. Every time is printed.

The runs are timed as an installed leadflow runs: Python keeps the bytecode of
leadflow's modules (pip compiles it on install; an editable install writes it on
first use). PYTHONDONTWRITEBYTECODE, set on some development and CI machines, is
left out of the children's environment, or each run would first compile ~45
modules (~0.07 s, a few percent of a daily run). The first, untimed, run writes
that bytecode and the compiled ruleset's cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

import pyarrow.parquet as pq
from gen_events import generate
from run_bench import RULESET, leadflow_command

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# The children's environment: as a user's (see the docstring).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> tuple[float, float, str, float]:
    """Run a child; its wall seconds, its own peak RSS in MB, its stderr and its CPU seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env=CHILD_ENV)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"failed ({child.returncode}): {' '.join(command)}\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stderr, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--budget-mb", type=int, default=1024)
    parser.add_argument("--daily-runs", type=int, default=3)
    args = parser.parse_args()

    data = os.path.join(HERE, "data")
    total = args.events + args.new
    log = os.path.join(data, f"events_{total}.parquet")
    if not os.path.exists(log):
        print(f"generating {log} ...", flush=True)
        generate(log, total, max(args.events // 20, 1))
    table = pq.read_table(log)
    base = os.path.join(data, f"state_base_{args.events}.parquet")
    new = os.path.join(data, f"state_new_{args.new}.parquet")
    pq.write_table(table.slice(0, args.events), base)
    pq.write_table(table.slice(args.events), new)
    del table

    state = os.path.join(data, "bench_state.duckdb")
    for path in (state, state + ".wal"):
        if os.path.exists(path):
            os.remove(path)
    load_before = os.getloadavg()[0]
    run = [*leadflow_command(), "run", RULESET, "--top", "0", "--format", "parquet"]
    timed([*run, new, "--out", os.path.join(data, "out_warm")])  # untimed: see the docstring
    plain_s, plain_mb, _, plain_cpu = timed([*run, base, "--out", os.path.join(data, "out_plain")])
    full_s, full_mb, _, full_cpu = timed([*run, base, "--out", os.path.join(data, "out_full"),
                                "--state", state])
    daily = []  # each on a copy: bench_state.duckdb stays as built, to profile a daily run by hand
    for attempt in range(args.daily_runs):
        copy = os.path.join(data, f"bench_state_daily{attempt}.duckdb")
        shutil.copyfile(state, copy)
        daily.append(timed([*run, new, "--out", os.path.join(data, f"out_daily{attempt}"),
                            "--state", copy]))
        if attempt == 0:
            size_mb = os.path.getsize(copy) / 2**20
    middle = sorted(daily)[len(daily) // 2]  # the run of median wall time
    daily_s, daily_cpu = middle[0], middle[3]
    daily_mb = max(run[1] for run in daily)
    daily_err = daily[0][2]
    ratio = daily_s / full_s

    print(daily_err.rstrip())
    print()
    print(f"{'run':<34}{'wall':>9}{'CPU':>9}{'peak RSS':>12}")
    print(f"{'full replay, no state':<34}{plain_s:>8.2f}s{plain_cpu:>8.2f}s{plain_mb:>9,.0f} MB")
    print(f"{'full replay, building the state':<34}{full_s:>8.2f}s{full_cpu:>8.2f}s"
          f"{full_mb:>9,.0f} MB")
    print(f"{f'daily run, {args.new:,} new events':<34}{daily_s:>8.2f}s{daily_cpu:>8.2f}s"
          f"{daily_mb:>9,.0f} MB   (median of {', '.join(f'{run[0]:.2f}' for run in daily)} s)")
    print(f"daily / full replay with state   {ratio:.3f}  (target <= 0.10)")
    print(f"daily / full replay, no state    {daily_s / plain_s:.3f}")
    # CPU time (user + system) moves less than wall time when other work shares the machine.
    print(f"the same in CPU time             {daily_cpu / full_cpu:.3f}, "
          f"{daily_cpu / plain_cpu:.3f}")
    print(f"state file                       {size_mb:,.0f} MB for {args.events:,} events "
          f"= {size_mb / (args.events / 1e6):,.0f} MB per million events")
    # A short run's times move with what else runs (docs/operations.md, Performance).
    print(f"load average                     {load_before:.1f} before the runs, "
          f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
    failed = [name for name, bad in [("ratio", ratio > 0.10),
                                     ("memory", max(full_mb, daily_mb) >= args.budget_mb)] if bad]
    print("PASS" if not failed else f"FAIL: {', '.join(failed)}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
