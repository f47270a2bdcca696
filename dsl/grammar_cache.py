"""Where the parsed grammar is cached between processes, and when that cache may be read.

Building the LALR tables from grammars/leadflow.lark takes a tenth of a second
or more, on every `leadflow` command. Lark can save them to a file and load
them back (with pickle), so the file must be one nobody else can have written:
it lives in leadflow's own cache directory, created with mode 0700, and is
used only when that directory and the file belong to this user and no one
else can write to them. Otherwise the grammar is simply built as before.

The cache directory is dsl/private_cache.py's (the compiled modules and the
parsed rule files are kept there too).
"""

from __future__ import annotations

import hashlib
import os
import stat

import lark

from leadflow.dsl.private_cache import cache_dir


def _private(path: str) -> bool:
    """Owned by this user, and nobody else may write to it."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (info.st_uid == os.getuid() and not stat.S_ISLNK(info.st_mode)
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def grammar_cache_file(grammar: str) -> str | None:
    """The file Lark may cache this grammar's tables in, or None when no safe place exists."""
    directory = str(cache_dir())
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not _private(directory):
        return None
    key = hashlib.sha256(f"{lark.__version__}\0{grammar}".encode()).hexdigest()[:24]
    path = os.path.join(directory, f"grammar-{key}.lark-tables")
    if os.path.exists(path) and not _private(path):
        return None
    return path
