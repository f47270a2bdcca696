"""The semantics core's source, ready to paste into a compiled module.

A compiled module imports only the standard library, yet must compute exactly
what the interpreter computes; so it carries the very source of the
semantics modules it needs at run time, without their docstrings and with
their imports hoisted into the module's one import block.
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
}


def semantics_files():
    """Every file of the semantics core (for the compiler's version digest)."""
    package = resources.files("leadflow.semantics")
    return sorted((e for e in package.iterdir() if e.name.endswith(".py")), key=lambda e: e.name)


def embedded_semantics() -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    """(imports, [(heading, body), ...]) for every module in EMBEDDED_MODULES; an import is
    (module, name): `from module import name`, or (module, None): `import module`."""
    imports: list[tuple[str, str | None]] = []
    sections = []
    for module, title in EMBEDDED_MODULES.items():
        lines, body = embedded_source(module)
        imports += lines
        label = f" {title} (semantics/{module}.py)"
        sections.append(("-" * max(3, 78 - len(label)) + label, body))
    return imports, sections


def embedded_source(module: str) -> tuple[list[tuple[str, str | None]], str]:
    """semantics/<module>.py as (imports, body without docstring or imports)."""
    text = resources.files("leadflow.semantics").joinpath(f"{module}.py").read_text("utf-8")
    tree = python_ast.parse(text)
    drop: set[int] = set()
    imports = []
    for node in tree.body:
        first = node.lineno
        if isinstance(node, (python_ast.Import, python_ast.ImportFrom)):
            if isinstance(node, python_ast.ImportFrom) and node.module.startswith("leadflow"):
                raise ValueError(f"semantics/{module}.py imports {node.module}: it must not")
            if isinstance(node, python_ast.Import):
                imports += [(alias.name, None) for alias in node.names]
            elif node.module != "__future__":
                imports += [(node.module, alias.name) for alias in node.names]
            drop.update(range(first, node.end_lineno + 1))
        elif (isinstance(node, python_ast.Expr) and isinstance(node.value, python_ast.Constant)
              and isinstance(node.value.value, str) and node is tree.body[0]):
            drop.update(range(first, node.end_lineno + 1))  # the module docstring
    lines = [line for n, line in enumerate(text.splitlines(), 1) if n not in drop]
    return imports, "\n".join(lines).strip() + "\n"
