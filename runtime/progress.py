"""The progress bar of a replay on stderr: tqdm's, imported only when it is shown.

A nightly job runs without a terminal (or with `--quiet`) and never shows it,
so it does not pay tqdm's import (about 0.1 s, a few percent of a daily
`--state` run).
"""

from __future__ import annotations

import sys
from typing import Any


class _Hidden:
    """What a replay calls when no bar is shown."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, shown: bool) -> Any:
    """A bar counting `total` events (an object with `update(n)` and `close()`)."""
    if not shown:
        return _Hidden()
    from tqdm import tqdm

    return tqdm(total=total, unit=" events", unit_scale=True, file=sys.stderr,
                mininterval=0.5, leave=False)
