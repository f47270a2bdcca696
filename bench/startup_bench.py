"""Benchmark start-up: `leadflow --help` and `leadflow run --help` (target: under 0.15 s).

    python bench/startup_bench.py            # best of 7 runs each
    python bench/startup_bench.py --repeat 15

Each command runs in a fresh child process (the console script of this venv);
the best of the repeats is taken, since other work on the machine only ever
adds time. As a baseline from the same run, it also times a bare
`python -c pass` and `python -c "import duckdb, pyarrow"` (what help cost when
it imported them), and prints the ratio of each command to the bare
interpreter. Exits 1 when a command's best time is 0.15 s or more.
Not a pytest test: tests/cli/test_startup.py checks the imports instead.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from run_bench import leadflow_command

TARGET_S = 0.15


def best_of(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    leadflow = leadflow_command()
    bare = best_of([sys.executable, "-c", "pass"], args.repeat)
    heavy = best_of([sys.executable, "-c", "import duckdb, pyarrow"], args.repeat)
    print(f"{'command':<36}{'best':>8}{'/ bare python':>15}")
    print(f"{'python -c pass':<36}{bare:>7.3f}s{1:>14.1f}x")
    imports = 'python -c "import duckdb, pyarrow"'
    print(f"{imports:<36}{heavy:>7.3f}s{heavy / bare:>14.1f}x")
    failed = []
    for extra in (["--help"], ["run", "--help"]):
        seconds = best_of([*leadflow, *extra], args.repeat)
        name = "leadflow " + " ".join(extra)
        print(f"{name:<36}{seconds:>7.3f}s{seconds / bare:>14.1f}x")
        if seconds >= TARGET_S:
            failed.append(name)
    print(f"target: each leadflow command under {TARGET_S} s")
    print("PASS" if not failed else f"FAIL: {', '.join(failed)}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
