"""pytest plugin: every `test` block of a `*.leadflow` file is a pytest item (docs/testing.md).

Registered through the `pytest11` entry point, so it is on wherever leadflow is
installed (`-p no:leadflow` turns it off). pytest collects the `.leadflow`
files it visits like any test file — the paths given on the command line, or
`testpaths` — and `--ignore`, `--ignore-glob`, `norecursedirs` and
`collect_ignore` apply as usual. Items are named after their block
(`examples/zapateria.leadflow::an email open is worth 1 point and a click 2`),
carry the `leadflow` marker, and work with `-k`, `-m`, `-x` and `--lf`.

A file with errors (it does not parse or check) depends on the ini option
`leadflow_collect`:
- `clean` (the default): it is not collected, and the terminal summary says
  how many such files were passed over. Files named on the command line are
  still collected strictly. A repository that keeps deliberately broken rule
  files as fixtures (leadflow's own golden diagnostics) runs clean.
- `strict`: it is collected as one failing item, `FILE::check`, showing the
  diagnostics.
- `off`: no `.leadflow` file is collected.

`--leadflow-coverage` prints the rule coverage of the blocks that ran, and
`--leadflow-fail-under N` fails the session below N percent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow.api import load_file
from leadflow.dsl import ast
from leadflow.runtime.engine import Engine
from leadflow.runtime.interpreter import Interpreter, RulesetIndex
from leadflow.testing import coverage as rule_coverage
from leadflow.testing.repro import minimal_block
from leadflow.testing.runner import TestOutcome, run_block

MODES = ("clean", "strict", "off")
_SKIPPED_FILES = pytest.StashKey[list]()
_RECORDERS = pytest.StashKey[list]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("leadflow_collect", "which .leadflow files pytest collects test blocks from: "
                  "clean (skip files with errors), strict (a file with errors fails), off",
                  default="clean")
    group = parser.getgroup("leadflow", "leadflow test blocks")
    group.addoption("--leadflow-coverage", action="store_true", default=False,
                    help="report which rules, flow steps and stages the .leadflow test blocks "
                         "made fire")
    group.addoption("--leadflow-fail-under", type=float, default=None, metavar="N",
                    help="fail when the rule coverage of the test blocks is below N percent "
                         "(implies --leadflow-coverage)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "leadflow: a test block from a .leadflow file")
    mode = config.getini("leadflow_collect").strip()
    if mode not in MODES:
        raise pytest.UsageError(f"leadflow_collect = {mode!r}: use one of {', '.join(MODES)}")
    config.stash[_SKIPPED_FILES] = []
    config.stash[_RECORDERS] = []


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> LeadflowFile | None:
    if file_path.suffix != ".leadflow":
        return None
    if parent.config.getini("leadflow_collect").strip() == "off":
        return None
    return LeadflowFile.from_parent(parent, path=file_path)


def _wants_coverage(config: pytest.Config) -> bool:
    return bool(config.getoption("leadflow_coverage")
                or config.getoption("leadflow_fail_under") is not None)


class LeadflowFile(pytest.File):
    """A rule file (or a `tests for` file): one item per test block."""

    def collect(self) -> Iterator[pytest.Item]:
        shown = _shown_path(self.path, self.config)
        loaded = load_file(shown)
        problem = None if loaded.ok else loaded.render()
        engine: Engine | None = None
        if problem is None:
            try:
                engine = Interpreter(loaded.model)
            except ValueError as exc:  # e.g. a time zone this machine does not know
                problem = f"{shown}: error: {exc}"
        if problem is not None:
            strict = (self.config.getini("leadflow_collect").strip() == "strict"
                      or self.session.isinitpath(self.path))
            if strict:
                yield LeadflowCheckItem.from_parent(self, name="check", problem=problem)
            else:
                self.config.stash[_SKIPPED_FILES].append(shown)
            return
        plain = engine
        if _wants_coverage(self.config):
            engine = rule_coverage.CoverageRecorder(plain)
            self.config.stash[_RECORDERS].append(engine)
        index = RulesetIndex(loaded.model)
        for block in loaded.model.tests:
            yield LeadflowItem.from_parent(self, name=block.name, block=block, engine=engine,
                                           plain=plain, index=index)


class LeadflowTestFailed(Exception):
    """A test block failed; the item renders it."""

    def __init__(self, outcome: TestOutcome):
        super().__init__(outcome.name)
        self.outcome = outcome


class LeadflowItem(pytest.Item):
    """One `test "name" … end` block, run with the reference interpreter."""

    def __init__(self, *, block: ast.TestBlock, engine: Engine, plain: Interpreter,
                 index: RulesetIndex, **kwargs: Any):
        super().__init__(**kwargs)
        self.block, self.engine, self.plain, self.index = block, engine, plain, index
        self.add_marker("leadflow")

    def runtest(self) -> None:
        outcome = run_block(self.engine, self.index, self.block)
        if not outcome.passed:
            raise LeadflowTestFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if not isinstance(excinfo.value, LeadflowTestFailed):
            return str(super().repr_failure(excinfo, style=style))
        failures = excinfo.value.outcome.failures
        lines = [str(f) for f in failures]
        # Cut down with the plain interpreter: those extra runs are no test for coverage.
        repro = minimal_block(self.plain, self.index, self.block, failures[0])
        if repro is not None:
            lines += ["", "the smallest event log that still fails, as a test block:", "", repro]
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.block.span.line - 1, "test " + json.dumps(self.block.name, ensure_ascii=False)


class LeadflowCheckItem(pytest.Item):
    """A rule file with errors, collected strictly: it fails with its diagnostics."""

    def __init__(self, *, problem: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.problem = problem
        self.add_marker("leadflow")

    def runtest(self) -> None:
        raise LeadflowCheckFailed(self.problem)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, LeadflowCheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "leadflow check"


class LeadflowCheckFailed(Exception):
    pass


def _shown_path(path: Path, config: pytest.Config) -> str:
    """The path as the user would type it: relative to where pytest was started when inside it."""
    try:
        relative = os.path.relpath(path, config.invocation_params.dir)
    except ValueError:  # another drive
        return str(path)
    return str(path) if relative.startswith("..") else relative


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped = config.stash.get(_SKIPPED_FILES, [])
    if skipped:
        names = ", ".join(skipped[:3]) + (", …" if len(skipped) > 3 else "")
        terminalreporter.write_line(
            f"leadflow: {len(skipped)} .leadflow file(s) with errors not collected ({names}); "
            "`leadflow check` shows why, `leadflow_collect = strict` makes them fail")
    recorders = config.stash.get(_RECORDERS, [])
    if recorders:
        merged = rule_coverage.merge([r.coverage() for r in recorders])
        terminalreporter.section("leadflow rule coverage")
        terminalreporter.write_line(rule_coverage.render(merged))
        threshold = config.getoption("leadflow_fail_under")
        total = rule_coverage.total_percent(merged)
        if threshold is not None and total < threshold:
            terminalreporter.write_line(
                f"FAIL: rule coverage {total:.1f}% is below --leadflow-fail-under {threshold:g}%")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    threshold = session.config.getoption("leadflow_fail_under")
    recorders = session.config.stash.get(_RECORDERS, [])
    if threshold is None or not recorders:
        return
    merged = rule_coverage.merge([r.coverage() for r in recorders])
    if rule_coverage.total_percent(merged) < threshold and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
