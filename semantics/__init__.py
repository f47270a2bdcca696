"""What both engines must agree on, written once.

The reference interpreter (runtime/interpreter/) imports these modules; the
code generator (compiler/) uses them at compile time and embeds the source of
the ones a compiled module needs at run time (compiler/embed.py), so a
compiled ruleset and the interpreter run the very same lines.

- `semantics/timemath.py`: instants, duration units and their lengths, calendar
  months, the periods of `every`, local clocks, ISO text.
- `semantics/globmatch.py`: `matches` globs, translated to regular expressions.
- `semantics/values.py`: a value, an event, a send's target as trace notes show them.
- `semantics/slots.py`: the layout of event fields in input columns.
- `semantics/aggregates.py`: sum, avg, min, max, distinct, `last N`, `top N` over a window.
- `semantics/points.py`: a score's bounds and start; how many points land under `capped at N`;
  the ledger's names for points taken back.
- `semantics/delivery.py`: whether a send is over `send limit N per D`.
- `semantics/failures.py`: the errors of a failing rule and of a ruleset that does not settle.
- `semantics/notes.py`: every line of a lead's trace, as `explain` shows it.

STANDARD LIBRARY ONLY, every module: embedded source must not import any other
part of leadflow or any third-party package. A core module may import another
one that compiler/embed.py pastes before it (its EMBEDDED_MODULES order).
"""
