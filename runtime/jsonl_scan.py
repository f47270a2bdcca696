"""JSON Lines with lines that are not UTF-8: each such line a rejected row, not a failed file.

DuckDB refuses a whole file at the first byte sequence that is not UTF-8, but
in JSON Lines every line stands alone, and the docs promise a reject row per
bad line. So before DuckDB opens the file we check it (one streaming decode,
at the speed of reading it); only when some line is bad do we write a copy in
the run's work directory with each bad line replaced by a marker line, which
keeps every line number, and the reader rejects the marker's row with reason
`not valid UTF-8 text`.
"""

from __future__ import annotations

import codecs
import gzip
import os
from typing import BinaryIO

# Cannot occur in a JSON text (control characters must be escaped there).
NOT_UTF8 = "\x02leadflow: not valid UTF-8"
CHUNK = 1 << 20


def _open(path: str) -> BinaryIO | None:
    """The file's bytes, gzip undone; None for a compression we cannot read here (zstd)."""
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    if path.lower().endswith(".zst"):
        return None
    return open(path, "rb")


def is_utf8(path: str) -> bool:
    handle = _open(path)
    if handle is None:
        return True  # DuckDB reads it; a bad line then refuses the file, naming the line
    decoder = codecs.getincrementaldecoder("utf-8")()
    with handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except (UnicodeDecodeError, OSError, EOFError):  # a broken .gz: DuckDB will say so
            return False
    return True


def utf8_copy(path: str, work_dir: str, number: int) -> str:
    """The file to read: `path` itself when it is all UTF-8, else a marked copy in work_dir."""
    if is_utf8(path):
        return path
    handle = _open(path)
    target = os.path.join(work_dir, f"utf8-{number}.jsonl")
    os.makedirs(work_dir, exist_ok=True)
    try:
        with handle, open(target, "wb") as out:
            for line in handle:
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    line = NOT_UTF8.encode() + (b"\n" if line.endswith(b"\n") else b"")
                out.write(line)
    except (OSError, EOFError):  # a broken .gz: let DuckDB report it on the file itself
        return path
    return target
