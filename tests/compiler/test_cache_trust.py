"""The compile cache never runs a file it did not write (issue 10, item 6)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from engines import load

from leadflow.compiler import load as cache
from leadflow.compiler.engine import CompiledEngine

RULES = "event buy(amount: number)\nscore a\nrule trusted: on buy add {n}\n"


def cached_file(model) -> str:
    key = cache.cache_key(cache.program_text(model), cache.options_text(True, ()))
    return str(cache.cache_dir() / f"leadflow_{key[:40]}.py")


def fresh(n: int):
    """A model whose module is not in this process's memory yet, and its cache file."""
    model = load(RULES.format(n=n))
    CompiledEngine(model)
    cache._LOADED.clear()
    return model, cached_file(model)


@pytest.mark.parametrize("damage", ["truncated", "edited", "group-writable"])
def test_item06_a_damaged_or_foreign_cache_file_is_never_executed(damage, tmp_path):
    model, path = fresh({"truncated": 101, "edited": 102, "group-writable": 103}[damage])
    text = Path(path).read_text()
    marker = tmp_path / "ran"
    evil = f"open({str(marker)!r}, 'w').write('x')\n"
    if damage == "truncated":
        Path(path).write_text(text[: len(text) // 2])
    elif damage == "edited":
        Path(path).write_text(text + evil)
    else:  # a file others could have written: as good as someone else's
        _, _, body = text.partition("\n")
        body += evil
        Path(path).write_text(f"{cache.HEADER}{hashlib.sha256(body.encode()).hexdigest()}\n{body}")
        os.chmod(path, 0o664)
    engine = CompiledEngine(model)  # rebuilt, not imported
    assert not marker.exists()
    assert engine.module.SCORES == ("a",)
    assert Path(path).read_text() == text  # the file is rewritten with what we compiled


def test_item06_the_cache_directory_is_private():
    model, path = fresh(104)
    directory = os.path.dirname(path)
    os.chmod(directory, 0o755)
    cache._LOADED.clear()
    CompiledEngine(model)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0
