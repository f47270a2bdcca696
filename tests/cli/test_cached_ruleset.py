"""`leadflow run` of a rule file it ran before (compiler/cached_engine.py).

The second run of an unchanged file takes its compiled module and what else the
run needs from the cache, without parsing or checking the file (nor importing the
parser, the checker or the syntax tree's classes), and writes the same bytes, the
same warnings and the same summary. A cache entry that is damaged, or whose module
is gone, is passed over: the file is loaded the ordinary way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from leadflow.api import load_file
from leadflow.runtime.ruleset_facts import RulesetFacts

ROOT = Path(__file__).resolve().parent.parent.parent
SHOP = ROOT / "examples" / "zapateria.leadflow"
EVENTS = ROOT / "examples" / "data" / "zapateria_events.csv"
LEADS = ROOT / "examples" / "data" / "zapateria_leads.csv"

# `leadflow run ...` as the program runs it; then which front-end modules it imported.
PROBE = """
import sys
from leadflow.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="leadflow")
except SystemExit as exc:
    code = exc.code
front = sorted(m for m in sys.modules if m in ("lark", "leadflow.dsl.ast", "leadflow.dsl.checker"))
print("IMPORTED", ",".join(front), "CODE", code, file=sys.stderr)
"""


def run(out: Path, cache: Path, *extra: str) -> tuple[str, str, dict[str, bytes]]:
    env = {**os.environ, "LEADFLOW_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", PROBE, "run", str(SHOP), str(EVENTS),
                           "--leads", str(LEADS), "--out", str(out), "--points", "--cancelled",
                           *extra],
                          capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    return done.stdout, done.stderr, files


def imported(stderr: str) -> str:
    return stderr.rsplit("IMPORTED", 1)[1].strip()


def without_times(stderr: str) -> str:
    """The summary without its timings and the probe's line."""
    return "\n".join(line for line in stderr.splitlines()
                     if not line.strip().startswith("time") and "IMPORTED" not in line)


def test_the_second_run_skips_the_front_end_and_writes_the_same(tmp_path):
    cache = tmp_path / "cache"
    out1, err1, files1 = run(tmp_path / "a", cache)
    assert "leadflow.dsl.ast" in imported(err1)
    out2, err2, files2 = run(tmp_path / "b", cache)
    assert imported(err2).startswith("CODE 0"), imported(err2)  # none of them imported
    assert files1 == files2  # leads, actions, pending (the timers' words), points, run.json...
    assert out1.replace(str(tmp_path / "a"), "OUT") == out2.replace(str(tmp_path / "b"), "OUT")
    assert (without_times(err1).replace(str(tmp_path / "a"), "OUT")
            == without_times(err2).replace(str(tmp_path / "b"), "OUT"))
    assert "warning: this rule fires on every `purchase`" in err2


def test_a_damaged_entry_or_a_lost_module_is_loaded_anew(tmp_path):
    cache = tmp_path / "cache"
    _, _, expected = run(tmp_path / "a", cache)
    (entry,) = cache.glob("ruleset-*.json")
    entry.write_bytes(entry.read_bytes() + b" ")
    _, err, files = run(tmp_path / "b", cache)
    assert "leadflow.dsl.ast" in imported(err) and files == expected
    for module in cache.glob("leadflow_*.py"):
        module.unlink()
    _, err, files = run(tmp_path / "c", cache)  # the entry was rewritten; its module is gone
    assert "leadflow.dsl.ast" in imported(err) and files == expected


def test_the_facts_survive_their_json():
    model = load_file(str(SHOP)).model
    facts = RulesetFacts.of(model)
    assert facts.timer_words and facts.set_attributes is not None
    assert RulesetFacts.from_json(facts.to_json()) == facts
