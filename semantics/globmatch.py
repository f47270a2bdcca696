"""`matches` globs: `*` any run of characters, `?` one character, the rest literal.

A glob matches the whole string. The interpreter compiles the regular
expression when it first meets a pattern; the compiler translates each pattern
once, at compile time, and writes the expression into the module.

STANDARD LIBRARY ONLY (see semantics/__init__.py).
"""

from __future__ import annotations

import re

# Flags for the compiled expression: `*` and `?` also stand for a newline.
GLOB_FLAGS = re.DOTALL


def glob_to_regex(pattern: str) -> str:
    """The regular expression (for a full match, with GLOB_FLAGS) a glob stands for."""
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
