"""Column alignment, the formatter's last step: `align(lines) -> list[str]`.

Like gofmt, the formatter lines up what authors line up by hand:
- the bodies of a run of labelled rules start in one column, one space past the
  longest `rule NAME:` of the run;
- the trailing comments of a run of consecutive lines start in one column, two
  spaces past the longest code of the run.

Alignment is a function of the printed lines only (never of source columns), so
formatting aligned text again gives the same text. It only ever adds spaces
inside a line, so the lines themselves, and which comment sits on which line,
stay as the layout put them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

COMMENT_GAP = 2  # spaces between the longest code of a run and its comments
LABEL_GAP = 1  # spaces between the longest `rule NAME:` of a run and the rule bodies


@dataclass
class Line:
    """One printed line before alignment.

    `code` holds the indentation and the text ("" on a blank line; a comment on
    a line of its own is plain code here). `comment` is a trailing comment.
    `label` is the width of `rule NAME:` on the first line of a labelled rule,
    whose body follows after one space; `continues` marks the further lines of a
    rule broken at its clauses.
    """

    code: str = ""
    comment: str | None = None
    label: int = 0
    continues: bool = False


def align(lines: list[Line]) -> list[str]:
    """The text of each line, rule labels and trailing comments aligned."""
    codes = _align_labels(lines)
    return _align_comments(codes, [line.comment for line in lines])


def _align_labels(lines: list[Line]) -> list[str]:
    """Pad `rule NAME:` so the bodies of each run of labelled rules start in one column.

    A run is a sequence of labelled rules with nothing between them but the
    continuation lines of the rules themselves: a blank line, a comment line, an
    unlabelled rule or any other statement ends it. A run of one gets no padding.
    """
    codes = [line.code for line in lines]
    run: list[int] = []
    for i, line in enumerate([*lines, Line()]):  # the extra blank line ends the last run
        if line.label:
            run.append(i)
        elif not line.continues:
            if len(run) > 1:
                width = max(display_width(codes[j][:lines[j].label]) for j in run)
                for j in run:
                    label, code = lines[j].label, codes[j]
                    head = code[:label]
                    codes[j] = (head + " " * (width - display_width(head) + LABEL_GAP)
                                + code[label:].lstrip(" "))
            run = []
    return codes


def _align_comments(codes: list[str], comments: list[str | None]) -> list[str]:
    """Code and trailing comment; the comments of a run of lines start in one column.

    A run is a sequence of consecutive lines that each have code and a trailing
    comment, at the same indentation: a line without one, a blank line or a
    comment on a line of its own ends it (as in gofmt).
    """
    runs: list[list[int]] = []
    for i, (code, comment) in enumerate(zip(codes, comments)):
        if comment is None:
            continue
        previous = runs[-1][-1] if runs else None
        if previous == i - 1 and _indentation(codes[previous]) == _indentation(code):
            runs[-1].append(i)
        else:
            runs.append([i])
    texts = list(codes)
    for run in runs:
        column = max(display_width(codes[i]) for i in run) + COMMENT_GAP
        for i in run:
            texts[i] = codes[i] + " " * (column - display_width(codes[i])) + comments[i]
    return texts


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide East Asian characters take two,
    combining marks none, so names in any script line up."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _indentation(code: str) -> int:
    return len(code) - len(code.lstrip(" "))
