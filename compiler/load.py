"""Loading compiled rulesets as module objects, with an on-disk cache.

A compiled module is written to the cache directory as `leadflow_<key>.py`
and imported from there with importlib into a fresh module object of its own
(never into shared globals, never registered in sys.modules). The key is the
sha256 of the compiler version, the options and what the module is made from:
for a model loaded from files (leadflow.api), the digest of their paths and
texts with the version of the front end that made the model (so a cached
ruleset loads without being lowered again: a daily run never imports the IR);
for any other model, its lowered IR (every rule, with its file and line). An
unchanged rule file is never compiled twice.

The cache directory is $LEADFLOW_CACHE_DIR, else $XDG_CACHE_HOME/leadflow,
else ~/.cache/leadflow. When it cannot be written, modules are built in memory.

A cache file is code we are about to run, so it is trusted only when it is
exactly what we wrote: the directory is made 0700 and must belong to us (else
it is not used), each file must belong to us and not be writable by others,
and its first line holds the sha256 of the rest, checked before the text is
compiled and run. A file that fails any check (truncated, edited, someone
else's) is never executed: the module is compiled again and the file
rewritten. The verified text itself is run (not the file re-imported), so
nothing can change between the check and the run, and no `__pycache__`
bytecode is trusted.

Compiling the text of a large ruleset's module to bytecode takes a while (85 ms
for examples/zapateria.leadflow, 4% of a daily `run --state`), so the bytecode
is kept too, beside it, as `leadflow_<key>.<python tag>.code`: the same checks
of owner and mode, a first line with the sha256 of the rest, and the rest
starts with the sha256 of what it was compiled from (Python's bytecode magic
number, the file name and the verified module text). Bytecode that does not
match all of it is not loaded; the text is compiled again and the file
rewritten. Like Python's own `__pycache__`, none is written when Python is told
not to write bytecode (PYTHONDONTWRITEBYTECODE, `python -B`).
"""

from __future__ import annotations

import hashlib
import marshal
import sys
import types
from collections.abc import Iterable
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import TYPE_CHECKING

from leadflow.compiler import compile_model, compiler_version
from leadflow.dsl.parse_cache import front_end_version
from leadflow.dsl.private_cache import cache_dir, digest, read_sealed, write_sealed

if TYPE_CHECKING:
    from leadflow.dsl.model import Model

_LOADED: dict[str, types.ModuleType] = {}  # key → module, for this process


def cache_key(program_repr: str, options: str) -> str:
    return digest(compiler_version(), options, program_repr)


def program_text(model: Model) -> str:
    """What the module of `model` is made from, as text for the cache key.

    A model loaded from files (leadflow.api) carries the digest of their paths and
    texts: with the front end's version it stands for the model, so the key is
    had without lowering (a daily run's ruleset loads without importing the IR).
    Any other model is lowered and its IR's text is the key.
    """
    if model.source_digest:
        return f"sources {model.source_digest} front end {front_end_version()}"
    from leadflow.compiler.lower import lower

    return repr(lower(model))


def options_text(optimized: bool, skip: Iterable[str]) -> str:
    return f"optimized={optimized};skip={','.join(sorted(skip))}"


def compiled_module(model: Model, optimized: bool = True, skip: Iterable[str] = ()) -> types.ModuleType:
    """The loaded module of a checked model, from the cache when it was compiled before."""
    skip = tuple(skip)
    key = cache_key(program_text(model), options_text(optimized, skip))
    module = cached_module(key)
    if module is None:
        file = _module_file(key)
        source = compile_model(model, optimized, skip)
        _write(file, source)
        module = _LOADED[key] = _run_source(source, key, file)
    return module


def cached_module(key: str) -> types.ModuleType | None:
    """The module `compiled_module` keeps under `key` (its `__leadflow_key__`), or None when
    the cache does not hold it (compiler/cached_engine.py then loads the ruleset anew)."""
    if key in _LOADED:
        return _LOADED[key]
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        return None
    file = _module_file(key)
    source = _read_verified(file)
    if source is None:
        return None
    module = _LOADED[key] = _run_source(source, key, file)
    return module


def _module_file(key: str) -> Path:
    return cache_dir() / f"leadflow_{key[:40]}.py"


def load_source(source: str) -> types.ModuleType:
    """A fresh module object running `source` (cached on disk by the source's own hash)."""
    key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    if key in _LOADED:
        return _LOADED[key]
    file = cache_dir() / f"leadflow_src_{key[:40]}.py"
    if _read_verified(file) != source:
        _write(file, source)
    module = _run_source(source, key, file)
    _LOADED[key] = module
    return module


HEADER = "# leadflow cache sha256="  # then the module's text (dsl/private_cache.py seals)
CODE_HEADER = b"leadflow code sha256="


def _read_verified(file: Path) -> str | None:
    """The module text of a cache file we wrote and nobody changed since; else None."""
    body = read_sealed(file, HEADER.encode())
    if body is None:
        return None
    try:
        return body.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None


def _write(file: Path, source: str) -> None:
    """Write atomically (a concurrent reader never sees half a module); ignore a read-only cache."""
    write_sealed(file, HEADER.encode(), source.encode("utf-8", "surrogatepass"))


def code_file(file: Path) -> Path:
    """Where the bytecode of a cached module is kept, for this Python."""
    return file.with_name(f"{file.stem}.{sys.implementation.cache_tag}.code")


def _compiled_code(source: str, filename: str, file: Path | None) -> types.CodeType:
    """The (verified) source compiled; from its bytecode file when that matches it exactly."""
    if file is None:
        return compile(source, filename, "exec")
    origin = hashlib.sha256(MAGIC_NUMBER + filename.encode("utf-8", "surrogatepass") + b"\0"
                            + source.encode("utf-8", "surrogatepass")).hexdigest().encode()
    kept = code_file(file)
    body = read_sealed(kept, CODE_HEADER)
    if body is not None and body[:len(origin)] == origin:
        try:
            code = marshal.loads(body[len(origin):])
        except (EOFError, ValueError, TypeError):
            code = None
        if isinstance(code, types.CodeType):
            return code
    code = compile(source, filename, "exec")
    if sys.dont_write_bytecode:
        return code
    write_sealed(kept, CODE_HEADER, origin + marshal.dumps(code))
    return code


def _run_source(source: str, key: str, file: Path | None = None) -> types.ModuleType:
    """Compile the (verified) source and run it in a fresh module's namespace.

    With the cache file's name, so tracebacks and the source map name it; its
    line numbers are one off (the header), which only a debugger would notice.
    """
    module = types.ModuleType(f"leadflow_compiled_{key[:16]}")
    module.__file__ = str(file) if file is not None else f"<leadflow compiled {key[:16]}>"
    code = _compiled_code(source, module.__file__, file)
    exec(code, module.__dict__)  # noqa: S102 -- our own generated code, in its own fresh namespace
    # The text itself, so a split run can ship the same module to its workers
    # (runtime/partitioned.py), which load it with load_source.
    module.__leadflow_source__ = source
    module.__leadflow_key__ = key  # how cached_module finds it again
    return module
