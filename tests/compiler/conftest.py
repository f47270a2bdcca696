"""Compiler tests: the shared strategy modules on the path, and a private compile cache."""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "runtime"))  # ruleset_strategies


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """Compiled modules go to a temporary cache, not the user's ~/.cache/leadflow."""
    previous = os.environ.get("LEADFLOW_CACHE_DIR")
    os.environ["LEADFLOW_CACHE_DIR"] = str(tmp_path_factory.mktemp("leadflow-cache"))
    yield
    if previous is None:
        os.environ.pop("LEADFLOW_CACHE_DIR", None)
    else:
        os.environ["LEADFLOW_CACHE_DIR"] = previous
