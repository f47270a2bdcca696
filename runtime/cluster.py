"""Where a split run's partitions run: N local processes, or a Dask distributed cluster.

`--workers N` starts N worker processes on this machine for the run
(runtime/local_workers.py); `--scheduler ADDRESS` connects to a running Dask
cluster, whose workers must be able to open the input paths and the directory
beside --out (a shared file system; inputs may also be object-store URLs DuckDB
reads). runtime/partitioned.py submits the same task functions to either.

Dask is an optional dependency (`pip install 'leadflow[dask]'`), imported only here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from leadflow.runtime.driver import RunOptions, RunResult, check_out_dir, output_zone
from leadflow.runtime.engine import Engine
from leadflow.runtime.output_set import OutputDir
from leadflow.runtime.readers import InputError

MISSING = ("--workers and --scheduler run on Dask distributed, which is not installed: "
           "pip install 'leadflow[dask]'")
CONNECT_SECONDS = 20


class DaskCluster:
    """A Dask client as runtime/partitioned.py uses it: one partition per worker."""

    def __init__(self, client: Any):
        self.client = client
        info = client.scheduler_info(n_workers=-1)
        self.workers: Sequence[str] = sorted(info.get("workers", {}))
        self.duckdb_threads = None  # a worker's machine may have more cores than it has workers
        self.same_duckdb = False  # its workers may run another DuckDB version: MD5 partitions

    def submit(self, function: Callable[..., Any], *args: Any, worker: str) -> Any:
        # Pinned: a partition's second step must find the rows its first step kept.
        return self.client.submit(function, *args, workers=[worker], allow_other_workers=False,
                                  pure=False)

    def as_completed(self, futures: Sequence[Any]) -> Iterator[Any]:
        from distributed import as_completed
        return as_completed(futures)


@contextmanager
def dask_cluster(scheduler: str) -> Iterator[DaskCluster]:
    """A client on the Dask cluster whose scheduler is at `scheduler`."""
    try:
        import distributed
    except ImportError:
        raise InputError(MISSING) from None
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler "
                         f"there ({exc})") from None
    with client:
        cluster = DaskCluster(client)
        if not cluster.workers:
            raise InputError(f"--scheduler {scheduler}: the cluster has no workers")
        yield cluster


@contextmanager
def open_cluster(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """The workers of a split run: N local processes, or a Dask cluster's."""
    if scheduler is not None:
        with dask_cluster(scheduler) as cluster:
            yield cluster
        return
    from leadflow.runtime.local_workers import LocalWorkers
    with LocalWorkers(workers or 1) as local:
        yield local


def run_on_cluster(engine: Engine, options: RunOptions, label: str | None,
                   workers: int | None, scheduler: str | None) -> RunResult:
    """driver.run, split by lead over worker processes (runtime/partitioned.py)."""
    check_out_dir(options.out_dir, options.format)
    options = dataclasses.replace(options, tz=output_zone(options.tz, engine.timezone))
    if options.state is not None:
        from leadflow.runtime.incremental import run_with_state
        with open_cluster(workers, scheduler) as cluster:
            return run_with_state(engine, options, label, cluster)
    # Workers first: forked local workers must not inherit --out's lock.
    with open_cluster(workers, scheduler) as cluster, OutputDir(options.out_dir) as out:
        return run_split(engine, options, label, cluster, out)


def run_split(engine: Engine, options: RunOptions, label: str | None, cluster: Any,
              out: OutputDir) -> RunResult:
    from leadflow.runtime.partitioned import run_partitioned
    return run_partitioned(engine, options, label, cluster, out)
