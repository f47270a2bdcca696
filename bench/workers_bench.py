"""Benchmark `leadflow run --workers 2` against one process, side by side in one run.

    python bench/workers_bench.py                   # 4M events / 200k leads, both rulesets
    python bench/workers_bench.py --scaling         # also 1M and 16M events: the docs' table
    python bench/workers_bench.py -n 1000000 --rounds 1
    python bench/workers_bench.py -n 2000000 --leads 100000 --phases   # where the time goes

Generates bench/data/events_N_L.parquet first if it is not there (bench/gen_events.py:
the shop's event types over L leads), then for each ruleset — the simple points
ruleset bench/workers_points.leadflow and the shop's examples/zapateria.leadflow —
runs `leadflow run` alone and with `--workers 2`, alternating, `--rounds` times
each, and prints the best wall time of each, the events per second, the ratio,
and the peak resident memory of the command and of each worker process (VmHWM,
read from /proc while they run), the CPU seconds and their ratio, the load
average at the start and the kernel's autogroup setting. PASS when the ratio is at least --target
(1.6 by default) and every worker stays under 1 GB. The outputs of the two runs
are compared byte for byte. Other work on the machine slows both sides, not
evenly: run it on a quiet machine and read the ratio with that in mind. The CPU
seconds (the command and its workers, user + system) show what the split costs
in work, whatever the load: on a machine with free cores, the wall time of the
split run approaches the larger worker's share of it. They also bound the
ratio: a run split onto C cores cannot end before its CPU seconds / C, so the
ratio cannot exceed C × the one process's wall seconds / the split's CPU
seconds, nor (a split costing no extra work) C × wall / CPU of the one process;
both ceilings are printed. A ruleset whose one-process run already keeps
DuckDB busy on the second core has less left for a split to win.
With --phases it measures, in this process, the CPU and wall seconds of each
phase of a run alone (DuckDB on every core, as `leadflow run`) and of each
partition of a two-way split (DuckDB on one thread, as a `--workers 2` worker):
read (scan, filter, type), counts, sort, replay, and writing the outputs (a
partition: its part, as Parquet). A split run's wall time is about the slower partition's sum plus what the
command does alone (start-up, merge, write); one process's is the sum of its
phases: the ratio these allow on free cores, whatever the load now.
Not a pytest test: it takes minutes and its figures depend on the machine.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import resource
import shutil
import subprocess
import sys
import time

from gen_events import generate
from run_bench import leadflow_command

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RULESETS = {"points": os.path.join(HERE, "workers_points.leadflow"),
            "shop": os.path.join(ROOT, "examples", "zapateria.leadflow")}
WORKER_BUDGET_MB = 1024


def peak_memory(process: subprocess.Popen, every: float = 0.1) -> tuple[float, list[float]]:
    """Wait for the command; the peak RSS (MB) of it and of each child process it started."""
    peaks: dict[int, float] = {}
    children: set[int] = set()
    while process.poll() is None:
        for pid in [process.pid, *child_pids(process.pid)]:
            high = vm_hwm(pid)
            if high is not None:
                peaks[pid] = max(peaks.get(pid, 0.0), high)
                if pid != process.pid:
                    children.add(pid)
        time.sleep(every)
    return peaks.get(process.pid, 0.0), [peaks[p] for p in sorted(children)]


def child_pids(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def vm_hwm(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_once(ruleset: str, log: str, out: str, workers: int | None) -> dict:
    command = [*leadflow_command(), "run", ruleset, log, "--out", out, "--top", "0",
               "--format", "parquet"]
    if workers:
        command += ["--workers", str(workers)]
    start = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    main_mb, worker_mb = peak_memory(process)
    stderr = process.stderr.read() if process.stderr else ""
    seconds = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if process.returncode != 0:
        sys.exit(f"leadflow run failed ({process.returncode}):\n{stderr}")
    applied = re.search(r"= ([\d,]+) applied", stderr)
    phases = re.search(r"time\s+(.*)", stderr)
    return {"seconds": seconds, "events": int(applied.group(1).replace(",", "")),
            "main_mb": main_mb, "worker_mb": worker_mb, "cpu": cpu,
            "phases": phases.group(1) if phases else ""}


def same_dirs(a: str, b: str) -> bool:
    names = sorted(os.listdir(a))
    return names == sorted(os.listdir(b)) and all(
        filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False) for n in names)


def compare(name: str, ruleset: str, log: str, rows: int, rounds: int, target: float) -> bool:
    work = os.path.join(HERE, "data", "workers_out")
    os.makedirs(work, exist_ok=True)
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for label, workers in (("1 process", None), ("--workers 2", 2)):
            result = run_once(ruleset, log, os.path.join(work, label.replace(" ", "_")), workers)
            if label not in best or result["seconds"] < best[label]["seconds"]:
                best[label] = result
    one, two = best["1 process"], best["--workers 2"]
    ratio = one["seconds"] / two["seconds"]
    identical = same_dirs(os.path.join(work, "1_process"), os.path.join(work, "--workers_2"))
    workers_mb = two["worker_mb"] or [0.0]
    ok = ratio >= target and max(workers_mb) < WORKER_BUDGET_MB and identical
    print(f"\n{name}: {os.path.relpath(ruleset, ROOT)} on {rows:,} rows "
          f"({one['events']:,} events applied), best of {rounds}")
    for label, result in best.items():
        workers = (", workers " + " / ".join(f"{mb:,.0f}" for mb in result["worker_mb"]) + " MB"
                   if result["worker_mb"] else "")
        print(f"  {label:<12} {result['seconds']:6.1f} s  {rows / result['seconds']:>11,.0f} rows/s  "
              f"CPU {result['cpu']:.1f} s  peak RSS {result['main_mb']:,.0f} MB{workers}")
        print(f"  {'':<12} {result['phases']}")
    print(f"  CPU ratio    {two['cpu'] / one['cpu']:.2f}x the CPU seconds of one process "
          f"(the split's extra work; 1.00 is free)")
    # A split onto C cores cannot finish before its CPU seconds / C, so it cannot beat one
    # process by more than C × (its wall seconds / the split's CPU seconds); with a split
    # that costs no extra CPU, C × wall / CPU of the one process.
    cores = os.cpu_count() or 1
    print(f"  ceiling      {cores * one['seconds'] / one['cpu']:.2f}x on {cores} cores: one process "
          f"keeps {one['cpu'] / one['seconds']:.2f} cores busy; {cores * one['seconds'] / two['cpu']:.2f}x "
          f"with the split's CPU seconds")
    print(f"  ratio        {ratio:.2f}x (target {target:.1f}x), outputs "
          f"{'identical' if identical else 'DIFFERENT'}  {'PASS' if ok else 'FAIL'}")
    shutil.rmtree(work, ignore_errors=True)
    return ok


class Stopwatch:
    """Runs steps, keeping each one's (CPU, wall) seconds."""

    def __init__(self) -> None:
        self.spent: list[tuple[float, float]] = []

    def __call__(self, step):
        cpu, wall = time.process_time(), time.perf_counter()
        value = step()
        self.spent.append((time.process_time() - cpu, time.perf_counter() - wall))
        return value


def phase_times(engine, options, part: int | None) -> list[tuple[float, float]]:
    """(CPU, wall) of read, counts, sort, replay and write: a run alone, or one partition of two."""
    from leadflow.runtime.driver import output_tables, replay, stage_inputs
    from leadflow.runtime.partitioned import partition_of
    from leadflow.runtime.staging import Staging

    timed = Stopwatch()
    out = os.path.join(HERE, "data", "workers_phases")
    with Staging(engine.timezone) as staging:
        if part is not None:  # as a --workers 2 worker: one DuckDB thread, its own rows
            staging.con.execute("SET threads = 1")
            staging.keep_lead = lambda lead: f"{partition_of(lead, 2, True)} = {part}"
        as_of, _ = timed(lambda: stage_inputs(engine, staging, options))
        timed(lambda: staging.counts(as_of))
        reader = timed(lambda: staging.event_reader(as_of))
        tables = output_tables(staging.con.cursor(), engine, options)
        timed(lambda: replay(engine, reader, staging.event_names, staging.slots.by_event,
                             staging.lead_attrs(), as_of, tables.add,
                             slots=staging.slots.slots, pending=True))
        if part is None:
            timed(lambda: tables.write(out, "parquet", staging.rejects_query()))
        else:  # a worker's part: its tables as they are, for the command to merge
            timed(lambda: write_part(staging.con, tables, out))
    shutil.rmtree(out, ignore_errors=True)
    return timed.spent


def write_part(con, tables, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    tables.flush()
    for table in tables.names:
        con.execute(f"COPY {table} TO '{os.path.join(out, table)}.parquet' (FORMAT parquet)")


def phases(name: str, ruleset: str, log: str) -> None:
    """Print the CPU and wall seconds of each phase: one process, then each partition of two."""
    from leadflow.api import load_file
    from leadflow.compiler.engine import CompiledEngine
    from leadflow.runtime.driver import RunOptions
    from leadflow.runtime.readers import InputFile

    engine = CompiledEngine(load_file(ruleset).model)
    options = RunOptions(events=[InputFile(log, "parquet")], format="parquet")
    print(f"\n{name}: {os.path.relpath(ruleset, ROOT)}, phases in CPU / wall seconds")
    print(f"  {'':<16}" + "".join(f"{p:>14}" for p in ("read", "counts", "sort", "replay",
                                                       "write", "sum")))
    for part in (None, 0, 1):
        spent = phase_times(engine, options, part)
        spent.append((sum(c for c, _ in spent), sum(w for _, w in spent)))
        label = "1 process" if part is None else f"partition {part} of 2"
        print(f"  {label:<16}" + "".join(f"{c:6.2f} /{w:6.2f}" for c, w in spent))


def autogroup() -> str:
    """What the kernel's autogroup setting means for the wall-time ratio."""
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled", encoding="ascii") as handle:
            enabled = handle.read().strip() == "1"
    except OSError:
        return "autogroup setting unknown (no /proc/sys/kernel/sched_autogroup_enabled)"
    if enabled:
        return ("autogroup on: this session's processes share one group's part of the CPUs, "
                "so with other sessions busy --workers 2 may not get 2 cores; read the CPU ratio")
    return "autogroup off: every process competes for the cores on its own"


def data_file(events: int, leads: int) -> str:
    path = os.path.join(HERE, "data", f"events_{events}_{leads}.parquet")
    if not os.path.exists(path):
        print(f"generating {path} ...", flush=True)
        generate(path, events, leads)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--events", type=int, default=4_000_000)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side; the best counts")
    parser.add_argument("--target", type=float, default=1.6)
    parser.add_argument("--scaling", action="store_true",
                        help="also 1M and 16M events (leads in proportion), points ruleset")
    parser.add_argument("--phases", action="store_true",
                        help="only the CPU and wall seconds of each phase, alone and per partition")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start; "
          f"{autogroup()}")
    if args.phases:
        for name, path in RULESETS.items():
            phases(name, path, data_file(args.events, args.leads))
        return
    results = [compare(name, path, data_file(args.events, args.leads), args.events, args.rounds,
                       args.target) for name, path in RULESETS.items()]
    if args.scaling:
        for events in (1_000_000, 16_000_000):
            leads = events // 20
            compare("points", RULESETS["points"], data_file(events, leads), events, 1, args.target)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
