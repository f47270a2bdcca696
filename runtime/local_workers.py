"""`run --workers N`: N worker processes on this machine, each a partition's home for the run.

A Dask LocalCluster would do, but starting and stopping one (scheduler, nannies,
workers importing leadflow) took 6-8 s on the 2-core test machine, more than half
of what splitting a 4M-event run saves. These workers are plain child processes
forked from the command (so the compiled module and every import are already
there) that run the same task functions runtime/partitioned.py submits to Dask:
one pipe each, tasks in the order sent, results as concurrent.futures.Future.
They need no Dask.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, as_completed
from multiprocessing.connection import Connection
from typing import Any, Self

from leadflow.runtime.readers import InputError


def _serve(conn: Connection) -> None:
    """A worker's loop: run each (function, args) it receives and send back the outcome."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if message is None:
            return
        function, args = message
        try:
            outcome = (True, function(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the command
            outcome = (False, exc)
        try:
            conn.send(outcome)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception that cannot be pickled
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def stopped(k: int) -> InputError:
    return InputError(f"worker process {k + 1} stopped (out of memory, or killed?); "
                      f"nothing was written")


class LocalWorkers:
    """N child processes; `submit` runs a function on a named one (the Cluster of partitioned.py)."""

    def __init__(self, count: int):
        # fork: the children start at once with everything imported (Linux); spawn elsewhere.
        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        self.workers: Sequence[str] = [f"local-{k}" for k in range(count)]
        # The workers share this machine's cores: DuckDB in each gets its share.
        self.duckdb_threads = max(1, (os.cpu_count() or 1) // count)
        # Children of this process load its DuckDB library: hash() agrees between them.
        self.same_duckdb = True
        self._conns: list[Connection] = []
        self._pending: list[deque[Future]] = []
        self._processes = []
        self._lock = threading.Lock()
        for k in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs,), name=self.workers[k],
                                      daemon=True)
            process.start()
            theirs.close()
            self._conns.append(ours)
            self._pending.append(deque())
            self._processes.append(process)
            threading.Thread(target=self._collect, args=(k,), daemon=True).start()

    def _collect(self, k: int) -> None:
        """Hand each result of worker k to the future of the task it answers (FIFO)."""
        conn = self._conns[k]
        while True:
            try:
                ok, value = conn.recv()
            except (EOFError, OSError):
                with self._lock:
                    waiting = list(self._pending[k])
                    self._pending[k].clear()
                for future in waiting:
                    future.set_exception(stopped(k))
                return
            with self._lock:
                future = self._pending[k].popleft()
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def submit(self, function: Callable[..., Any], *args: Any, worker: str) -> Future:
        k = self.workers.index(worker)
        future: Future = Future()
        with self._lock:
            try:
                self._conns[k].send((function, args))
            except OSError:  # the worker is gone
                future.set_exception(stopped(k))
                return future
            self._pending[k].append(future)
        return future

    def as_completed(self, futures: Sequence[Future]) -> Iterator[Future]:
        return as_completed(futures)

    def close(self) -> None:
        for conn in self._conns:
            try:
                conn.send(None)
            except OSError:
                pass
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        for conn in self._conns:
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
