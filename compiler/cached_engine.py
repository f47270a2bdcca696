"""A ruleset run before, loaded without parsing, checking or lowering it (`leadflow run`).

When `run` loads a rule file the ordinary way (parse, check, compile), it keeps
in the private cache (dsl/private_cache.py, sealed like the rest) what a later
run of the same file needs: the key of its compiled module, the text of its
warnings and its RulesetFacts (runtime/ruleset_facts.py). A later run of the
unchanged file (the same path and text, the same leadflow) finds that entry and
takes the module from the module cache (compiler/load.py): it imports neither
the parser, the checker nor the classes of the syntax tree, about 0.05 s of
every daily run. Any doubt (no entry, a damaged or foreign one, the module gone
from the cache) and the file is loaded the ordinary way, with its diagnostics.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from leadflow.compiler import compiler_version
from leadflow.compiler.engine import CompiledEngine
from leadflow.compiler.load import cached_module
from leadflow.dsl.parse_cache import front_end_version
from leadflow.dsl.private_cache import cache_dir, digest, read_sealed, write_sealed
from leadflow.runtime.ruleset_facts import RulesetFacts

if TYPE_CHECKING:
    from leadflow.api import Loaded

HEADER = b"leadflow ruleset sha256="


def _entry(path: str, text: str) -> Path:
    key = digest(compiler_version(), front_end_version(), path, text)
    return cache_dir() / f"ruleset-{key[:40]}.json"


def _text(path: str) -> str | None:
    """The rule file's text as leadflow.api reads it; None when it cannot be read so."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def cached_engine(path: str) -> tuple[CompiledEngine, str] | None:
    """(the engine, the text of its warnings) of a rule file run before unchanged; None
    when it must be loaded the ordinary way."""
    text = _text(path)
    if text is None:
        return None
    body = read_sealed(_entry(path, text), HEADER)
    if body is None:
        return None
    try:
        data = json.loads(body)
        module = cached_module(str(data["module"]))
        if module is None:
            return None
        facts = RulesetFacts.from_json(data["facts"])
        warnings = str(data["warnings"])
    except (ValueError, KeyError, TypeError):
        return None
    return CompiledEngine.from_module(module, facts), warnings


def remember_engine(path: str, loaded: Loaded, engine: CompiledEngine) -> None:
    """Keep what `cached_engine` needs of a rule file loaded the ordinary way, when it is
    one file without errors (a test file's `tests for` target is another file)."""
    key = getattr(engine.module, "__leadflow_key__", None)
    if not loaded.ok or list(loaded.sources) != [path] or key is None or engine.model is None:
        return
    data = {"module": key, "warnings": loaded.render(),
            "facts": RulesetFacts.of(engine.model).to_json()}
    write_sealed(_entry(path, loaded.sources[path]), HEADER,
                 json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"))
