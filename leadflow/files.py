"""Which rule files a command means: the paths as given, a directory's `.leadflow` files.

`check`, `fmt` and `test` take any mix of files and directories. No path means
the current directory. A directory means every `*.leadflow` file under it, at
any depth, in sorted order, skipping hidden directories (`.git`, `.venv`) and
the usual homes of other people's files (`venv`, `node_modules`,
`__pycache__`). A file named twice is taken once. A path that does not exist
is a usage error (exit 2), before any file is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from leadflow.terminal import usage_error

SUFFIX = ".leadflow"
SKIPPED_DIRS = frozenset({"venv", "node_modules", "__pycache__"})


def rule_files(paths: Iterable[str]) -> list[str]:
    """The files `paths` stand for; a usage error (exit 2) for a directory without any."""
    chosen: list[str] = []
    for path in tuple(paths) or (".",):
        if os.path.isdir(path):
            found = files_under(path)
            if not found:
                shown = "the current directory" if os.path.normpath(path) == "." else path
                usage_error(f"no {SUFFIX} files in {shown} or below it")
            chosen += found
        elif not os.path.lexists(path):
            usage_error(f"{path}: no such file")
        else:
            chosen.append(path)
    seen: set[str] = set()
    unique = []
    for path in chosen:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def files_under(top: str) -> list[str]:
    """Every `.leadflow` file below `top`, sorted by path, hidden and tool directories left out."""
    found: list[tuple[str, ...]] = []
    for directory, subdirs, names in os.walk(top):
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        relative = os.path.relpath(directory, top)
        parts = () if relative == "." else tuple(relative.split(os.sep))
        found += [(*parts, name) for name in names
                  if name.endswith(SUFFIX) and not name.startswith(".")]
    # Sorted as path parts, so `a/z.leadflow` comes before `a_b/x.leadflow` on every system.
    return [os.path.normpath(os.path.join(top, *parts)) for parts in sorted(found)]
