"""The canonical layout of a `.leadflow` file: `format_module(module) -> str`.

The layout is described for users in docs/formatting.md. In short: one
statement per line, blocks (`flow`, `test`, `if`) indented by two spaces and
closed by `end`, single blank lines kept where the source had blank lines, and
every comment kept.

Comments come from `Module.comments` with their spans. Each block (the file, a
flow, a test, an if) hands out its comments by position:
- a comment on the line where an item ends stays at the end of that line;
- a comment before an item is printed on its own line(s) above it;
- a comment inside a statement that prints on one line (a rule spread over
  several lines) is moved above that statement;
- a comment on a block's header line (`flow f  # ...`) stays on it, and one
  inside a block goes to the item of that block it precedes, or before `end`;
- comments after the last statement of the file stay at the end.

Items are laid out as `Line`s (code, trailing comment, rule label) and the
columns are aligned last, over the whole file (leadflow.dsl.format_align).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.dsl import ast
from leadflow.dsl.format_align import Line, align
from leadflow.dsl.format_expr import format_expr, format_string
from leadflow.dsl.format_statements import format_statement, rule_label, rule_lines

INDENT = "  "
_BLOCKS = (ast.FlowDecl, ast.TestBlock, ast.If)


def format_module(module: ast.Module) -> str:
    """The file's text in the canonical layout, with its comments; "" for an empty file."""
    comments = sorted(module.comments, key=_start)
    groups, tail = _layout(list(module.body), comments, "")
    for (node, group), (before, _) in zip(groups[1:], groups):
        # A flow or a test stands apart from its neighbours.
        if isinstance(node, (ast.FlowDecl, ast.TestBlock)) or isinstance(before, (ast.FlowDecl, ast.TestBlock)):
            group.blank_before = True
    if tail and groups and isinstance(groups[-1][0], (ast.FlowDecl, ast.TestBlock)):
        tail[0].blank_before = True
    lines = align(_emit([g for _, g in groups] + tail))
    return "\n".join(lines) + "\n" if lines else ""


# ------------------------------------------------------------------ layout


@dataclass
class _Group:
    """The lines one item (or one stray comment) prints, and whether a blank line precedes them."""

    lines: list[Line]
    blank_before: bool = False
    leading_lines: int = 0  # how many of `lines` are comments (and blanks) above the item


@dataclass
class _Slot:
    """The comments that belong to one item of a block."""

    leading: list[ast.Comment] = field(default_factory=list)
    inner: list[ast.Comment] = field(default_factory=list)
    trailing: ast.Comment | None = None


def _emit(groups: list[_Group]) -> list[Line]:
    """Groups to lines; the first group of a block never starts with a blank line."""
    lines: list[Line] = []
    for index, group in enumerate(groups):
        if group.blank_before and index > 0:
            lines.append(Line())
        lines.extend(group.lines)
    return lines


def _layout(ordered: list, comments: list[ast.Comment], indent: str):
    """Lay out the items of one block (in source order) with their comments.

    Returns `[(item, group)]` in source order and the groups of the comments
    that follow the last item (before `end`, or at the end of the file).
    """
    slots = [_Slot() for _ in ordered]
    tail_comments: list[ast.Comment] = []
    index = 0
    for comment in comments:
        index = _owner(comment, ordered, index)
        if index == len(ordered):
            tail_comments.append(comment)
            continue
        where = _relation(comment, ordered[index])
        slot = slots[index]
        if where == "before":
            slot.leading.append(comment)
        elif where == "inside":
            slot.inner.append(comment)
        else:
            slot.trailing = comment

    groups: list[tuple[object, _Group]] = []
    previous_line: int | None = None  # last source line of the previous element
    for item, slot in zip(ordered, slots):
        # The item's group: its leading comments, then the comments moved out
        # of it, then the item itself (with its trailing comment).
        lines: list[Line] = []
        blank_before: bool | None = None
        for line, text in [(c.span.line, c.text) for c in slot.leading] + [(item.span.line, None)]:
            gap = _gap(previous_line, line)
            if blank_before is None:
                blank_before = gap
            elif gap:
                lines.append(Line())
            if text is not None:
                lines.append(Line(indent + text))
                previous_line = line
        leading_lines = len(lines)
        hoisted, kept = _split_inner(item, slot.inner)
        lines += [Line(indent + c.text) for c in hoisted] + _render(item, kept, indent)
        if slot.trailing is not None:
            lines[-1].comment = slot.trailing.text  # an item's last line has no comment yet
        groups.append((item, _Group(lines, bool(blank_before), leading_lines)))
        previous_line = item.span.end_line
    tail = []
    for comment in tail_comments:
        tail.append(_Group([Line(indent + comment.text)], _gap(previous_line, comment.span.line)))
        previous_line = comment.span.end_line
    return groups, tail


def _gap(previous_line: int | None, line: int) -> bool:
    """Whether the source had a blank line between the previous element and this line."""
    return previous_line is not None and line > previous_line + 1


def _start(node) -> tuple[int, int]:
    return node.span.line, node.span.column


def _end(node) -> tuple[int, int]:
    return node.span.end_line, node.span.end_column


def _relation(comment: ast.Comment, item) -> str:
    """Where a comment stands relative to an item: before, inside, trailing or after."""
    where = _start(comment)
    if where < _start(item):
        return "before"
    if where < _end(item):
        return "inside"
    return "trailing" if comment.span.line == item.span.end_line else "after"


def _owner(comment: ast.Comment, ordered: list, index: int) -> int:
    """The index of the item a comment belongs to (len(ordered) when it follows them all)."""
    while index < len(ordered):
        where = _relation(comment, ordered[index])
        next_starts_before = index + 1 < len(ordered) and _start(ordered[index + 1]) < _start(comment)
        if where == "after" or (where == "trailing" and next_starts_before):
            index += 1
            continue
        break
    return index


def _split_inner(item, inner: list[ast.Comment]) -> tuple[list[ast.Comment], list[ast.Comment]]:
    """Comments inside an item: those to move above it, and those its block keeps."""
    if not isinstance(item, _BLOCKS):
        return inner, []  # a one-line statement cannot hold a comment inside
    above, on_header, body = _partition(item, inner)
    return above, on_header + body


def _partition(block, comments: list[ast.Comment]):
    """A block's inner comments: inside its header (to move above it), at the end of
    its header line (kept there), and in its body."""
    header_line = _header_end_line(block)
    children = _children(block)
    above: list[ast.Comment] = []
    on_header: list[ast.Comment] = []
    body: list[ast.Comment] = []
    for comment in comments:
        in_header = not children or _start(comment) < _start(children[0])
        if in_header and comment.span.line < header_line:
            above.append(comment)
        elif in_header and comment.span.line == header_line:
            on_header.append(comment)
        else:
            body.append(comment)
    return above, on_header, body


def _header_end_line(block) -> int:
    """The last line of a block's header: `if` ends its header with its condition."""
    if isinstance(block, ast.If):
        return block.cond.span.end_line
    return block.span.line


def _children(block) -> list:
    """A block's items in source order."""
    if isinstance(block, ast.FlowDecl):
        # The AST keeps triggers and steps apart; interleave them back by position
        # (stable, so trees built by hand, without positions, keep triggers first).
        return sorted(list(block.triggers) + list(block.steps), key=_start)
    if isinstance(block, ast.TestBlock):
        return list(block.steps)
    return list(block.then) + list(block.otherwise)


# ------------------------------------------------------------------- items


def _render(item, comments: list[ast.Comment], indent: str) -> list[Line]:
    """The lines of one item; `comments` are those inside a block item."""
    if isinstance(item, ast.FlowDecl):
        return _block(item, f"flow {item.name}", comments, indent)
    if isinstance(item, ast.TestBlock):
        return _block(item, f"test {format_string(item.name)}", comments, indent)
    if isinstance(item, ast.If):
        return _block(item, f"if {format_expr(item.cond)}", comments, indent)
    if isinstance(item, ast.Rule):
        first, *continuation = rule_lines(item)
        # Alignment pads after the label; it is not counted in the rule's width.
        label = 0 if item.name is None else len(indent + rule_label(item))
        return ([Line(indent + first, label=label)]
                + [Line(indent + text, continues=True) for text in continuation])
    return [Line(indent + format_statement(item))]


def _block(block, header: str, comments: list[ast.Comment], indent: str) -> list[Line]:
    """`header`, the block's items one level deeper, `end`."""
    _, on_header, inside = _partition(block, comments)  # nothing is left above by now
    head = Line(indent + header, "  ".join(c.text for c in on_header) or None)
    groups, tail = _layout(_children(block), inside, indent + INDENT)
    if isinstance(block, ast.FlowDecl):
        # Triggers first, then steps (stable: each keeps its source order).
        groups.sort(key=lambda pair: not isinstance(pair[0], ast.FlowTrigger))
    body = _emit([g for _, g in groups] + tail)
    if isinstance(block, ast.If) and block.otherwise:
        # Source order puts the `then` steps first; `else` goes before the rest.
        split = len(block.then)
        then_groups = [g for _, g in groups[:split]]
        else_groups = [g for _, g in groups[split:]]
        # `else` has no position in the AST: the source lines between the two
        # branches cannot be told apart from blank ones, so no blank line is
        # kept among the comments that open the `else` branch.
        first = else_groups[0]
        first.lines = ([line for line in first.lines[:first.leading_lines] if line.code]
                       + first.lines[first.leading_lines:])
        body = _emit(then_groups) + [Line(indent + "else")] + _emit(else_groups + tail)
    return [head] + body + [Line(indent + "end")]
