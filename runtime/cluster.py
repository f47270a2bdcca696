"""Where a split run's partitions run: Dask distributed, local (`--workers N`) or remote.

`--workers N` starts a Dask LocalCluster of N worker processes (one thread each:
the replay is Python, so threads would share one core) for the run and stops
it at the end; `--scheduler ADDRESS` connects to a running cluster, whose
workers must be able to open the input paths and the directory beside --out
(a shared file system; inputs may also be object-store URLs DuckDB reads).
One code path for both: runtime/partitioned.py gets a `DaskCluster`.

Dask is an optional dependency (`pip install 'leadflow[dask]'`), imported only here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from leadflow.runtime.driver import RunOptions, RunResult, check_out_dir
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

    def submit(self, function: Callable[..., Any], *args: Any, worker: str) -> Any:
        # Pinned: a partition's second step must find the rows its first step kept.
        return self.client.submit(function, *args, workers=[worker], allow_other_workers=False,
                                  pure=False)

    def as_completed(self, futures: Sequence[Any]) -> Iterator[Any]:
        from distributed import as_completed
        return as_completed(futures)


@contextmanager
def dask_cluster(workers: int | None, scheduler: str | None) -> Iterator[DaskCluster]:
    """A client on N new local worker processes, or on the cluster at `scheduler`."""
    try:
        import distributed
    except ImportError:
        raise InputError(MISSING) from None
    if scheduler is not None:
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
        return
    local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=logging.ERROR)
    with local, distributed.Client(local) as client:
        yield DaskCluster(client)


def run_on_cluster(engine: Engine, options: RunOptions, label: str | None,
                   workers: int | None, scheduler: str | None) -> RunResult:
    """driver.run, split by lead over Dask workers (runtime/partitioned.py)."""
    from leadflow.runtime.partitioned import run_partitioned
    check_out_dir(options.out_dir, options.format)
    if options.state is not None:
        raise InputError("--state does not work with --workers or --scheduler yet; "
                         "run the state run in one process")
    with OutputDir(options.out_dir) as out, dask_cluster(workers, scheduler) as cluster:
        return run_partitioned(engine, options, label, cluster, out)
