"""The front end never crashes: any input gives diagnostics or a model, never an exception.

`leadflow.api.load_text` (parse + check) is fed arbitrary text, arbitrary
bytes through `load_file`, the example file with random edits, and the
classic parser killers (deep nesting, megabyte files). A few also go through
the real `leadflow check` process, which must exit 1 with a positioned
message and no traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from leadflow.api import load_file, load_text
from leadflow.commands import check as check_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "examples" / "zapateria.leadflow").read_text("utf-8")
GRAMMAR = (ROOT / "grammars" / "leadflow.lark").read_text("utf-8")
KEYWORDS = sorted(set(re.findall(r'"([a-z]+)"', GRAMMAR)))
# Pieces a rule author types, right and wrong; sequences of them reach deep parser states.
PIECES = KEYWORDS + [
    "purchase", "amount", "engagement", "category", "sql", "x", "lead.country", ".", "(", ")",
    "[", "]", ",", ":", "=", "==", "!=", ">=", "<", ">", "+", "-", "*", "/", "%", "0", "1", "3.5",
    "30", '"botas"', '"*/tacon*"', '"', "'", "&&", "||", "!", "2024-01-10", "2024-01-10T09:30",
    "2024-01-10T09:30:00Z", "2024-13", "22:00", "9:00", "\n", "# note\n", "\t", "{", ";", "\x00",
    "\u00e9", "\U0001f389",
]
POSITIONED = re.compile(r"^[^\n]*:\d+:\d+: error: ")


def assert_handled(text: str, path: str = "fuzz.leadflow"):
    """load_text returns a model or at least one error, and everything renders."""
    loaded = load_text(text, path)
    assert loaded.model is not None or any(d.is_error for d in loaded.diagnostics)
    for diagnostic in loaded.diagnostics:
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1, diagnostic
    loaded.render()
    return loaded


# ----------------------------------------------------------------- fuzzing


@given(st.text(max_size=400))
def test_arbitrary_text(text):
    assert_handled(text)


@given(st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join))
def test_sequences_of_leadflow_pieces(text):
    assert_handled(text)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_through_load_file(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.leadflow"
        path.write_bytes(data)
        loaded = load_file(str(path))
        assert loaded.model is not None or any(d.is_error for d in loaded.diagnostics)
        loaded.render()


def test_bytes_that_are_not_utf8_and_nul_bytes(tmp_path):
    path = tmp_path / "latin1.leadflow"
    path.write_bytes('on purchase tag "zapato de se\u00f1ora"'.encode("latin-1"))
    (problem,) = load_file(str(path)).diagnostics
    assert problem.message == "the file is not UTF-8 text" and problem.span.line == 1
    path.write_bytes(b"event purchase\x00\non purchase add 1\n")
    (problem,) = load_file(str(path)).diagnostics
    assert problem.message == "unexpected character U+0000" and problem.span.column == 15


# ------------------------------------------------------- edits of a real file

def tokens(text: str) -> list[str]:
    """Rough leadflow tokens, blanks kept, so that joining them gives the text back."""
    return re.findall(r"\s+|[A-Za-z_]\w*|\d[\d.:TZ+-]*|\"[^\"\n]*\"|.", text, re.DOTALL) or [""]


@st.composite
def edited_example(draw) -> str:
    """The example file after one to four random character or token edits."""
    pieces = tokens(EXAMPLE)
    for _ in range(draw(st.integers(1, 4))):
        text = "".join(pieces)
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "swap",
                                     "delete-token", "insert-token", "duplicate-token",
                                     "swap-tokens"]))
        if kind.endswith(("token", "tokens")):
            i = draw(st.integers(0, len(pieces) - 1))
            j = draw(st.integers(0, len(pieces) - 1))
            if kind == "delete-token":
                pieces = pieces[:i] + pieces[i + 1:] or [""]
            elif kind == "insert-token":
                pieces.insert(i, draw(st.sampled_from(PIECES)))
            elif kind == "duplicate-token":
                pieces.insert(i, pieces[i])
            else:
                pieces[i], pieces[j] = pieces[j], pieces[i]
            continue
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 20)))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(st.text(min_size=1, max_size=5)) + text[i:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif len(text) > 1:
            i, j = min(i, len(text) - 2), min(i, len(text) - 2) + 1
            text = text[:i] + text[j] + text[i] + text[j + 1:]
        pieces = tokens(text)
    return "".join(pieces)


@given(edited_example())
def test_the_example_with_random_edits(text):
    assert_handled(text, "examples/zapateria.leadflow")


def test_the_example_itself_is_clean():
    assert assert_handled(EXAMPLE).ok


# ----------------------------------------------------- classic parser killers

DEEP = 10_000


@pytest.mark.parametrize("text", [
    "stage s when " + "(" * DEEP,
    "stage s when " + "(" * DEEP + "a > 1" + ")" * DEEP,
    "stage s when " + "not " * DEEP + "a",
    "stage s when " + "- " * DEEP + "1 > 0",
    "stage s when " + " + ".join(["a"] * DEEP) + " > 1",
    "stage s when a in [" + "[" * DEEP,
    "flow f start on x " + "if a > 1 " * DEEP + "end " * DEEP + "end",
    "on x add 1" + ", add 1" * DEEP,
], ids=["open-brackets", "closed-brackets", "not-chain", "minus-chain", "plus-chain",
        "list-brackets", "nested-ifs", "many-actions"])
def test_deep_or_long_constructs(text):
    assert_handled(text)


def test_deep_chains_are_reported_not_silently_accepted():
    for text in ("stage s when " + "not " * DEEP + "a", "stage s when " + "- " * DEEP + "1 > 0"):
        (problem,) = load_text(text, "deep.leadflow").diagnostics
        assert problem.message.startswith("too deeply nested")


def megabyte_of_rules() -> str:
    head = "event purchase(amount: number, category: text)\nevent email_open\nscore engagement\n"
    rules = []
    i = 0
    while sum(map(len, rules)) < 1_000_000:
        rules.append(f'rule r{i}: on purchase where amount > {i} and category == "c{i % 7}" '
                     f"count >= 2 within 30 days add 1\n")
        rules.append(f"rule e{i}: on email_open add 1 once per {i % 9 + 1} days\n")
        i += 1
    return head + "".join(rules)


def test_a_megabyte_of_valid_rules():
    loaded = assert_handled(megabyte_of_rules())
    assert loaded.ok, loaded.render()[:2000]


@pytest.mark.parametrize("junk", [
    "".join(chr(33 + (i * 7919) % 90) for i in range(1_000_000)),
    "( a b " * 170_000,
    "on x where " + "a > 1 and " * 25_000,
], ids=["printable-noise", "lexable-noise", "a-quarter-megabyte-condition"])
def test_a_megabyte_of_junk(junk):
    loaded = assert_handled(junk)
    assert not loaded.ok


@pytest.mark.parametrize("text", ["", "# only a comment", "# one\n\n# two\n", '"', "\n\n\n",
                                  "\ufeffevent a", "\r\n\r\n", "end", ")", "\\"],
                         ids=["empty", "one-comment", "comments", "one-quote", "newlines",
                              "byte-order-mark", "crlf", "end", "close-paren", "backslash"])
def test_tiny_files(text):
    assert_handled(text)


# --------------------------------------------------------- through the CLI

CLI_CASES = {
    "one-quote": b'"',
    "not-chain": ("stage s when " + "not " * DEEP + "a").encode(),
    "open-brackets": ("stage s when " + "(" * DEEP).encode(),
    "binary": bytes(range(256)),
    "junk": b"\xff\xfe junk \x00 on on on",
    "rule-without-action": b"event purchase(amount: number)\non purchase where amount > 100\n",
}


@pytest.mark.parametrize("content", CLI_CASES.values(), ids=CLI_CASES.keys())
def test_cli_reports_instead_of_crashing(content, tmp_path):
    path = tmp_path / "bad.leadflow"
    path.write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "leadflow.cli", "check", str(path)],
                          capture_output=True, text=True, timeout=120, errors="replace",
                          check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert POSITIONED.match(done.stderr), done.stderr[:500]
    assert done.stderr.startswith(str(path) + ":")


def test_cli_turns_an_internal_bug_into_a_diagnostic(monkeypatch, tmp_path):
    """The last line of defence in `check`: even a bug in leadflow prints no traceback."""

    def broken(path):
        raise RuntimeError("boom")

    monkeypatch.setattr(check_module, "load_file", broken)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "some.leadflow").write_text("event e\n")  # a missing file would be exit 2
    result = CliRunner().invoke(check_module.command, ["some.leadflow"])
    assert result.exit_code == 1
    assert result.stderr.startswith("some.leadflow:1:1: error: internal error while checking")
    assert "RuntimeError: boom" in result.stderr and "Traceback" not in result.stderr
