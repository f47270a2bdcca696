"""The module cache keyed by a rule file's own text (compiler/load.py `program_text`).

A model loaded from files carries the digest of their paths and texts, so its
cached module is found without lowering it: a daily run never imports the IR.
The key still follows every change to the text, even one that only moves rules
to other lines (the module names each rule's file and line).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from leadflow.api import load_text
from leadflow.compiler.engine import CompiledEngine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOP = os.path.join(ROOT, "examples", "zapateria.leadflow")

PROBE = """
import json, sys
from leadflow.api import load_file
from leadflow.compiler.engine import CompiledEngine
engine = CompiledEngine(load_file(sys.argv[1]).model)
print(json.dumps({"ir": "leadflow.compiler.ir" in sys.modules,
                  "lower": "leadflow.compiler.lower" in sys.modules, "name": engine.name}))
"""

RULES = """event visit
score points
rule seen: on visit add 1
"""


def probe(path: str, cache: str) -> dict:
    env = {**os.environ, "LEADFLOW_CACHE_DIR": cache}
    done = subprocess.run([sys.executable, "-c", PROBE, path], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(done.stdout)


def test_a_cached_ruleset_loads_without_the_ir(tmp_path):
    cache = str(tmp_path / "cache")
    first = probe(SHOP, cache)
    assert first["ir"]  # compiled: lowered, optimized, generated
    again = probe(SHOP, cache)
    assert again == {"ir": False, "lower": False, "name": first["name"]}


def test_moving_a_rule_to_another_line_is_another_module(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(tmp_path / "cache"))
    before = CompiledEngine(load_text(RULES, "r.leadflow").model)
    after = CompiledEngine(load_text("# a comment on top\n" + RULES, "r.leadflow").model)
    assert before.module is not after.module
    line = {engine: next(src for _, src in engine.module._RULES.values()) for engine in (before, after)}
    assert line == {before: "r.leadflow:3", after: "r.leadflow:4"}


def test_the_same_text_elsewhere_is_another_key(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADFLOW_CACHE_DIR", str(tmp_path / "cache"))
    here = load_text(RULES, "a.leadflow").model
    there = load_text(RULES, "b.leadflow").model
    assert here.source_digest != there.source_digest
    assert load_text(RULES, "a.leadflow").model.source_digest == here.source_digest
