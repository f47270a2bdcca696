"""docs/trust.md shows real commands with their real output: replay them and compare.

Every fenced block with `$ ` lines is a shell session: each command (with its
`\\` continuation lines) runs from a scratch directory that sees the
repository's examples/, stdout and stderr together, and must print exactly the
lines that follow it in the doc. `$ echo $?` checks the previous exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "trust.md"


def blocks(text: str) -> list[str]:
    """The contents of the fenced blocks, fences paired in order."""
    found, current = [], None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                found.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return found


def sessions() -> list[list[tuple[str, str]]]:
    """Per block: (command, expected output) in order."""
    found = []
    for block in blocks(DOC.read_text("utf-8")):
        if not block.startswith("$ "):
            continue
        steps: list[tuple[str, list[str]]] = []
        continuing = False
        for line in block.splitlines():
            if continuing:
                steps[-1] = (steps[-1][0] + "\n" + line, [])
            elif line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
            continuing = line.endswith("\\") and not steps[-1][1]
        found.append([(command, "\n".join(out)) for command, out in steps])
    return found


SESSIONS = sessions()


def test_the_doc_has_sessions_for_every_command():
    commands = " ".join(c for s in SESSIONS for c, _ in s)
    for name in ("leadflow diff", "leadflow backtest", "leadflow fit"):
        assert name in commands


@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: s[0][0].split("\n")[0][:40])
def test_every_shown_output_is_what_the_command_prints(session, tmp_path):
    pytest.importorskip("sklearn")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    last = 0
    for command, expected in session:
        if command == "echo $?":
            assert str(last) == expected
            continue
        command = command.replace("/tmp/", f"{tmp_path}/")
        done = subprocess.run(["bash", "-c", command], check=False, cwd=tmp_path, env=env,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        last = done.returncode
        assert done.stdout.rstrip("\n") == expected.replace("/tmp/", f"{tmp_path}/"), command
