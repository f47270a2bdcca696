"""Benchmark: the code this compiler generates against the code an earlier revision generated.

    .venv/bin/python bench/codegen_bench.py --baseline-rev main --events 300000

A change to the code generator must not make the generated module slower.
This compiles bench/seed.leadflow, bench/seed_extended.leadflow and
bench/seed_timers.leadflow (the same events, with a timer heap to work: expiring
points, a flow's waits, held and limited sends; all passes on) twice: with the compiler of this checkout, and with the compiler
of `--baseline-rev` (its files taken from git into a temporary folder laid out
as the installed package, run in a child process). Both modules then run the
same synthetic log (bench/compiled_bench.py's Log) in one process, rounds
interleaved so the load of a shared machine hits both alike, and the best
round of each is compared. Rounds are timed in CPU time of this process
(time.process_time): on a machine shared with other work, wall time mostly
measures the others. PASS when this checkout's module is at least --target
times the baseline's events/s (default 0.97: timings still move by a few
percent). Scores are checked equal.
Not part of the test suite (timings do not belong in tests).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from compiled_bench import Log, compiled, interleaved, same_scores

from leadflow.api import load_file
from leadflow.compiler import compile_model

RULESETS = {"seed": os.path.join(HERE, "seed.leadflow"),
            "seed_extended": os.path.join(HERE, "seed_extended.leadflow"),
            "seed_timers": os.path.join(HERE, "seed_timers.leadflow")}
COMPILE = ("import sys; from leadflow.api import load_file; from leadflow.compiler import compile_model; "
           "sys.stdout.write(compile_model(load_file(sys.argv[1]).model))")


def baseline_sources(rev: str) -> dict[str, str]:
    """The modules the compiler of git revision `rev` generates for RULESETS."""
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory(prefix="leadflow-baseline-") as tmp:
        tree = os.path.join(tmp, "tree")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        with open(os.path.join(tree, "pyproject.toml"), "rb") as handle:
            layout = tomllib.load(handle)["tool"]["setuptools"]["package-dir"]
        site = os.path.join(tmp, "site")
        for package, folder in sorted(layout.items()):  # parents before children
            target = os.path.join(site, *package.split("."))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.exists(target):
                os.symlink(os.path.join(tree, folder), target)
        env = dict(os.environ, PYTHONPATH=site, PYTHONDONTWRITEBYTECODE="1")
        return {name: subprocess.run([sys.executable, "-c", COMPILE, path], check=True, cwd=tmp, env=env,
                                     capture_output=True, text=True).stdout
                for name, path in RULESETS.items()}


def module_of(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)  # noqa: S102 -- generated modules
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-rev", default="main", help="git revision whose compiler is the baseline")
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--leads", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds; the best of each counts")
    parser.add_argument("--target", type=float, default=0.97)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(f"compiling with {args.baseline_rev} and with this checkout ...", file=sys.stderr)
    before = baseline_sources(args.baseline_rev)
    after = {name: compile_model(load_file(path).model) for name, path in RULESETS.items()}
    print(f"building a synthetic log: {args.events:,} events, {args.leads:,} leads ...", file=sys.stderr)
    log = Log(args.events, args.leads, args.seed)

    failed = False
    print(f"{'ruleset':<16}{'baseline ev/s':>16}{'this ev/s':>14}{'ratio':>8}  scores")
    for name in RULESETS:
        modules = {"baseline": module_of(before[name], f"baseline_{name}"),
                   "this": module_of(after[name], f"this_{name}")}
        best = interleaved({label: (lambda m=module: compiled(m, log, log.ranges))
                            for label, module in modules.items()}, args.rounds, time.process_time)
        (t0, scores0), (t1, scores1) = best["baseline"], best["this"]
        ratio = t0 / t1
        same = same_scores(scores0, scores1)
        failed |= ratio < args.target or not same
        print(f"{name:<16}{len(log) / t0:>16,.0f}{len(log) / t1:>14,.0f}{ratio:>8.3f}  "
              f"{'same' if same else 'DIFFERENT'}")
        print(f"{'PASS' if ratio >= args.target else 'FAIL'}  {name}: this checkout's module >= "
              f"{args.target}x the baseline's events/s: {ratio:.3f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
