"""Kill `leadflow run` at any moment; the same command run again gives what an uninterrupted run gives.

The runs are real processes, killed with SIGKILL: at each named point of a run
(LEADFLOW_CRASH_AT, see runtime/output_set.py: before, during and after
writing the outputs and committing the state) and at random moments. After
the rerun, every output file is byte-identical to an uninterrupted run's and
the state holds the same data; no action is lost or written twice.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from leadflow.runtime.output_set import crash_points

ROOT = Path(__file__).resolve().parents[2]
RULES = str(ROOT / "examples" / "zapateria.leadflow")
LEADS = str(ROOT / "examples" / "data" / "zapateria_leads.csv")
EVENTS = ROOT / "examples" / "data" / "zapateria_events.csv"
CUT = "2024-03-15"  # the first part: rows before this day; the second: the rest


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> tuple[str, str]:
    """The shop's log split by time into two files."""
    where = tmp_path_factory.mktemp("parts")
    with open(EVENTS, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    names = []
    for i, keep in enumerate((lambda ts: ts < CUT, lambda ts: ts >= CUT)):
        path = where / f"part{i}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([rows[0], *(r for r in rows[1:] if keep(r[2]))])
        names.append(str(path))
    return names[0], names[1]


def command(part: str, work: Path, state: bool = True) -> list[str]:
    args = [sys.executable, "-m", "leadflow.cli", "run", RULES, part, "--leads", LEADS,
            "--out", str(work / "out"), "-q"]
    return args + (["--state", str(work / "state.duckdb")] if state else [])


def run(args: list[str], crash_at: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "LEADFLOW_CRASH_AT"}
    if crash_at is not None:
        env["LEADFLOW_CRASH_AT"] = crash_at
    return subprocess.run(args, env=env, capture_output=True, text=True, check=False).returncode


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def state_data(path: Path) -> dict[str, list]:
    """Everything a state file holds, but the wall-clock time each run started."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.sql("SELECT table_name FROM duckdb_tables() "
                                        "ORDER BY table_name").fetchall()]
        data = {}
        for table in tables:
            columns = "* EXCLUDE (started_at)" if table == "runs" else "*"
            data[table] = con.sql(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
        return data
    finally:
        con.close()


@pytest.fixture(scope="module")
def uninterrupted(parts, tmp_path_factory) -> dict:
    """Both parts run in order without a crash: each run's outputs, and the state at the end."""
    work = tmp_path_factory.mktemp("reference")
    outputs = []
    for part in parts:
        assert run(command(part, work)) == 0
        outputs.append(files(work / "out"))
    return {"outputs": outputs, "state": state_data(work / "state.duckdb")}


# Every point in the second run (a state to carry on from); a few in the first (a new state).
CASES = [(1, point) for point in crash_points()] + [
    (0, point) for point in ("staged", "committed", "delivered")]


@pytest.mark.parametrize("run_index, point", CASES,
                         ids=[f"{'first' if i == 0 else 'second'} run, {p}" for i, p in CASES])
def test_killed_at_a_point_then_rerun_gives_the_uninterrupted_outputs_and_state(
        parts, uninterrupted, tmp_path, run_index, point):
    work = tmp_path / "w"
    work.mkdir()
    if run_index == 1:
        assert run(command(parts[0], work)) == 0
    killed = run(command(parts[run_index], work), crash_at=point)
    assert killed == -signal.SIGKILL, f"the run did not reach the point {point!r}"
    assert run(command(parts[run_index], work)) == 0
    if run_index == 0:  # then carry on as the reference did
        assert run(command(parts[1], work)) == 0
    got = files(work / "out")
    expected = uninterrupted["outputs"][1]
    assert got.keys() == expected.keys()
    for name in got:
        if name != "run.json":
            assert got[name] == expected[name], f"{name} differs after a crash at {point}"
    assert state_without_paths(state_data(work / "state.duckdb")) == \
        state_without_paths(uninterrupted["state"])


def state_without_paths(data: dict[str, list]) -> dict[str, list]:
    """The runs' records name the --out directory and state file; compare the rest."""
    runs = [tuple(v for v in row if not (isinstance(v, str) and ("/" in v)))
            for row in data["runs"]]
    return {**data, "runs": runs}


def test_killed_at_random_moments_then_rerun_gives_the_uninterrupted_outputs(
        parts, uninterrupted, tmp_path):
    rng = random.Random(7)
    for attempt in range(3):
        work = tmp_path / f"w{attempt}"
        work.mkdir()
        assert run(command(parts[0], work)) == 0
        process = subprocess.Popen(command(parts[1], work), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert run(command(parts[1], work)) == 0
        got = files(work / "out")
        expected = uninterrupted["outputs"][1]
        for name in expected:
            if name != "run.json":
                assert got[name] == expected[name], f"{name} differs (attempt {attempt})"


@pytest.mark.parametrize("point", ["outputs-written", "out-swapped"])
def test_without_a_state_a_killed_run_leaves_the_old_set_or_the_new_one(parts, tmp_path, point):
    work = tmp_path
    assert run(command(parts[0], work, state=False)) == 0
    old = files(work / "out")
    assert run(command(parts[1], work, state=False), crash_at=point) == -signal.SIGKILL
    seen = files(work / "out")
    assert run(command(parts[1], work, state=False)) == 0
    new = files(work / "out")
    assert seen in (old, new)
    strays = [p.name for p in work.iterdir() if ".leadflow-" in p.name and "lock" not in p.name]
    assert strays == []


def test_two_runs_on_one_state_never_interleave(parts, tmp_path):
    first = subprocess.Popen(command(parts[0], tmp_path), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    time.sleep(0.05)
    second = subprocess.run(command(parts[0], tmp_path), capture_output=True, text=True,
                            check=False)
    first.wait()
    if second.returncode == 2:
        assert "in use by another leadflow run" in second.stderr
    else:  # the first had already finished: the second found every row a duplicate
        assert second.returncode == 0
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def test_outputs_a_crash_kept_from_out_are_carried_into_the_next_run(parts, uninterrupted,
                                                                    tmp_path):
    """Killed after its commit, and followed by tomorrow's run instead of a retry: the
    next run's actions and transitions start with the ones that never reached --out."""
    work = tmp_path / "w"
    work.mkdir()
    assert run(command(parts[0], work), crash_at="committed") == -signal.SIGKILL
    assert run(command(parts[1], work)) == 0
    first, second = uninterrupted["outputs"]
    got = files(work / "out")
    for name in ("actions.csv", "transitions.csv"):
        both = first[name] + second[name].split(b"\n", 1)[1]  # one header
        assert got[name] == both, name
    assert got["leads.csv"] == second["leads.csv"]
    assert b'"includes_undelivered_run": 1' in got["run.json"]
