"""The parsed grammar is cached only where nobody else can have written the cache."""

from __future__ import annotations

import os

from leadflow.dsl.grammar_cache import grammar_cache_file


def test_the_cache_lives_in_a_private_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(tmp_path / "cache"))
    path = grammar_cache_file("start: 'x'")
    assert path is not None and path.startswith(str(tmp_path / "cache"))
    assert os.stat(tmp_path / "cache").st_mode & 0o777 == 0o700


def test_a_directory_others_can_write_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(shared))
    assert grammar_cache_file("start: 'x'") is None


def test_a_cache_file_others_can_write_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(tmp_path / "cache"))
    path = grammar_cache_file("start: 'x'")
    with open(path, "w") as handle:
        handle.write("planted")
    os.chmod(path, 0o666)
    assert grammar_cache_file("start: 'x'") is None


def test_a_different_grammar_gets_another_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(tmp_path))
    assert grammar_cache_file("start: 'x'") != grammar_cache_file("start: 'y'")
