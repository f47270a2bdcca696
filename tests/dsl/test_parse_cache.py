"""Parsed rule files kept between processes (dsl/parse_cache.py).

The cached tree gives exactly what parsing gives (the same model, the same
diagnostics at the same lines); a file with errors is never kept; and a cache
file is unpickled only when it is sealed and only this user could have written it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import pytest

from leadflow.api import load_text
from leadflow.dsl import parse_cache
from leadflow.dsl.parser import parse as parse_text

RULES = """event purchase(amount: number)
score points
# the README's example
rule frequent: on purchase count >= 3 within 6 months add 15
"""


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(tmp_path / "cache"))


def cache_files() -> list[Path]:
    return sorted(Path(os.environ["LEADFLOW_CACHE_DIR"]).glob("syntax-*.pickle"))


def test_the_cached_tree_is_the_parsed_one_spans_included(tmp_path, monkeypatch):
    first = parse_cache.parse(RULES, "shop.leadflow")
    assert len(cache_files()) == 1
    again = parse_cache.parse(RULES, "shop.leadflow")
    assert again is not first  # read back from the file
    assert pickle.dumps(again) == pickle.dumps(parse_text(RULES, "shop.leadflow"))
    cached = load_text(RULES, "shop.leadflow")
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(tmp_path / "empty"))
    fresh = load_text(RULES, "shop.leadflow")  # parsed
    assert cached.render() == fresh.render()
    assert "shop.leadflow:4:" in cached.render()  # the warning, at its line, from the cache


def test_another_text_or_path_is_another_entry():
    parse_cache.parse(RULES, "shop.leadflow")
    parse_cache.parse(RULES, "other.leadflow")
    parse_cache.parse(RULES + "\n", "shop.leadflow")
    assert len(cache_files()) == 3


def test_a_file_with_errors_is_not_kept():
    for _ in range(2):
        loaded = load_text("rule broken: on add\n", "bad.leadflow")
        assert not loaded.ok and loaded.diagnostics
    assert cache_files() == []


class _Ran:
    def __reduce__(self):
        return (open, (os.environ["LEADFLOW_CACHE_DIR"] + "/ran", "w"))


@pytest.mark.parametrize("damage", ["unsealed", "edited", "group-writable"])
def test_a_damaged_or_foreign_file_is_never_unpickled(damage):
    parse_cache.parse(RULES, "shop.leadflow")
    (path,) = cache_files()
    evil = pickle.dumps(_Ran())
    seal = parse_cache.HEADER + hashlib.sha256(evil).hexdigest().encode()
    if damage == "unsealed":
        path.write_bytes(evil)
    elif damage == "edited":
        first, _, _ = path.read_bytes().partition(b"\n")
        path.write_bytes(first + b"\n" + evil)
    else:  # sealed, but a file others could have written is as good as someone else's
        path.write_bytes(seal + b"\n" + evil)
        os.chmod(path, 0o664)
    module = parse_cache.parse(RULES, "shop.leadflow")
    assert not Path(os.environ["LEADFLOW_CACHE_DIR"], "ran").exists()
    assert pickle.dumps(module) == pickle.dumps(parse_text(RULES, "shop.leadflow"))
