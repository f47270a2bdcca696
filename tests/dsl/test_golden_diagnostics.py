"""Golden diagnostics: every `tests/dsl/golden/*.leadflow` through `leadflow check`.

Each bad input sits next to a `.expected` file holding exactly what `leadflow
check tests/dsl/golden/NAME.leadflow`, run from the repository root, prints on
stderr. `syntax_*` files are parse errors, `semantic_*` files checker errors;
both exit 1. `warning_*` files hold only warnings and exit 0. A file whose
first line is `# leadflow check OPTIONS` is checked with those options (e.g.
`--strict`).

To accept new output after a deliberate change, rerun with
`LEADFLOW_UPDATE_GOLDEN=1` and review the diff of the .expected files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadflow.commands.check import command as check_command

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("LEADFLOW_UPDATE_GOLDEN") == "1"
CASES = sorted(GOLDEN.glob("*.leadflow"))


def run_check(source: Path, monkeypatch: pytest.MonkeyPatch):
    """`leadflow check` on one file, from the repository root so paths print relative."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("FORCE_COLOR", raising=False)  # plain text, whatever the CI sets
    relative = source.relative_to(ROOT).as_posix()
    first_line = source.read_text("utf-8").split("\n", 1)[0]
    options = first_line.split()[3:] if first_line.startswith("# leadflow check ") else []
    # The command object itself, not the whole `leadflow` group: a half-written
    # sibling command must not break these tests.
    return CliRunner().invoke(check_command, [*options, relative], catch_exceptions=True)


def test_there_are_enough_syntax_cases():
    assert len([c for c in CASES if c.name.startswith("syntax_")]) >= 18


@pytest.mark.parametrize("source", CASES, ids=[c.stem for c in CASES])
def test_golden_diagnostics(source: Path, monkeypatch: pytest.MonkeyPatch):
    expected_file = source.with_suffix(".expected")
    result = run_check(source, monkeypatch)

    # A crash inside the command would also exit 1: rule it out first.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    wanted = 0 if source.name.startswith("warning_") else 1
    assert result.exit_code == wanted, f"expected exit {wanted}, got {result.exit_code}:\n" \
                                       f"{result.stderr}"

    if UPDATE:
        expected_file.write_text(result.stderr, encoding="utf-8")
    assert expected_file.exists(), f"no {expected_file.name}; run with LEADFLOW_UPDATE_GOLDEN=1"
    expected = expected_file.read_text(encoding="utf-8")
    # A final newline is not significant: editors add or strip it.
    assert result.stderr.rstrip("\n") == expected.rstrip("\n")


@pytest.mark.parametrize("source", CASES, ids=[c.stem for c in CASES])
def test_each_report_starts_with_a_position(source: Path, monkeypatch: pytest.MonkeyPatch):
    """The first line reads `path:line:col: error:` (or warning), the form editors jump to;
    the last one counts them."""
    result = run_check(source, monkeypatch)
    first = result.stderr.splitlines()[0]
    assert re.match(r"^[^:\s]+\.leadflow:[1-9]\d*:[1-9]\d*: (error|warning): \S", first), first
    assert not Path(first.split(":")[0]).is_absolute()
    last = result.stderr.splitlines()[-1]
    assert re.fullmatch(r"\d+ errors?, \d+ warnings? in 1 file", last), last
