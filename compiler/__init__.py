"""The leadflow compiler: checked model → IR → optimized IR → standalone Python module.

    program = lower(model)                  # compiler/lower.py
    program = optimize(program)             # compiler/passes/ (PASSES, in order)
    source = generate(program, VERSION)     # compiler/codegen.py + templates/
    module = load_source(source)            # compiler/load.py (cached by hash)

`compile_model` does the first three; `leadflow.compiler.engine.CompiledEngine`
wraps the loaded module in the runtime's Engine interface.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata, resources
from typing import TYPE_CHECKING

from leadflow import __version__
from leadflow.compiler.embed import semantics_files

if TYPE_CHECKING:
    from leadflow.dsl.diagnostics import Diagnostic

# The passes and the code generator (with jinja2) are imported by the functions
# that compile: `leadflow run` on a ruleset whose module is in the cache never
# loads them, which is a tenth of a second of every daily run.


@lru_cache(maxsize=1)
def compiler_version() -> str:
    """The package version plus a digest of the compiler's own sources and templates.

    Part of every cache key, so a changed compiler never reuses an old module.
    """
    digest = hashlib.sha256()
    package = resources.files("leadflow.compiler")
    for root in (package, package.joinpath("passes"), package.joinpath("templates")):
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".py", ".j2")):
                digest.update(entry.name.encode())
                digest.update(entry.read_bytes())
    for entry in semantics_files():  # embedded into every module
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    digest.update(metadata.version("jinja2").encode())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def compile_model(model, optimized: bool = True, skip: Iterable[str] = ()) -> str:
    """The Python source of a checked model's compiled module."""
    return compile_with_warnings(model, optimized, skip)[0]


def compile_with_warnings(model, optimized: bool = True, skip: Iterable[str] = ()
                          ) -> tuple[str, tuple[tuple[str, int, str], ...]]:
    """(source, warnings): the passes' warnings are (file, line, message), e.g. dead rules."""
    from leadflow.compiler.codegen import generate

    program = optimized_program(model, optimized, skip)
    return generate(program, compiler_version()), program.warnings


def optimized_program(model, optimized: bool = True, skip: Iterable[str] = ()):
    """The IR (compiler/ir.py Program) the code generator starts from: lowered, then optimized."""
    from leadflow.compiler.lower import lower
    from leadflow.compiler.passes import optimize

    return optimize(lower(model), optimized, skip)


def dead_rule_warnings(model) -> list[Diagnostic]:
    """Warnings for the rules the compiler leaves out because they can never fire.

    For `leadflow check`: the same verdict the optimizer reaches (after folding
    constants), as Diagnostics at each rule's line.
    """
    from leadflow.compiler.lower import CompileError, lower
    from leadflow.compiler.passes import fold_constants, remove_dead_rules
    from leadflow.dsl import ast
    from leadflow.dsl.diagnostics import warning

    try:
        program = remove_dead_rules(fold_constants(lower(model)))
    except CompileError:
        return []  # a gap in the checker: `leadflow compile` reports it
    return [warning(message, ast.Span(file, line, 1, line, 1)) for file, line, message in program.warnings]


def __getattr__(name: str):
    """`lower` and `CompileError` from compiler/lower.py, imported when first asked for: a
    run whose module is in the cache never lowers (nor imports the IR's classes)."""
    if name in ("lower", "CompileError"):
        from leadflow.compiler import lower as lowering

        return getattr(lowering, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
