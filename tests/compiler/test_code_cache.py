"""The compiled module's bytecode kept beside its cache file (compiler/load.py): used
only when it is ours and was compiled from exactly the module text being run."""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import sys
from pathlib import Path

import pytest
from engines import load

from leadflow.compiler import load as cache
from leadflow.compiler.engine import CompiledEngine

RULES = "event buy(amount: number)\nscore a\nrule kept: on buy add {n}\n"


@pytest.fixture(autouse=True)
def bytecode_allowed(monkeypatch):
    """As Python runs by default (the test run may have PYTHONDONTWRITEBYTECODE set)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def module_file(model) -> Path:
    key = cache.cache_key(cache.program_text(model), cache.options_text(True, ()))
    return cache.cache_dir() / f"leadflow_{key[:40]}.py"


def fresh(n: int):
    """A model compiled once (its module text and bytecode cached), not in memory."""
    model = load(RULES.format(n=n))
    CompiledEngine(model)
    cache._LOADED.clear()
    return model, module_file(model)


def count_compiles(monkeypatch) -> list[str]:
    """The module texts compiled to bytecode from now on (not taken from a .code file)."""
    seen: list[str] = []

    def counting(source, filename, mode):
        seen.append(filename)
        return compile(source, filename, mode)

    monkeypatch.setattr(cache, "compile", counting, raising=False)
    return seen


def run_buy(engine) -> float:
    lead = engine.new_lead("L1", {})
    engine.feed(lead, 1, "buy", {"amount": 1.0})
    return engine.result(lead).scores["a"]


def test_the_bytecode_is_kept_privately_and_used_next_time(monkeypatch):
    model, path = fresh(201)
    compiles = count_compiles(monkeypatch)
    kept = cache.code_file(path)
    assert kept.exists() and stat.S_IMODE(kept.stat().st_mode) & 0o077 == 0
    assert run_buy(CompiledEngine(model)) == 201
    assert compiles == []


def test_another_ruleset_or_compiler_version_is_compiled_anew(monkeypatch):
    model, path = fresh(202)
    _, other_path = fresh(203)
    compiles = count_compiles(monkeypatch)
    assert other_path != path and cache.code_file(other_path) != cache.code_file(path)
    monkeypatch.setattr(cache, "compiler_version", lambda: "another version")
    cache._LOADED.clear()
    assert run_buy(CompiledEngine(model)) == 202
    assert len(compiles) == 1 and compiles[0] != str(path)


def test_bytecode_of_another_python_is_compiled_anew(monkeypatch):
    model, path = fresh(204)
    compiles = count_compiles(monkeypatch)
    monkeypatch.setattr(cache, "MAGIC_NUMBER", b"\0\0\r\n")
    assert run_buy(CompiledEngine(model)) == 204
    assert compiles == [str(path)]


def evil_code(marker: Path, filename: str):
    return compile(f"open({str(marker)!r}, 'w').write('x')\nSCORES = ('evil',)\n", filename, "exec")


@pytest.mark.parametrize("damage", ["truncated", "edited", "other-origin", "group-writable",
                                    "not-code"])
def test_damaged_foreign_or_mismatched_bytecode_is_never_run(damage, tmp_path, monkeypatch):
    n = {"truncated": 211, "edited": 212, "other-origin": 213, "group-writable": 214,
         "not-code": 215}[damage]
    model, path = fresh(n)
    compiles = count_compiles(monkeypatch)
    kept = cache.code_file(path)
    good = kept.read_bytes()
    marker = tmp_path / "ran"
    first, _, body = good.partition(b"\n")
    origin = body[:64]
    if damage == "truncated":
        kept.write_bytes(good[: len(good) // 2])
    elif damage == "edited":  # the old header no longer matches
        kept.write_bytes(first + b"\n" + origin + marshal.dumps(evil_code(marker, str(path))))
    else:
        if damage == "other-origin":  # well formed, but compiled from some other text
            origin = b"0" * 64
        payload = 12345 if damage == "not-code" else evil_code(marker, str(path))
        new_body = origin + marshal.dumps(payload)
        kept.write_bytes(cache.CODE_HEADER + hashlib.sha256(new_body).hexdigest().encode()
                         + b"\n" + new_body)
        if damage == "group-writable":
            os.chmod(kept, 0o664)
    engine = CompiledEngine(model)
    assert not marker.exists()
    assert engine.module.SCORES == ("a",) and run_buy(engine) == n
    assert compiles == [str(path)]
    assert kept.read_bytes() == good  # rewritten with what was compiled


def test_no_bytecode_is_written_when_python_is_told_not_to(monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    model, path = fresh(221)
    assert path.exists() and not cache.code_file(path).exists()
    assert run_buy(CompiledEngine(model)) == 221


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another user needs root")
def test_bytecode_owned_by_another_user_is_never_run(tmp_path, monkeypatch):
    model, path = fresh(231)
    kept = cache.code_file(path)
    good = kept.read_bytes()
    marker = tmp_path / "ran"
    origin = good.partition(b"\n")[2][:64]
    body = origin + marshal.dumps(evil_code(marker, str(path)))
    kept.write_bytes(cache.CODE_HEADER + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    os.chown(kept, 12345, 12345)
    compiles = count_compiles(monkeypatch)
    engine = CompiledEngine(model)
    assert not marker.exists() and run_buy(engine) == 231
    assert compiles == [str(path)]
    assert kept.stat().st_uid == os.getuid() and kept.read_bytes() == good
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
