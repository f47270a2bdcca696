"""A Dask cluster of 2 worker processes for the whole directory (helpers: cluster_support.py)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="needs leadflow[dask]")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "runtime"))  # ruleset_strategies, as the property tests
sys.path.insert(0, str(ROOT / "tests" / "cluster"))  # cluster_support


@pytest.fixture(scope="session")
def scheduler():
    """The address of a LocalCluster(n_workers=2, processes=True, threads_per_worker=1)."""
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def dask_client(scheduler):
    with distributed.Client(scheduler) as client:
        yield client


