"""The shipped examples and the language reference are part of the product: test them.

- every `examples/*.leadflow` checks clean, and its tests pass through `leadflow test`;
- every rule and flow of each example ruleset acts in at least one of its tests;
- the example keeps SPEC section 1 (the canonical example) word for word;
- every ```leadflow block in docs/language.md and README.md parses and checks.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadflow.api import load_file, load_text
from leadflow.cli import cli
from leadflow.dsl import ast
from leadflow.dsl.parser import parse
from leadflow.runtime.interpreter import Interpreter, RulesetIndex
from leadflow.testing.runner import run_block

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.leadflow"))


def _tests_for(path: Path) -> Path | None:
    """The ruleset a `tests for "x.leadflow"` file tests, or None for a ruleset."""
    body = parse(path.read_text("utf-8"), str(path)).body
    target = next((d.path for d in body if isinstance(d, ast.TestsFor)), None)
    return None if target is None else (path.parent / target).resolve()


RULESETS = [p for p in EXAMPLE_FILES if _tests_for(p) is None]


def _ids(path: Path) -> str:
    return path.name


# ------------------------------------------------------------ the examples


def test_there_are_examples():
    names = {p.name for p in EXAMPLE_FILES}
    assert {"zapateria.leadflow", "b2b_saas.leadflow"} <= names


# The warnings a shipped example gives on purpose, as (file, rule label, message start).
# `frequent` is SPEC section 1's rule word for word, a threshold with no firing
# policy; examples/zapateria_tests.leadflow shows what it does.
DELIBERATE_WARNINGS = {
    (name, "frequent", "this rule fires on every `purchase` while `count >= 3` holds")
    for name in ("zapateria.leadflow", "zapateria_v2.leadflow")  # v2: the shop plus one change
}


def _warning_key(path: Path, diagnostic) -> tuple[str, str, str]:
    line = path.read_text("utf-8").splitlines()[diagnostic.span.line - 1]
    label = re.match(r"rule (\w+):", line)
    message = next((m for _, _, m in DELIBERATE_WARNINGS if diagnostic.message.startswith(m)),
                   diagnostic.message)
    return path.name, label.group(1) if label else "", message


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_ids)
def test_example_checks_clean(path):
    loaded = load_file(str(path))
    assert loaded.ok, loaded.render()
    # Not even a warning in a shipped example, but the deliberate ones.
    unexpected = [d for d in loaded.diagnostics
                  if d.is_error or _warning_key(path, d) not in DELIBERATE_WARNINGS]
    assert unexpected == [], loaded.render()
    assert loaded.model.tests, f"{path.name} has no test blocks"


def test_the_deliberate_warnings_are_still_given():
    """`leadflow check` still warns about `frequent`: the list above is not stale."""
    given = {_warning_key(path, d) for path in EXAMPLE_FILES
             for d in load_file(str(path)).diagnostics}
    assert DELIBERATE_WARNINGS <= given


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_ids)
def test_example_tests_pass(path):
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 0, result.output
    summary = re.search(r"(\d+) passed, (\d+) failed", result.output)
    assert summary, result.output
    assert int(summary.group(1)) == len(load_file(str(path)).model.tests)
    assert summary.group(2) == "0"


def test_a_wrong_expectation_in_an_example_fails(tmp_path):
    """The harness above is not vacuous: change one expected value and `leadflow test` fails."""
    for name in ("zapateria.leadflow", "zapateria_tests.leadflow"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    shop = tmp_path / "zapateria.leadflow"
    text = shop.read_text("utf-8")
    assert "  expect engagement == 15\n" in text
    shop.write_text(text.replace("  expect engagement == 15\n", "  expect engagement == 16\n"),
                    "utf-8")
    line = text[: text.index("  expect engagement == 15\n")].count("\n") + 1
    result = CliRunner().invoke(cli, ["test", str(shop)])
    assert result.exit_code == 1, result.output
    assert f"zapateria.leadflow:{line}" in result.output
    assert "1 failed" in result.output


class _TracingEngine:
    """An engine that traces every lead it makes and keeps the states, to see what acted."""

    def __init__(self, engine: Interpreter):
        self.engine = engine
        self.states: list = []

    def new_lead(self, lead_id, attrs, trace=False):
        state = self.engine.new_lead(lead_id, attrs, trace=True)
        self.states.append(state)
        return state

    def __getattr__(self, name):
        return getattr(self.engine, name)


def _tests_files_for(ruleset: Path) -> list[Path]:
    return [p for p in EXAMPLE_FILES if _tests_for(p) == ruleset.resolve()]


@pytest.mark.parametrize("path", RULESETS, ids=_ids)
def test_every_rule_and_flow_acts_in_some_test(path):
    """Each rule fires, and each flow runs, in at least one test of the example."""
    trace_lines: list[str] = []
    for source in [path, *_tests_files_for(path)]:
        model = load_file(str(source)).model
        engine = _TracingEngine(Interpreter(model))
        index = RulesetIndex(model)
        for block in model.tests:
            run_block(engine, index, block)
        trace_lines += [entry.text for state in engine.states for entry in engine.trace(state)
                        if entry.kind in ("rule", "while", "flow", "expire")]
    model = load_file(str(path)).model
    names = [rule.id for rule in model.rules] + list(model.flows)
    silent = [name for name in names
              if not any(line.startswith(f"{name}: ") for line in trace_lines)]
    assert silent == [], f"never acts in a test of {path.name}: {', '.join(silent)}"


# SPEC section 1, the canonical example, as the contract writes it.
SPEC_SECTION_1 = (Path(__file__).resolve().parent / "spec_section_1.leadflow").read_text("utf-8")


def test_zapateria_keeps_spec_section_1():
    """Every declaration of the canonical example is in the shipped one, unchanged.

    The cart flow may gain steps (the sport proposal); its triggers and the
    canonical steps, in order, stay.
    """
    spec = parse(SPEC_SECTION_1, "spec").body
    shop = parse((EXAMPLES / "zapateria.leadflow").read_text("utf-8"), "shop").body
    for decl in spec:
        if isinstance(decl, ast.TestBlock):
            continue  # the shipped copy runs at 10:00, outside quiet hours (see its comment)
        if isinstance(decl, ast.FlowDecl):
            flow = next(d for d in shop if isinstance(d, ast.FlowDecl) and d.name == decl.name)
            assert flow.triggers == decl.triggers
            remaining = iter(flow.steps)
            assert all(any(step == s for s in remaining) for step in decl.steps), \
                "the canonical cart steps are no longer there in order"
        else:
            assert decl in shop, f"SPEC section 1 declaration missing or changed: {decl}"


# ------------------------------------------------------------ the docs


def _leadflow_blocks(doc: Path) -> list[tuple[int, str]]:
    text = doc.read_text("utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1))
            for m in re.finditer(r"^```leadflow\n(.*?)^```", text, re.DOTALL | re.MULTILINE)]


DOC_BLOCKS = [(doc, line, block) for doc in (ROOT / "docs" / "language.md", ROOT / "README.md")
              for line, block in _leadflow_blocks(doc)]


def test_the_language_reference_has_examples():
    assert sum(1 for doc, _, _ in DOC_BLOCKS if doc.name == "language.md") >= 20


@pytest.mark.parametrize("doc,line,block", DOC_BLOCKS,
                         ids=[f"{d.name}:{line}" for d, line, _ in DOC_BLOCKS])
def test_doc_example_parses_and_checks(doc, line, block):
    """Each ```leadflow block is a whole file; mark deliberately wrong ones ```text instead."""
    parse(block, f"{doc.name}:{line}")
    # Checked as if it sat in examples/, so `tests for "zapateria.leadflow"` finds the shop.
    loaded = load_text(block, str(EXAMPLES / f"_{doc.stem}_{line}.leadflow"))
    errors = [d for d in loaded.diagnostics if d.is_error]
    assert errors == [], loaded.render()


def test_the_keyword_list_in_the_reference_is_the_grammars():
    """docs/language.md lists every reserved word; keep it in step with the grammar."""
    grammar = (ROOT / "grammars" / "leadflow.lark").read_text("utf-8")
    rules_only = "\n".join(line.split("//")[0] for line in grammar.splitlines())
    keywords = set(re.findall(r'"([a-z]+)"', rules_only))
    doc = (ROOT / "docs" / "language.md").read_text("utf-8")
    listed = re.search(r"There are (\d+):\n\n```text\n(.*?)```", doc, re.DOTALL)
    assert listed, "the keyword list is missing from docs/language.md"
    assert set(listed.group(2).split()) == keywords
    assert int(listed.group(1)) == len(keywords)


def test_examples_are_formatted():
    """The shipped examples are in the canonical layout: `leadflow fmt --check` changes nothing."""
    result = CliRunner().invoke(cli, ["fmt", "--check", *map(str, EXAMPLE_FILES)])
    assert result.exit_code == 0, result.output
