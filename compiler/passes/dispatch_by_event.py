"""Dispatch by event type: an event runs only the rules and aggregates that name it.

The plain program tests every rule's event type against each event; with
dispatch the generated loop branches once on the event code.
"""

from __future__ import annotations

import dataclasses

from leadflow.compiler import ir


def dispatch_by_event(program: ir.Program) -> ir.Program:
    return dataclasses.replace(program, dispatch=True)
