"""leadflow's cache directory, and files in it that only this user can have written.

The cache keeps what a later process may load and run or unpickle: the grammar's
tables (dsl/grammar_cache.py), parsed rule files (dsl/parse_cache.py), compiled
modules and their bytecode (compiler/load.py). So the directory is made 0700 and
used only when it belongs to this user; a file is read only when it belongs to
this user and no one else may write to it (opened without following a symbolic
link); files are written aside and renamed into place, so a reader never sees
half of one. Where no such place exists, nothing is cached.

The directory is $LEADFLOW_CACHE_DIR, else $XDG_CACHE_HOME/leadflow, else
~/.cache/leadflow.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    explicit = os.environ.get("LEADFLOW_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "leadflow"


def digest(*parts: str) -> str:
    """The sha256 of the parts (each as UTF-8, then a NUL byte), in hex: the caches' keys."""
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode("utf-8", "surrogatepass"))
        sha.update(b"\0")
    return sha.hexdigest()


def private_dir(directory: Path) -> bool:
    """Make the cache directory (0700); whether it is ours and closed to others."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False  # a symlink or someone else's directory: not a place for our files
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(directory, 0o700)
        return True
    except OSError:
        return False


def read_private(file: Path) -> bytes | None:
    """The bytes of a file in our private cache directory that only we can have written."""
    if not private_dir(file.parent):
        return None
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        return handle.read()


def write_private(file: Path, data: bytes) -> None:
    """Write atomically (mode 0600); a cache that cannot be written is left alone."""
    if not private_dir(file.parent):
        return
    try:
        handle, temp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")  # mode 0600
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, file)
    except OSError:
        pass


def read_sealed(file: Path, header: bytes) -> bytes | None:
    """What `write_sealed` wrote to `file`, exactly: its first line is `header` and the
    sha256 of the rest; anything else (truncated, edited, foreign) is None."""
    data = read_private(file)
    if data is None:
        return None
    first, newline, body = data.partition(b"\n")
    if not newline or first != header + hashlib.sha256(body).hexdigest().encode():
        return None
    return body


def write_sealed(file: Path, header: bytes, body: bytes) -> None:
    write_private(file, header + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
