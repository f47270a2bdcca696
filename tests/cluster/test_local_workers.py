"""runtime/local_workers.py, the processes of `run --workers N`, in a fresh Python.

Run in a child process: forking the test process, which holds the Dask
cluster's threads, is not what a user's `leadflow run` does.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os
from leadflow.runtime.local_workers import LocalWorkers

def fail():
    raise ValueError("bad value")

def die():
    os._exit(3)

with LocalWorkers(2) as workers:
    first, second = workers.workers
    pids = [workers.submit(os.getpid, worker=w).result() for w in (first, second)]
    print("distinct", len(set(pids)) == 2 and os.getpid() not in pids)
    order = [workers.submit(int, str(n), worker=first) for n in range(50)]
    print("in order", [f.result() for f in order] == list(range(50)))
    print("raised", repr(workers.submit(fail, worker=first).exception()))
    print("died", workers.submit(die, worker=second).exception())
    print("after", workers.submit(os.getpid, worker=second).exception())
    print("other still works", workers.submit(os.getpid, worker=first).result() == pids[0])
print("closed")
"""


def test_local_workers_run_tasks_in_order_and_report_a_dead_worker():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert lines[:3] == ["distinct True", "in order True", "raised ValueError('bad value')"]
    stopped = "worker process 2 stopped (out of memory, or killed?); nothing was written"
    assert lines[3:] == [f"died {stopped}", f"after {stopped}", "other still works True",
                         "closed"]
