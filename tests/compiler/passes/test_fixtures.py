"""Each pass on a small rule file of its own: the IR dump before and after it.

For every pass in `PASSES` there is `fixtures/NAME.leadflow` and two golden
dumps (compiler/irdump.py): `NAME.before.ir`, the program after the passes
that precede NAME, and `NAME.after.ir`, after NAME itself. So

    diff tests/compiler/passes/fixtures/NAME.before.ir tests/compiler/passes/fixtures/NAME.after.ir

is what the pass does, as `leadflow compile --emit ir` shows it. After a
deliberate change to a pass or the IR, regenerate them and review the diff:

    LEADFLOW_UPDATE_GOLDEN=1 .venv/bin/pytest tests/compiler/passes/test_fixtures.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadflow.api import load_text
from leadflow.cli import cli
from leadflow.compiler import irdump
from leadflow.compiler.lower import lower
from leadflow.compiler.passes import PASS_NAMES, PASSES, optimize

FIXTURES = Path(__file__).parent / "fixtures"
UPDATE = os.environ.get("LEADFLOW_UPDATE_GOLDEN") == "1"


def before_and_after(index: int) -> tuple[str, str]:
    name = PASS_NAMES[index]
    loaded = load_text((FIXTURES / f"{name}.leadflow").read_text(encoding="utf-8"), f"{name}.leadflow")
    assert loaded.model is not None, [d.message for d in loaded.diagnostics]
    before = optimize(lower(loaded.model), skip=PASS_NAMES[index:])
    return irdump.dump(before), irdump.dump(PASSES[index](before))


def test_every_pass_has_a_fixture_and_every_fixture_a_pass():
    rule_files = {path.stem for path in FIXTURES.glob("*.leadflow")}
    dumps = {path.name for path in FIXTURES.glob("*.ir")}
    assert rule_files == set(PASS_NAMES)
    assert dumps == {f"{name}.{when}.ir" for name in PASS_NAMES for when in ("before", "after")}


@pytest.mark.parametrize("index", range(len(PASSES)), ids=PASS_NAMES)
def test_the_pass_changes_its_fixture_as_the_golden_dumps_show(index):
    name = PASS_NAMES[index]
    got = dict(zip(("before", "after"), before_and_after(index), strict=True))
    assert got["before"] != got["after"], f"{name} changes nothing its dump shows on its fixture"
    for when, text in got.items():
        golden = FIXTURES / f"{name}.{when}.ir"
        if UPDATE:
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8"), \
            f"the IR {when} {name} changed; review and regenerate (see this file's docstring)"


@pytest.mark.parametrize("name", PASS_NAMES)
def test_leaving_the_pass_out_shows_in_the_cli_dump(name):
    """`leadflow compile --emit ir` with and without `--skip-pass NAME` differ on its fixture."""
    def dump(*options: str) -> str:
        path = str(FIXTURES / f"{name}.leadflow")
        result = CliRunner().invoke(cli, ["compile", path, "--emit", "ir", "-o", "-", *options])
        assert result.exit_code == 0, result.output
        return result.stdout
    assert dump() != dump("--skip-pass", name)
