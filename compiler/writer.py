"""The writer the emitters write through: statements at a depth, kept as records, not text.

A `Block` holds one entry per statement: its depth, its text, for
`if`/`elif`/`else` its keyword and condition, and the lead-state names it
reads and writes; a rule's (or flow's, stage's) code is bracketed by span
marks. The emitters declare those names as they write: an expression emitter
(or `Names.read`) registers each state name it puts into text, and the next
statement written takes them; an assignment (`Block.assign`, `writes=`)
declares its target. From those records codegen derives which state `_run`
loads and stores back and each nested function's `nonlocal` line; merging
nested ifs and measuring the source map work on them too. Nothing here or in
codegen reads generated text back; `lines` renders the records once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Stmt:
    """One line of code: `keyword` is "if", "elif" or "else" for a branch, else "";
    `comment` is written after it; `loose` marks a condition that needs parentheses
    to be an operand of `and` (its writer joined parts with `or`)."""

    depth: int
    text: str
    keyword: str = ""
    comment: str = ""
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    loose: bool = False

    def render(self) -> str:
        if self.keyword == "else":
            code = "else:"
        elif self.keyword:
            code = f"{self.keyword} {self.text}:"
        else:
            code = self.text
        return "    " * self.depth + code + (f"  # {self.comment}" if self.comment else "")


@dataclass(frozen=True)
class Mark:
    """Where a source's code starts (`source` its number in Sources) or ends (`source` None)."""

    depth: int
    source: int | None


class Names:
    """The state names read by text being written, until a statement takes them.

    Emitters call `read(name)` where they put a name into text (it returns the
    name, so it sits inside an f-string); the next statement any Block sharing
    this object writes takes the names as its `reads`.
    """

    def __init__(self):
        self.pending: set[str] = set()

    def read(self, name: str) -> str:
        self.pending.add(name)
        return name

    def take(self) -> frozenset[str]:
        taken = frozenset(self.pending)
        self.pending.clear()
        return taken


class Block:
    """Statements at an indentation depth; `with b.indent():` nests (adding `pass` if empty).

    Blocks of one function share a `Names`: what an emitter registered as read
    goes to the next statement written, in whichever of them it is written.
    """

    def __init__(self, depth: int = 0, names: Names | None = None):
        self.entries: list[Stmt | Mark] = []
        self.depth = depth
        self.names = names if names is not None else Names()
        self._label = ""

    def child(self, depth: int | None = None) -> Block:
        """An empty block sharing this one's names (code to be placed into it later)."""
        return Block(self.depth if depth is None else depth, self.names)

    def _stmt(self, depth: int, text: str, keyword: str = "", comment: str = "",
              reads: Iterable[str] = (), writes: Iterable[str] = (), loose: bool = False) -> None:
        comment, self._label = comment or self._label, ""
        self.entries.append(Stmt(depth, text, keyword, comment, self.names.take() | frozenset(reads),
                                 frozenset(writes), loose))

    def label(self, comment: str) -> None:
        """A comment for the next statement written (what the code that starts there is)."""
        self._label = comment

    def __call__(self, text: str, comment: str = "", *, reads: Iterable[str] = (),
                 writes: Iterable[str] = ()) -> None:
        """A statement; `reads`/`writes` the state names it uses besides those registered."""
        self._stmt(self.depth, text, comment=comment, reads=reads, writes=writes)

    def assign(self, target: str, value: str, op: str = "=", comment: str = "", *,
               reads: Iterable[str] = ()) -> None:
        """`target = value` (or `+=`, `-=`): the write of `target` is recorded."""
        self._assignment(self.depth, target, value, op, comment, reads)

    def nested(self, text: str, *, reads: Iterable[str] = (), writes: Iterable[str] = ()) -> None:
        """A line one level deeper: the one-line body of the statement just written."""
        self._stmt(self.depth + 1, text, reads=reads, writes=writes)

    def nested_assign(self, target: str, value: str, op: str = "=") -> None:
        """`target = value` one level deeper (the one-line body of the statement just written)."""
        self._assignment(self.depth + 1, target, value, op)

    def lower_to(self, target: str, value: str, *, reads: Iterable[str] = ()) -> None:
        """`target = min(target, value)` spelled as a test: `if value < target: target = value`
        (a call to min costs ten times the test, and `tnext` is lowered at every event)."""
        self.if_(f"{value} < {target}", reads=(*reads, target),
                 comment="noqa: PLR1730 - a call to min() costs ten times the test")
        self.nested_assign(target, value)

    def _assignment(self, depth: int, target: str, value: str, op: str, comment: str = "",
                    reads: Iterable[str] = ()) -> None:
        augmented = op != "="  # `x += 1` reads x too
        self._stmt(depth, f"{target} {op} {value}", comment=comment,
                   reads=(*reads, target) if augmented else reads, writes=(target,))

    def if_(self, cond: str, *, chained: bool = False, comment: str = "",
            reads: Iterable[str] = (), loose: bool = False) -> None:
        """`if cond:` (`elif cond:` when `chained`); its body follows, one level deeper.

        The emitters' conditions are operands of `and` as they stand (expressions
        come parenthesized, parts are joined with `and`); one whose writer put an
        `or` (or a conditional expression) at its top says so with `loose`.
        """
        self._stmt(self.depth, cond, "elif" if chained else "if", comment, reads=reads, loose=loose)

    def elif_(self, cond: str) -> None:
        self.if_(cond, chained=True)

    def else_(self) -> None:
        self._stmt(self.depth, "", "else")

    def extend(self, other: Block) -> None:
        self.entries += other.entries

    def shifted(self, levels: int) -> Block:
        """The same statements `levels` deeper (the same code inside one more block)."""
        out = self.child(self.depth + levels)
        out.entries = [replace(e, depth=e.depth + levels) for e in self.entries]
        return out

    def empty(self) -> bool:
        return not any(isinstance(e, Stmt) for e in self.entries)

    def statements(self) -> list[Stmt]:
        return [e for e in self.entries if isinstance(e, Stmt)]

    def reads(self) -> set[str]:
        """Every name a statement of this block reads (or writes: a write needs the name bound)."""
        return {name for stmt in self.statements() for name in stmt.reads | stmt.writes}

    def writes(self) -> set[str]:
        return {name for stmt in self.statements() for name in stmt.writes}

    @contextmanager
    def indent(self):
        self.depth += 1
        start = len(self.entries)
        yield
        if not any(isinstance(e, Stmt) for e in self.entries[start:]):
            self("pass")
        self.depth -= 1

    @contextmanager
    def mapped(self, source: int):
        """Code that belongs to one rule (or flow, stage): the source map records its lines."""
        self.entries.append(Mark(self.depth, source))
        yield
        self.entries.append(Mark(self.depth, None))

    def lines(self) -> tuple[list[str], list[tuple[int, int, int]]]:
        """The rendered lines, and (first, last, source) per mapped range (0-based, inclusive)."""
        lines: list[str] = []
        spans, open_marks = [], []
        for entry in merge_nested_ifs(self.entries):
            if isinstance(entry, Stmt):
                lines.append(entry.render())
            elif entry.source is not None:
                open_marks.append((len(lines), entry.source))
            else:
                first, source = open_marks.pop()
                if len(lines) > first:
                    spans.append((first, len(lines) - 1, source))
        return lines, spans


class Sources:
    """The source map's table: (label, file, line) by number.

    A rule's number is its index, the one its generated names (`rl12`) and
    `_RULES` use; flows and stages are numbered after the rules, in first use.
    """

    def __init__(self, rules: Iterable[tuple[int, str, str, int]] = ()):
        self.entries: dict[int, tuple[str, str, int]] = {
            index: (label, file, line) for index, label, file, line in rules}
        self._next = max(self.entries, default=-1) + 1

    def add(self, label: str, file: str, line: int) -> int:
        entry = (label, file, line)
        for number, known in self.entries.items():
            if known == entry:
                return number
        self.entries[self._next] = entry
        self._next += 1
        return self._next - 1


def merge_nested_ifs(entries: list[Stmt | Mark]) -> list[Stmt | Mark]:
    """`if a:` whose whole body is `if b:` (no else on either) becomes `if a and b:`.

    Also `elif a:` when no `else:` ends its chain (an event dispatch chain):
    there, falling through to the following `elif`s instead changes nothing.
    A source-map range around the inner `if` moves out to cover the merged line.
    """
    entries = list(entries)
    i = 0
    while i < len(entries) - 1:
        outer = entries[i]
        if not (isinstance(outer, Stmt) and outer.keyword in ("if", "elif")):
            i += 1
            continue
        depth = outer.depth
        marked = isinstance(entries[i + 1], Mark) and entries[i + 1].source is not None
        at = i + 2 if marked else i + 1
        inner = entries[at] if at < len(entries) else None
        if isinstance(inner, Stmt) and inner.keyword == "if" and inner.depth == depth + 1:
            end_outer = _block_end(entries, i, depth)
            end_inner = _block_end(entries, at, depth + 1)
            closing = end_inner + 1 if marked else end_inner
            safe = (not _continues(entries, end_outer, depth) if outer.keyword == "if"
                    else not _chain_has_else(entries, end_outer, depth))
            if (closing == end_outer and safe and not _continues(entries, end_inner, depth + 1)
                    and (not marked or _is_end(entries, end_inner))):
                cond = f"{_operand(outer)} and {_operand(inner)}"
                body = [replace(e, depth=e.depth - 1) for e in entries[at + 1:end_inner]]
                comment = "; ".join(c for c in (outer.comment, inner.comment) if c)
                merged = [replace(outer, text=cond, reads=outer.reads | inner.reads, loose=False,
                                  comment=comment)] + body
                if marked:
                    merged = ([replace(entries[i + 1], depth=depth)] + merged
                              + [replace(entries[end_inner], depth=depth)])
                entries[i:closing] = merged
                continue
        i += 1
    return entries


def _is_end(entries: list[Stmt | Mark], at: int) -> bool:
    return at < len(entries) and isinstance(entries[at], Mark) and entries[at].source is None


def _chain_has_else(entries: list[Stmt | Mark], at: int, depth: int) -> bool:
    """Whether the if/elif chain continuing at `at` ends with an `else:`."""
    while _continues(entries, at, depth):
        if entries[at].keyword == "else":
            return True
        at = _block_end(entries, at, depth)
    return False


def _block_end(entries: list[Stmt | Mark], start: int, depth: int) -> int:
    """Index just past the statement at `start` and its body (entries deeper than `depth`)."""
    end = start + 1
    while end < len(entries) and entries[end].depth > depth:
        end += 1
    return end


def _continues(entries: list[Stmt | Mark], at: int, depth: int) -> bool:
    if at >= len(entries):
        return False
    entry = entries[at]
    return isinstance(entry, Stmt) and entry.depth == depth and entry.keyword in ("elif", "else")


def _operand(stmt: Stmt) -> str:
    """An `if`'s condition as an operand of `and`: parenthesized only when its writer said so."""
    return f"({stmt.text})" if stmt.loose else stmt.text
