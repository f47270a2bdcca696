"""Helpers of the cluster tests (a module of its own: `conftest` names a module per folder)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def output_files(directory: str | Path) -> dict[str, bytes]:
    """Every file of an output directory, by name, as bytes."""
    return {name: (Path(directory) / name).read_bytes() for name in sorted(os.listdir(directory))}
