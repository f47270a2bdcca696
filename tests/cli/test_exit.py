"""How the `leadflow` program ends (leadflow/cli.py `main`): without tearing the interpreter
down, but with every line written, `atexit` functions run and the right exit code.

Run as users run it: `main()` in a fresh interpreter, its output through pipes.
"""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOP = os.path.join(ROOT, "examples", "zapateria.leadflow")

# main() as the console script calls it, after an atexit function that prints last.
PROGRAM = """
import atexit, sys
atexit.register(lambda: print("atexit ran", file=sys.stderr, flush=True))
from leadflow.cli import main
sys.argv[0] = "leadflow"
main()
print("not reached: main() exits")
"""


def leadflow(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_a_command_ends_with_its_output_written_and_atexit_run():
    done = leadflow("check", SHOP)
    assert done.returncode == 0, done.stderr
    assert "not reached" not in done.stdout
    assert "0 errors, 1 warning in 1 file" in done.stderr  # the report's last line arrived
    assert done.stderr.rstrip().endswith("atexit ran")


def test_a_long_report_reaches_the_pipe_whole():
    """More than a pipe's buffer (64 KiB) of output, written before the quick exit."""
    done = leadflow("compile", SHOP, "-o", "-")  # the module on stdout
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 64 * 1024, len(done.stdout)
    assert done.stdout == leadflow("compile", SHOP, "-o", "-").stdout  # whole each time


def test_usage_errors_keep_their_exit_code_and_message():
    done = leadflow("run", SHOP, "--format", "xml")
    assert done.returncode == 2
    assert "--format" in done.stderr
    assert done.stderr.rstrip().endswith("atexit ran")


def test_rule_errors_keep_exit_code_1(tmp_path):
    bad = tmp_path / "bad.leadflow"
    bad.write_text("rule r: on nothing add 1\n", encoding="utf-8")
    done = leadflow("check", str(bad))
    assert done.returncode == 1
    assert "error:" in done.stderr


def test_a_closed_pipe_is_an_ordinary_exit():
    """`leadflow ... | head -1`: the rest of the output has nowhere to go; no traceback."""
    reader = subprocess.Popen([sys.executable, "-c", PROGRAM, "compile", SHOP, "-o", "-"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.readline()
    reader.stdout.close()
    _, err = reader.communicate(timeout=120)
    assert b"Traceback" not in err
