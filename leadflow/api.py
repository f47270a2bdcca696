"""The front object: load a `.leadflow` file from disk into a checked model.

Reads the bytes, decodes UTF-8, parses, follows `tests for "x.leadflow"` to the
ruleset under test, and checks. Every problem comes back as a Diagnostic; the
sources are kept so diagnostics can be printed with their line and caret.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from leadflow.dsl import ast
from leadflow.dsl.checker import check
from leadflow.dsl.diagnostics import Diagnostic, LeadflowError, error, render_all
from leadflow.dsl.model import Model
from leadflow.dsl.parse_cache import parse
from leadflow.dsl.private_cache import digest


@dataclass
class Loaded:
    path: str
    model: Model | None  # None when there are errors
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # path → text, for rendering

    @property
    def ok(self) -> bool:
        return self.model is not None and not any(d.is_error for d in self.diagnostics)

    def render(self, errors_only: bool = False) -> str:
        """Every diagnostic (or only the errors) with its source line and caret."""
        return "\n".join(render_all([d], self.sources.get(d.span.file)) for d in self.diagnostics
                         if d.is_error or not errors_only)


def read_source(path: str) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or a diagnostic saying why it cannot be read."""
    where = ast.Span(path, 1, 1, 1, 1)
    if os.path.exists(path) and not os.path.isdir(path) and not os.path.isfile(path):
        # A FIFO or device (`tests for "/dev/stdin"`) would block or never end.
        return None, error("this is not a regular file", where)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None, error("no such file", where)
    except IsADirectoryError:
        return None, error("this is a directory, not a .leadflow file", where)
    except OSError as exc:
        return None, error(f"cannot read the file: {exc.strerror}", where)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, error("the file is not UTF-8 text", ast.Span(path, line, column, line, column + 1),
                           "save it as UTF-8")


def load_text(text: str, path: str = "<input>", _seen: frozenset[str] = frozenset()) -> Loaded:
    """Parse and check text; follow `tests for` relative to `path`."""
    loaded = Loaded(path, None, [], {path: text})
    try:
        module = parse(text, path)
    except LeadflowError as exc:
        loaded.diagnostics.extend(exc.diagnostics)
        return loaded
    target_model = None
    tests_for = next((d for d in module.body if isinstance(d, ast.TestsFor)), None)
    if tests_for is not None:
        target_path = os.path.normpath(os.path.join(os.path.dirname(path), tests_for.path))
        if target_path in _seen or os.path.abspath(target_path) == os.path.abspath(path):
            loaded.diagnostics.append(error("`tests for` points back at itself", tests_for.span))
            return loaded
        target = load_file(target_path, _seen | {path})
        loaded.sources.update(target.sources)
        if target.model is None:
            loaded.diagnostics.append(error(f"the ruleset under test, {tests_for.path}, has errors",
                                            tests_for.span))
            loaded.diagnostics.extend(target.diagnostics)
            return loaded
        target_model = target.model
    result = check(module, target_model)
    loaded.diagnostics.extend(result.diagnostics)
    loaded.model = result.model
    if result.model is not None:
        loaded.model = dataclasses.replace(result.model, source_digest=sources_digest(loaded.sources))
    return loaded


def sources_digest(sources: dict[str, str]) -> str:
    """sha256 of every (path, text) a model was made from, in path order."""
    return digest(*(part for path in sorted(sources) for part in (path, sources[path])))


def load_file(path: str, _seen: frozenset[str] = frozenset()) -> Loaded:
    text, problem = read_source(path)
    if problem is not None:
        return Loaded(path, None, [problem], {})
    return load_text(text, path, _seen)


def run(rules: str, events: list[str], *, out: str = "out", leads: str | None = None,
        as_of: str | None = None, state: str | None = None, rebuild: bool = False,
        event_id_col: str | None = None, engine: str = "compiled", fmt: str = "csv",
        points: bool = False, cancelled: bool = False) -> Any:
    """`leadflow run` from Python; returns the run's RunResult (runtime/driver.py).

        result = leadflow.api.run("rules.leadflow", ["events/2024-06-30.csv"],
                                  state="leadflow.duckdb", out="out/", as_of="now-2h")
        result.summary.counts.applied, result.summary.outputs["actions"]

    `points=True` also writes the points ledger (as `run --points`), `cancelled=True`
    the held sends of stopped flow runs (as `run --cancelled`).

    Raises LeadflowError for a rule file with errors, InputError for a problem
    with an input or option (what the command reports with exit 2), LeadFailed
    when the rules fail at run time for a lead.
    """
    from leadflow.compiler.engine import CompiledEngine
    from leadflow.runtime.driver import RunOptions
    from leadflow.runtime.driver import run as run_engine
    from leadflow.runtime.incremental import resolve_as_of, state_fields
    from leadflow.runtime.interpreter import Interpreter
    from leadflow.runtime.output_set import asked_outputs
    from leadflow.runtime.readers import ColumnNames, InputError, expand_inputs

    loaded = load_file(rules)
    if not loaded.ok:
        raise LeadflowError(loaded.diagnostics)
    engines = {"compiled": CompiledEngine, "interpreter": Interpreter}
    if engine not in engines:
        raise InputError(f"engine {engine!r}: use compiled or interpreter")
    ruleset = engines[engine](loaded.model)
    extra: dict[str, Any] = {}
    if state is not None:
        extra = state_fields(rules, [*events, *([leads] if leads else [])], state, rebuild,
                             event_id_col, {"out_dir": out, "fmt": fmt, "engine": engine,
                                            "as_of": as_of, "leads": leads,
                                            **asked_outputs(points=points, cancelled=cancelled)})
    leads_files = expand_inputs([leads]) if leads is not None else [None]
    options = RunOptions(expand_inputs(events), leads_files[0], ColumnNames(),
                         resolve_as_of(as_of), out, fmt, top=0, points=points,
                         cancelled=cancelled, **extra)
    label = loaded.model.name or os.path.splitext(os.path.basename(rules))[0]
    return run_engine(ruleset, options, label)
