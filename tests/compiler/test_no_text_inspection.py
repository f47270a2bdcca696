"""The code generator never reads its own output back.

Emitters record what they write (compiler/writer.py: statements with their
reads and writes, typed expressions in compiler/emit_expr.py), so nothing in
compiler/ may tokenize, parse, regex-match or search text to recover what it
wrote. This test reads every module of compiler/ as a syntax tree and refuses:

- importing `re`, `tokenize` or `io` (the modules that search or tokenize text);
- calling `ast.parse`, `ast.literal_eval`, `compile`, `eval` or `exec` (re-parsing code),
  except where compiler/embed.py parses the semantics core's own files, which
  it pastes (input, not output), and where compiler/load.py compiles and runs
  a finished module (ALLOWED names each exception and why);
- the text-search and rewriting methods `find`, `rfind`, `index`, `count`,
  `replace`, `split`, `strip` with a string argument, `splitlines`,
  `partition`, `rpartition`;
- `startswith`/`endswith` or `in` with a string constant, except in the few
  functions that test the rule file's own text (a glob, a number's sign).

`re.compile(...)` written *into* the generated module (a glob's pattern
constant) is a string the emitter writes, not a call: it is data, and passes.
The checker is tested on planted code, so it cannot pass by seeing nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPILER = Path(__file__).resolve().parents[2] / "compiler"

BANNED_MODULES = {"re", "tokenize", "io"}
PARSERS = {"parse", "literal_eval"}  # ast.<name>
BUILTIN_PARSERS = {"compile", "eval", "exec"}
SEARCH_METHODS = {"find", "rfind", "index", "count", "replace", "split", "strip", "lstrip", "rstrip"}
SPLIT_METHODS = {"splitlines", "partition", "rpartition"}
AFFIX_METHODS = {"startswith", "endswith"}

# (file, function) that look at text from the rule file or the semantics core, never at output.
ALLOWED = {
    ("embed.py", "embedded_source"): "parses semantics/*.py, the source it pastes",
    ("embed.py", "_check_embedded"): "splits the module name an embedded file imports",
    ("embed.py", "semantics_files"): "picks the .py files of the semantics core",
    ("emit_expr.py", "glob_string_test"): "reads the glob the rule file wrote",
    ("codegen.py", "_name"): "escapes a name from the rule file for the docstring",
    ("fold_constants.py", ""): "imports re for _fold",
    ("fold_constants.py", "_fold"): "matches a glob against a constant of the rule file",
    ("__init__.py", "compiler_version"): "picks the files the compiler's version digest covers",
    ("load.py", "_read_verified"): "splits a cache file's header line from the module it verifies",
    ("load.py", "_compiled_code"): "compiles the module to run it; splits a bytecode file's header",
    ("load.py", "_run_source"): "runs the module",
}


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


class Finder(ast.NodeVisitor):
    def __init__(self, name: str):
        self.name = name
        self.function = ""
        self.found: list[str] = []

    def flag(self, node: ast.AST, what: str) -> None:
        if (self.name, self.function) not in ALLOWED:
            self.found.append(f"compiler/{self.name}:{node.lineno} ({self.function or 'module'}): {what}")

    def visit_FunctionDef(self, node):
        outer, self.function = self.function, self.function or node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] in BANNED_MODULES:
                self.flag(node, f"import {alias.name}")

    def visit_ImportFrom(self, node):
        if (node.module or "").split(".")[0] in BANNED_MODULES:
            self.flag(node, f"from {node.module} import ...")

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in BUILTIN_PARSERS:
            self.flag(node, f"{func.id}()")
        if isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if owner in BANNED_MODULES or func.attr in PARSERS and "ast" in owner:
                self.flag(node, f"{owner}.{func.attr}()")
            elif func.attr in SEARCH_METHODS and any(_is_str(a) for a in node.args):
                self.flag(node, f".{func.attr}() with text")
            elif func.attr in SPLIT_METHODS:
                self.flag(node, f".{func.attr}()")
            elif func.attr in AFFIX_METHODS and any(_is_str(a) or isinstance(a, ast.Tuple)
                                                   for a in node.args):
                self.flag(node, f".{func.attr}() with text")
        self.generic_visit(node)

    def visit_Compare(self, node):
        if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and _is_str(node.left):
            self.flag(node, f"{node.left.value!r} in ...")
        self.generic_visit(node)


def inspections(path: Path, name: str | None = None) -> list[str]:
    finder = Finder(name or path.name)
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return finder.found


def compiler_files() -> list[Path]:
    return sorted(COMPILER.rglob("*.py"))


def test_no_module_of_the_compiler_reads_text_back():
    files = compiler_files()
    assert len(files) >= 20 and any(p.name == "codegen.py" for p in files)
    found = [line for path in files for line in inspections(path)]
    assert not found, "text inspection in compiler/:\n" + "\n".join(found)


PLANTED = {
    "import re\n": "import re",
    "import tokenize\n": "import tokenize",
    "from re import match\n": "from re import",
    "def f(code):\n    return re.search('x', code)\n": "re.search()",
    "def f(code):\n    return ast.parse(code)\n": "ast.parse()",
    "def f(code):\n    return python_ast.literal_eval(code)\n": "python_ast.literal_eval()",
    "def f(code):\n    return eval(code)\n": "eval()",
    "def f(code):\n    return code.find('code = codes[i]')\n": ".find() with text",
    "def f(code):\n    return code.count('\\n')\n": ".count() with text",
    "def f(code):\n    return code.splitlines()\n": ".splitlines()",
    "def f(code):\n    return code.replace('stg', 'lead.stg')\n": ".replace() with text",
    "def f(line):\n    return line.startswith('import re')\n": ".startswith() with text",
    "def f(lines):\n    return 'import re' in lines\n": "'import re' in",
}


@pytest.mark.parametrize("source, what", PLANTED.items(), ids=list(PLANTED.values()))
def test_the_checker_finds_planted_inspection(tmp_path, source, what):
    path = tmp_path / "codegen.py"
    path.write_text((COMPILER / "codegen.py").read_text(encoding="utf-8") + "\n\n" + source,
                    encoding="utf-8")
    found = inspections(path)
    assert len(found) == 1 and what in found[0], found


def test_writing_a_pattern_constant_into_the_module_is_not_inspection(tmp_path):
    path = tmp_path / "emit_expr.py"
    path.write_text("def regex(pattern):\n    return f're.compile({pattern!r}, re.DOTALL)'\n",
                    encoding="utf-8")
    assert inspections(path) == []
