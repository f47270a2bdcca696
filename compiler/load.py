"""Loading compiled rulesets as module objects, with an on-disk cache.

A compiled module is written to the cache directory as `leadflow_<key>.py`
and imported from there with importlib into a fresh module object of its own
(never into shared globals, never registered in sys.modules). The key is the
sha256 of the compiler version, the options and the ruleset's lowered IR (its
resolved source: every rule, with its file and line), so an unchanged rule file
is never compiled twice; Python's own `__pycache__` then keeps the bytecode.

The cache directory is $LEADFLOW_CACHE_DIR, else $XDG_CACHE_HOME/leadflow,
else ~/.cache/leadflow. When it cannot be written, modules are built in memory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import types
from collections.abc import Iterable
from pathlib import Path

from leadflow.compiler import compile_model, compiler_version
from leadflow.compiler.lower import lower
from leadflow.dsl.model import Model

_LOADED: dict[str, types.ModuleType] = {}  # key → module, for this process


def cache_dir() -> Path:
    explicit = os.environ.get("LEADFLOW_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "leadflow"


def cache_key(program_repr: str, options: str) -> str:
    digest = hashlib.sha256()
    for part in (compiler_version(), options, program_repr):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def options_text(optimized: bool, skip: Iterable[str]) -> str:
    return f"optimized={optimized};skip={','.join(sorted(skip))}"


def compiled_module(model: Model, optimized: bool = True, skip: Iterable[str] = ()) -> types.ModuleType:
    """The loaded module of a checked model, from the cache when it was compiled before."""
    skip = tuple(skip)
    key = cache_key(repr(lower(model)), options_text(optimized, skip))
    if key in _LOADED:
        return _LOADED[key]
    file = cache_dir() / f"leadflow_{key[:40]}.py"
    if file.exists():
        module = _import_file(file, key)
    else:
        source = compile_model(model, optimized, skip)
        _write(file, source)
        module = _import_file(file, key) if file.exists() else _in_memory(source, key)
    _LOADED[key] = module
    return module


def load_source(source: str) -> types.ModuleType:
    """A fresh module object running `source` (cached on disk by the source's own hash)."""
    key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    if key in _LOADED:
        return _LOADED[key]
    file = cache_dir() / f"leadflow_src_{key[:40]}.py"
    if not file.exists():
        _write(file, source)
    module = _import_file(file, key) if file.exists() else _in_memory(source, key)
    _LOADED[key] = module
    return module


def _write(file: Path, source: str) -> None:
    """Write atomically (a concurrent reader never sees half a module); ignore a read-only cache."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogatepass") as out:
            out.write(source)
        os.replace(temp, file)
    except OSError:
        pass


def _import_file(file: Path, key: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"leadflow_compiled_{key[:16]}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _in_memory(source: str, key: str) -> types.ModuleType:
    """Without a writable cache: compile the source and run it in a fresh module's namespace."""
    module = types.ModuleType(f"leadflow_compiled_{key[:16]}")
    module.__file__ = f"<leadflow compiled {key[:16]}>"
    code = compile(source, module.__file__, "exec")
    exec(code, module.__dict__)  # noqa: S102 -- our own generated code, in its own fresh namespace
    return module
