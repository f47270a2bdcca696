"""The output directory of a run, replaced as a whole: never half old, half new.

A run writes its files into a fresh directory beside `--out`
(`.NAME.leadflow-tmp-PID`), `run.json` last, then swaps it in (one atomic exchange of the
two directories on Linux; elsewhere two renames: the old directory aside, the
new one in) and deletes the old one. A reader of `--out` sees either the old
set or the new one; a run killed at any moment
leaves at most a stray `.NAME.leadflow-*` directory, which the next run on the
same `--out` removes. `run.json` is the last file written, so a directory with
a `run.json` is complete.

Two runs on one `--out` never interleave: each holds an exclusive lock on
`.NAME.leadflow-lock` beside it while it runs; a second run exits at once
with a message naming the first. The lock is the operating system's
(`flock`), so a killed run releases it.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
from collections.abc import Iterable
from typing import Any, Self

from leadflow.runtime.readers import InputError
from leadflow.runtime.run_settings import OUTPUT_FORMATS

# Files leadflow writes into --out (NAME.FORMAT, and run.json); anything else there is
# the user's and is never deleted.
OUTPUT_NAMES = ("leads", "actions", "transitions", "rejects", "pending", "points", "cancelled")
OPTIONAL_OUTPUTS = ("points", "cancelled")  # written only when the run asks (RunOptions has a flag of that name)


def asked_outputs(**flags: bool) -> dict[str, bool]:
    """The optional outputs asked for, as the part of a `--state` command's identity they are.

    Only the ones turned on, so a command without them is named as before they existed.
    """
    return {name: True for name, on in flags.items() if on}
RUN_FILE = "run.json"


def ours(name: str) -> bool:
    """Whether a file name in --out is one leadflow writes."""
    stem, _, ext = name.partition(".")
    return name == RUN_FILE or (stem in OUTPUT_NAMES and ext in OUTPUT_FORMATS)


class FileLock:
    """An exclusive `flock` on a lock file, taken without waiting; InputError when it is held."""

    def __init__(self, path: str, what: str):
        self.path = path
        self.what = what
        self.handle: Any = None

    def acquire(self) -> FileLock:
        try:
            handle = open(self.path, "a+")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise InputError(f"{self.what}: cannot create the lock file {self.path}: "
                             f"{exc.strerror}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise InputError(f"{self.what} is in use by another leadflow run ({holder}); "
                                 f"wait for it to finish and run again") from None
            raise InputError(f"{self.what}: cannot lock {self.path}: {exc.strerror}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return self

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class OutputDir:
    """`--out DIR`: checked before any work, locked for the run, replaced as a whole at the end."""

    def __init__(self, path: str):
        if not path or not path.strip():
            raise InputError("--out: give a directory name (it was empty)")
        self.path = os.path.abspath(path)
        self.shown = path
        self.parent, self.name = os.path.split(self.path.rstrip(os.sep))
        if not self.name:
            raise InputError(f"--out {path}: cannot replace the root directory")
        self.lock = FileLock(self._aside("lock"), f"--out {path}")

    def _aside(self, kind: str, pid: int | None = None) -> str:
        suffix = f"-{pid}" if pid is not None else ""
        return os.path.join(self.parent, f".{self.name}.leadflow-{kind}{suffix}")

    # ------------------------------------------------------------- checking

    def check(self) -> None:
        """A usage error, before any work, when the set cannot be written or swapped in."""
        shown = self.shown
        if os.path.islink(self.path) and not os.path.exists(self.path):
            raise InputError(f"--out {shown}: is a symbolic link to a missing directory")
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise InputError(f"--out {shown}: is a file, not a directory")
        if os.path.islink(self.path):
            raise InputError(f"--out {shown}: is a symbolic link; name the directory itself")
        if not os.path.isdir(self.parent):
            raise InputError(f"--out {shown}: the directory {self.parent} does not exist")
        if not os.access(self.parent, os.W_OK | os.X_OK):
            raise InputError(f"--out {shown}: cannot write in {self.parent} (permission denied)")
        if os.path.isdir(self.path):
            foreign = sorted(n for n in os.listdir(self.path) if not ours(n))
            if foreign:
                listed = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
                raise InputError(f"--out {shown}: holds files leadflow did not write ({listed}); "
                                 f"leadflow replaces the whole directory, so give an empty or "
                                 f"leadflow-only one")

    def __enter__(self) -> Self:
        self.check()
        self.lock.acquire()
        self.clean_strays()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def clean_strays(self) -> None:
        """Remove what killed runs left beside --out (called while holding the lock)."""
        prefix = f".{self.name}.leadflow-"
        for name in os.listdir(self.parent):
            if name.startswith(prefix) and not name.endswith("-lock"):
                shutil.rmtree(os.path.join(self.parent, name), ignore_errors=True)

    # -------------------------------------------------------------- writing

    def staging_dir(self, kind: str = "tmp") -> str:
        """A fresh, empty directory beside --out for the new set (or, by `kind`, other work)."""
        path = self._aside(kind, os.getpid())
        shutil.rmtree(path, ignore_errors=True)
        os.mkdir(path)
        return path

    def publish(self, staged: str, run_info: dict[str, Any]) -> None:
        """Write run.json into the staged set, make it durable, and swap it in for --out."""
        write_run_file(staged, run_info)
        _sync_dir(staged)
        crash_point("outputs-written")
        if os.path.isdir(self.path) and exchange(staged, self.path):
            old = staged  # after the exchange the staged name holds the old set
        else:
            old = self._aside("old", os.getpid())
            if os.path.isdir(self.path):
                os.rename(self.path, old)
            crash_point("out-moved-aside")
            os.rename(staged, self.path)
        _sync_entries(self.parent)
        crash_point("out-swapped")
        shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2  # linux/fs.h


def exchange(a: str, b: str) -> bool:
    """Swap two directories in one atomic step (Linux renameat2); False where unsupported.

    Where it works, a reader of --out never finds it missing, not even for an
    instant; elsewhere the swap is two renames, and --out is absent between them.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd = -100
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def write_run_file(directory: str, run_info: dict[str, Any]) -> None:
    path = os.path.join(directory, RUN_FILE)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(run_info, handle, indent=2, ensure_ascii=False, sort_keys=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_run_file(directory: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(directory, RUN_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _sync_dir(path: str) -> None:
    """fsync a directory and the files in it, so a rename publishes complete files."""
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isfile(full):
            fd = os.open(full, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _sync_entries(path)


def _sync_entries(path: str) -> None:
    """fsync a directory itself (its names, after a rename), not the files in it: --out's
    parent may hold anything, such as the state file or the input logs."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Fault injection for the crash tests (tests/cli/test_crash.py): LEADFLOW_CRASH_AT=NAME
# kills the process with SIGKILL when it reaches the point NAME. Never set in production.
_CRASH_AT = os.environ.get("LEADFLOW_CRASH_AT")


def crash_point(name: str) -> None:
    if _CRASH_AT == name:
        os.kill(os.getpid(), 9)


def crash_points() -> Iterable[str]:
    """The named points every run with --state passes, in order (`out-moved-aside` is
    passed only where --out cannot be exchanged in one step)."""
    return ("staged", "replayed", "before-commit", "committed", "outputs-written",
            "out-swapped", "delivered")
