"""Each semantic helper is written once: in semantics/, which both engines take it from.

The interpreter (runtime/interpreter/) imports the core; a compiled module
carries its very source, and that of compiler/module_support.py, pasted by
compiler/embed.py. These tests hold that in place: the embedded functions are
the files' functions line for line, and no function body is written both in
the compiler and in the runtime (or copied from the core into either).
"""

from __future__ import annotations

import ast as python_ast
import importlib
import inspect
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

from leadflow.api import load_file
from leadflow.compiler import compile_model, module_support
from leadflow.compiler.embed import EMBEDDED_MODULES, embedded_source

ROOT = Path(__file__).resolve().parents[1]
RULESETS = [ROOT / "bench" / "seed.leadflow", ROOT / "tests" / "compiler" / "golden" / "features.leadflow"]
# The two sides that must not write the same function: the compiler (with the
# helpers it embeds), and the runtime with the rule-set testing package.
COMPILER_SIDE = ("compiler",)
RUNTIME_SIDE = ("runtime", "leadflow/testing")
SMALLEST = 25  # AST nodes: below this a body is a one-liner any two modules may share


def embedded_functions():
    """(label, function) for every function a compiled module carries from a file."""
    modules = [importlib.import_module(f"leadflow.semantics.{name}") for name in EMBEDDED_MODULES]
    for module in [*modules, module_support]:
        for name, function in vars(module).items():
            if inspect.isfunction(function) and function.__module__ == module.__name__:
                yield f"{module.__name__.rsplit('.', 1)[1]}.{name}", function


@pytest.fixture(scope="module")
def compiled_functions():
    """name → source text of each top-level function in the compiled modules of RULESETS."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in RULESETS:
        loaded = load_file(str(path))
        assert loaded.model is not None, loaded.render()
        source = compile_model(loaded.model)
        lines = source.splitlines()
        for node in python_ast.parse(source).body:
            if isinstance(node, python_ast.FunctionDef):
                found[node.name].add("\n".join(lines[node.lineno - 1:node.end_lineno]))
    return found


@pytest.mark.parametrize("label, function", list(embedded_functions()), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_a_compiled_module_carries_the_files_function_line_for_line(label, function, compiled_functions):
    written = textwrap.dedent(inspect.getsource(function)).strip()
    copies = compiled_functions.get(function.__name__)
    assert copies, f"{label} is not in the compiled module"
    assert copies == {written}, f"the compiled module's {function.__name__} is not {label}'s source"


def test_the_template_defines_no_helper_of_its_own():
    """The template is the module's skeleton: its functions are the API and the ruleset's."""
    template = (ROOT / "compiler" / "templates" / "module.py.j2").read_text(encoding="utf-8")
    embedded = {function.__name__ for _, function in embedded_functions()}
    defined = {line.split("(")[0][len("def "):] for line in template.splitlines() if line.startswith("def ")}
    assert not defined & embedded, f"the template writes embedded helpers again: {defined & embedded}"


def function_bodies(folders):
    """Normalized body (no docstring, annotations or parameter names) → 'path:line name'."""
    bodies: dict[str, list[str]] = defaultdict(list)
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = python_ast.parse(path.read_text(encoding="utf-8"))
            for node in python_ast.walk(tree):
                if isinstance(node, (python_ast.FunctionDef, python_ast.AsyncFunctionDef)):
                    key = body_key(node)
                    if key is not None:
                        bodies[key].append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    return bodies


def body_key(function: python_ast.FunctionDef | python_ast.AsyncFunctionDef) -> str | None:
    """What a function computes, whatever it and its parameters are called; None when tiny."""
    body = function.body
    if body and isinstance(body[0], python_ast.Expr) and isinstance(body[0].value, python_ast.Constant):
        body = body[1:]  # the docstring
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]
    renamed = {name: f"_p{k}" for k, name in enumerate(params)}
    module = python_ast.Module(body=list(body), type_ignores=[])
    if sum(1 for _ in python_ast.walk(module)) < SMALLEST:
        return None
    text = python_ast.dump(module, annotate_fields=False)
    for name, placeholder in renamed.items():
        text = text.replace(f"Name('{name}',", f"Name('{placeholder}',")
    return text


def shared(first, second):
    """Bodies written on both sides, as pairs of their places."""
    one, other = function_bodies(first), function_bodies(second)
    return [(one[key], other[key]) for key in one.keys() & other.keys()]


def test_no_function_is_written_both_in_the_compiler_and_in_the_runtime():
    assert shared(COMPILER_SIDE, RUNTIME_SIDE) == []


def test_no_function_of_the_core_is_copied_into_either_engine():
    assert shared(("semantics",), COMPILER_SIDE + RUNTIME_SIDE + ("leadflow",)) == []


def test_the_comparison_finds_a_copy_under_another_name():
    """Not vacuous: a renamed copy of a core function, with renamed parameters, is found."""
    original = python_ast.parse(textwrap.dedent(inspect.getsource(
        importlib.import_module("leadflow.semantics.timemath").every_due))).body[0]
    copy = python_ast.parse(textwrap.dedent("""
        def next_period_end(start, n, size, what, zone):
            due = add_duration(start, n * size, what, zone)
            if size > 0 and FAR_PAST < due < FAR_FUTURE:
                return due
            if due <= add_duration(start, (n - 1) * size, what, zone):
                return None
            return due
    """)).body[0]
    assert body_key(original) is not None
    assert body_key(copy) == body_key(original)


@pytest.mark.parametrize("name", ["glob_to_regex", "number_text", "value_text", "event_text", "quoted",
                                  "args_text", "add_months", "every_due", "calendar_length", "not_settled",
                                  "rule_failed", "out_of_order", "capped", "expired_cause", "released_cause",
                                  "limit_reached", "sum_of", "last_values", "top_values"])
def test_a_known_helper_is_defined_in_the_core_only(name):
    places = [f"{path.relative_to(ROOT)}" for folder in ("compiler", "runtime", "leadflow", "dsl")
              for path in (ROOT / folder).rglob("*.py")
              if f"def {name}(" in path.read_text(encoding="utf-8")]
    assert places == []


@pytest.mark.parametrize("words", ["does not settle", "} failed: {", "must come in time order"])
def test_only_the_core_words_a_run_time_failure(words):
    places = [f"{path.relative_to(ROOT)}" for folder in ("compiler", "runtime")
              for path in (ROOT / folder).rglob("*.py")
              if words in path.read_text(encoding="utf-8")]
    assert places == []


def test_a_core_module_may_only_import_one_pasted_before_it():
    with pytest.raises(ValueError, match="cannot carry it here"):
        embedded_source("leadflow.semantics", "failures.py", pasted=["values.py"])
    imports, body = embedded_source("leadflow.semantics", "failures.py", pasted=["timemath.py"])
    assert "def out_of_order(" in body and not any("leadflow" in line for line in imports)


def test_both_engines_give_back_the_core_records():
    """The interpreter's records are semantics/records.py's classes, and a compiled module
    carries each class's source unchanged (so the two compare equal field by field)."""
    from leadflow.runtime import engine
    from leadflow.semantics import records

    classes = {name: cls for name, cls in vars(records).items()
               if inspect.isclass(cls) and cls.__module__ == records.__name__}
    assert {"LeadResult", "OutAction", "Transition", "PointChange", "TraceEntry",
            "RulesetRuntimeError"} <= set(classes)
    for name, cls in classes.items():
        assert getattr(engine, name, cls) is cls, f"runtime/engine.py defines its own {name}"
    for path in RULESETS:
        loaded = load_file(str(path))
        source = compile_model(loaded.model)
        lines = source.splitlines()
        written = {node.name: "\n".join(lines[node.lineno - 1:node.end_lineno])
                   for node in python_ast.parse(source).body if isinstance(node, python_ast.ClassDef)}
        for name, cls in classes.items():
            assert written.get(name) == textwrap.dedent(inspect.getsource(cls)).strip(), name


# -- trace notes: worded in semantics/notes.py only --------------------------------

NOTE_SIDES = ("compiler", "runtime/interpreter")


def string_literals(tree: python_ast.AST):
    """Every string constant of a module but its docstrings (f-string parts included)."""
    docstrings = {id(node.body[0].value) for node in python_ast.walk(tree)
                  if isinstance(node, (python_ast.Module, python_ast.ClassDef, python_ast.FunctionDef,
                                       python_ast.AsyncFunctionDef))
                  and python_ast.get_docstring(node, clean=False) is not None}
    for node in python_ast.walk(tree):
        if isinstance(node, python_ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def note_phrases() -> list[str]:
    """The wording of semantics/notes.py: its literal pieces, but names and short joints (`: `)."""
    tree = python_ast.parse((ROOT / "semantics" / "notes.py").read_text(encoding="utf-8"))
    pieces = {node.value.strip() for node in string_literals(tree)}
    return sorted(p for p in pieces if len(p) >= 8 and not p.isidentifier())


def phrases_written_in(source: str, where: str) -> list[str]:
    phrases = note_phrases()
    return [f"{where}:{node.lineno} {phrase!r}" for node in string_literals(python_ast.parse(source))
            for phrase in phrases if phrase in node.value]


def test_only_the_core_words_a_trace_note():
    places = [place for folder in NOTE_SIDES for path in sorted((ROOT / folder).rglob("*.py"))
              for place in phrases_written_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert places == []


def test_the_note_check_finds_a_note_worded_again():
    """Not vacuous: the phrases are the notes' own words, and a note written by hand is found."""
    assert {": already running, start ignored", "held by quiet hours until", "suppressed by the send limit (",
            "expired →", "taken back →", ": wait over", ": no longer holds,"} <= set(note_phrases())
    again = 'state.note("flow", f"{name}: already running, start ignored")\n' \
            "g.note(b, 'expire', literal(rule.id + ': ') + ' expired → ' + _num_text(s0))\n"
    assert len(phrases_written_in(again, "again.py")) == 2
    assert phrases_written_in('"""A flow already running, start ignored."""\n', "doc.py") == []
