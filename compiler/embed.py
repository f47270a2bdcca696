"""The source a compiled module carries: the semantics core, then its own helpers.

A compiled module imports only the standard library, yet must compute exactly
what the interpreter computes; so it carries the very source of the
semantics modules it needs at run time, and of compiler/module_support.py
(the helpers its generated code calls), without their docstrings and with
their imports hoisted into the module's one import block. Nothing is
rewritten: a function in a compiled module is, line for line, the function
in semantics/ or compiler/module_support.py.
"""

from __future__ import annotations

import ast as python_ast
from importlib import resources

# The semantics modules a compiled module runs, in the order they are pasted,
# each under a heading that names its file.
EMBEDDED_MODULES = {
    "timemath": "time arithmetic",
    "values": "values as text",
    "aggregates": "aggregates over a window",
    "points": "capped points",
    "delivery": "the send limit",
    "failures": "run-time failures",
    "records": "what a replay gives back",
    "notes": "trace notes",
}
SUPPORT = ("leadflow.compiler", "module_support.py", "the module's helpers (compiler/module_support.py)")


def semantics_files():
    """Every file of the semantics core (for the compiler's version digest)."""
    package = resources.files("leadflow.semantics")
    return sorted((e for e in package.iterdir() if e.name.endswith(".py")), key=lambda e: e.name)


def embedded_sources() -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    """(imports, [(heading, body), ...]): every module in EMBEDDED_MODULES, then SUPPORT. An
    import is (module, name): `from module import name`, or (module, None): `import module`."""
    parts = [("leadflow.semantics", f"{module}.py", f"{title} (semantics/{module}.py)")
             for module, title in EMBEDDED_MODULES.items()] + [SUPPORT]
    imports: list[tuple[str, str | None]] = []
    sections = []
    for package, file, title in parts:
        found, body = embedded_source(package, file, pasted=[p[1] for p in parts[:len(sections)]])
        imports += [i for i in found if i not in imports]
        label = f" {title}"
        sections.append(("-" * max(3, 78 - len(label)) + label, body))
    return imports, sections


def embedded_source(package: str, file: str,
                    pasted=()) -> tuple[list[tuple[str, str | None]], str]:
    """A module's source as (imports, body), without what a compiled module must not carry:
    the module docstring, its imports (returned, to be hoisted; `__future__` and the semantics
    core's own left out: each must be in `pasted`, the files pasted before), and an
    `if TYPE_CHECKING:` block."""
    text = resources.files(package).joinpath(file).read_text("utf-8")
    tree = python_ast.parse(text)
    drop: set[int] = set()
    imports = []
    for node in tree.body:
        span = range(node.lineno, node.end_lineno + 1)
        if isinstance(node, python_ast.ImportFrom):
            drop.update(span)
            if node.module == "typing" and [a.name for a in node.names] == ["TYPE_CHECKING"]:
                continue
            if node.module.startswith("leadflow"):
                _check_embedded(node, file, pasted)
            elif node.module != "__future__":
                imports += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, python_ast.Import):
            drop.update(span)
            imports += [(alias.name, None) for alias in node.names]
        elif _is_type_checking_block(node) or (node is tree.body[0] and _is_docstring(node)):
            drop.update(span)
    lines = [line for n, line in enumerate(text.splitlines(), 1) if n not in drop]
    return imports, "\n".join(lines).strip() + "\n"


def _check_embedded(node: python_ast.ImportFrom, file: str, pasted) -> None:
    """A leadflow import may only name a semantics module pasted before (so its names exist)."""
    package, _, module = node.module.rpartition(".")
    if package != "leadflow.semantics" or f"{module}.py" not in pasted:
        raise ValueError(f"{file} imports {node.module}: a compiled module cannot carry it here")


def _is_docstring(node: python_ast.stmt) -> bool:
    return (isinstance(node, python_ast.Expr) and isinstance(node.value, python_ast.Constant)
            and isinstance(node.value.value, str))


def _is_type_checking_block(node: python_ast.stmt) -> bool:
    return (isinstance(node, python_ast.If) and isinstance(node.test, python_ast.Name)
            and node.test.id == "TYPE_CHECKING" and not node.orelse)
