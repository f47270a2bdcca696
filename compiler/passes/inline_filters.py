"""Filters inlined as Python expressions.

The plain program evaluates each `where` through a function of its own; with
this pass the filter is written into the rule's code (`amount > 100` becomes a
local comparison, with no call).
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir


def inline_filters(program: ir.Program) -> ir.Program:
    return dataclasses.replace(program, inline_filters=True)
