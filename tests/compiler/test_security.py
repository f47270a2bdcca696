"""Nothing from a rule file is ever pasted into generated code as code.

Strings (tags, templates, targets, compared values, glob patterns, list items,
`with` values) and the rule file's own path are built to break out of a Python
string -- quotes, triple quotes, backslashes, newlines, unicode line
separators, jinja delimiters, code after a quote -- by hand and by Hypothesis.
For each: the module compiles, running it executes nothing of theirs (a canary
file is never created), and every string comes back out exactly as written.
Names that collide with the generated code's own (`now`, `lead`, `s0`, ...) work.
Structurally, the module of a hostile ruleset is the module of a harmless one
with other constants: the Python syntax tree differs only in constant values.
"""

from __future__ import annotations

import ast
import json
import os
import re

import pytest
from engines import all_engines, differences, load, run_fed
from hypothesis import given
from hypothesis import strategies as st
from ruleset_strategies import Row

from leadflow.api import load_text
from leadflow.compiler import compile_model
from leadflow.compiler.engine import CompiledEngine

DAY = 86_400_000_000
T0 = 1_717_200_000_000_000  # 2024-06-01T00:00:00Z

PAYLOADS = [
    "'", '"', "'''", '"""', "\\", "\\'", "a\nb", "a\rb", "line\u2028sep", "para\u2029sep",
    "nul\u0000", "{{ 7 * 7 }}", "{% raw %}", "#", "') or __import__('os').system('touch CANARY') or ('",
    '"); import os; os.system("touch CANARY") #', "\\N{BULLET}", "é ü ñ 中文 🎉",
    "'''+__import__('os').system('touch CANARY')+'''", "\\u0027", "x\t\v\f",
]


def ruleset(strings: list[str], path_note: str = "") -> str:
    """A ruleset using each string as a tag, a send target, a compared value, a glob, a list item
    and a `with` value; JSON escapes carry any character into the rule file."""
    rules = []
    for i, s in enumerate(strings):
        q = json.dumps(s)
        # Fires on its own string only; the glob and the list are evaluated on it all the same.
        rules.append(f"rule r{i}: on view where url == {q} and (url matches {q} or url in [{q}, \"x\"] "
                     f"or true) tag {q}, send {q} with v = {q}, notify {q}")
    return ('event view(url: text)\nlead(note: text)\nscore a\n' + "\n".join(rules) + "\n")


def check_round_trip(strings: list[str], tmp_path, path: str = "gen.leadflow") -> None:
    text = ruleset(strings)
    model = load(text) if path == "gen.leadflow" else _load_at(text, path)
    source = compile_model(model)
    compile(source, "generated", "exec")  # it is valid Python
    canary = tmp_path / "CANARY"
    cwd = os.getcwd()
    os.chdir(tmp_path)  # a payload that ran would `touch CANARY` here
    try:
        engine = CompiledEngine(model)
        rows = [Row("l1", T0 + i * DAY, "view", {"url": s}) for i, s in enumerate(strings)]
        results = run_fed(engine, rows, {}, T0 + len(strings) * DAY)
        reference = run_fed(all_engines(model)["interpreter"], rows, {}, T0 + len(strings) * DAY)
    finally:
        os.chdir(cwd)
    assert not canary.exists()
    assert not differences(reference, results)
    result = results["l1"]
    assert set(result.tags) == set(strings)
    sends = [a for a in result.actions if a.kind == "send"]
    assert [a.target for a in sends] == strings
    assert [a.args for a in sends] == [{"v": s} for s in strings]


def _load_at(text: str, path: str):
    loaded = load_text(text, path)
    assert loaded.ok, loaded.render()
    return loaded.model


@pytest.mark.parametrize("payload", PAYLOADS, ids=[repr(p)[:24] for p in PAYLOADS])
def test_a_hostile_string_stays_a_string(payload, tmp_path):
    check_round_trip([payload], tmp_path)


# (The checker rejects a tag, template or team that is only white space.)
@given(strings=st.lists(st.text(min_size=1, max_size=12).filter(str.strip), min_size=1, max_size=4,
                             unique=True))
def test_any_string_stays_a_string(strings, tmp_path_factory):
    check_round_trip(strings, tmp_path_factory.mktemp("run"))


def test_a_hostile_file_path_is_only_data(tmp_path):
    path = "evil'\"\"\"\n\u2028{{x}}#.leadflow"
    text = "event view(url: text)\nscore a\nrule r: on view add 1 / 0 * 0 + count(view) / (count(view) - 1)\n"
    model = _load_at(text, path)
    engine = CompiledEngine(model)
    state = engine.new_lead("l1", {})
    engine.feed(state, T0, "view", {})  # 1 / (1 - 1): missing, no change
    assert engine.result(state).scores == {"a": 0.0}
    assert path in engine.module._SOURCES[0]


def skeleton(source: str) -> str:
    """The syntax tree with every constant blanked: what the code does, not the data it holds."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            node.value = None
    return ast.dump(tree)


def test_hostile_strings_change_only_constants():
    benign = [f"plain{i}" for i in range(len(PAYLOADS))]
    hostile = compile_model(load(ruleset(PAYLOADS)))
    harmless = compile_model(load(ruleset(benign)))
    assert skeleton(hostile) == skeleton(harmless)


CLASHING = """
event now(code: number, th: text, f0: int)
event view(i: int)
lead(attrs: text, s0: number)
score s0
score tags
stage t
stage acts when s0 > 2
rule result: on now where code > 1 and th == "x" add code, set lead.attrs = th
rule columns: on view count >= 2 add i to tags, start _run
rule codes: on enter acts add 1 to s0
rule tnext: when tags > 1 and lead.s0 is missing tag "now"
flow _run
  start on now
  send "hi" with code = code, th = th
  wait 1 day
  add 2 to tags
end
"""


def test_names_that_clash_with_generated_ones_work():
    model = load(CLASHING)
    rows = [Row("l1", T0, "now", {"code": 5, "th": "x"}), Row("l1", T0 + 1, "view", {"i": 1}),
            Row("l1", T0 + 2, "view", {"i": 2}), Row("l1", T0 + 3 * DAY, "now", {"code": 0})]
    engines = all_engines(model)
    reference = run_fed(engines["interpreter"], rows, {}, T0 + 5 * DAY)
    for name in ("compiled", "plain"):
        assert not differences(reference, run_fed(engines[name], rows, {}, T0 + 5 * DAY)), name
    result = reference["l1"]
    assert result.scores["s0"] > 2 and result.stage == "acts" and result.attrs == {"attrs": "x"}


RENAMES = {"now": "ping", "code": "size", "th": "label", "f0": "extra", "view": "visit",
           "i": "n", "attrs": "country", "s0": "budget", "tags": "fit", "t": "cold",
           "acts": "warm", "result": "r1", "columns": "r2", "codes": "r3", "tnext": "r4",
           "_run": "nurture"}


def test_identifiers_in_the_module_never_come_from_the_rule_file():
    """Renaming every event, field, score, stage, rule and flow changes only constants."""
    renamed = re.sub(r"\b(" + "|".join(map(re.escape, RENAMES)) + r")\b(?=[^\"]*(\"[^\"]*\"[^\"]*)*$)",
                     lambda m: RENAMES[m.group(1)], CLASHING, flags=re.MULTILINE)
    assert "budget" in renamed and '"hi"' in renamed
    first, second = compile_model(load(CLASHING)), compile_model(load(renamed))
    assert skeleton(first) == skeleton(second)
    constants = {n.value for n in ast.walk(ast.parse(first)) if isinstance(n, ast.Constant)}
    assert {"now", "th", "_run", "columns", "tnext"} <= constants
