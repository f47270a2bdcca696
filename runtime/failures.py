"""Running out of memory or disk, as one line that says what to raise or free.

DuckDB reports these as IO or out-of-memory errors deep inside a query; Python
as OSError from a write. Either way the user needs to know which resource ran
out and which knob to turn: --memory-limit, free space in --out, or TMPDIR
for the work database's spill files.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile

import duckdb

from leadflow.runtime.readers import InputError, duckdb_message

_WRITING = re.compile(r'Could not write file \\?"([^"\\]+)')
_FULL = ("No space left on device", "File too large", "Disk quota exceeded")


class ResourceError(InputError):
    """Memory or disk ran out: one line naming what to raise or free (exit 2)."""


def resource_problem(exc: BaseException, memory_limit: str) -> str | None:
    """The one-line message when `exc` means memory or disk ran out, else None."""
    text = str(exc)
    if isinstance(exc, duckdb.OutOfMemoryException) or "could not allocate" in text:
        return (f"out of memory: sorting the events needs more than --memory-limit {memory_limit}; "
                f"raise it (e.g. --memory-limit 2GB), the rest spills to disk")
    full = (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)) \
        or any(words in text for words in _FULL)
    if not full:
        return None
    match = _WRITING.search(text)
    path = match.group(1) if match else getattr(exc, "filename", None) or "a file"
    # The work database's own directory (runtime/staging.py), not an output set staged
    # beside --out (`.out.leadflow-tmp-PID`), which may also live under the temp dir.
    if str(path).startswith(tempfile.gettempdir()) and f"{os.sep}leadflow-run-" in str(path):
        return (f"the disk is full (or the file size limit reached) while the work database "
                f"spilled to {tempfile.gettempdir()}; free space there, or set TMPDIR to a disk "
                f"with room, or raise --memory-limit")
    return (f"the disk is full (or the file size limit reached) while writing {path}; free space "
            f"there or choose another --out")


def describe_failure(exc: BaseException, memory_limit: str) -> str:
    """One line for an error that escaped the readers: a resource, else DuckDB's own words."""
    problem = resource_problem(exc, memory_limit)
    if problem is not None:
        return problem
    if isinstance(exc, OSError):
        return f"{exc.filename or 'a file'}: {exc.strerror or exc}"
    return duckdb_message(exc) if isinstance(exc, duckdb.Error) else str(exc)
