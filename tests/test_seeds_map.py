"""docs/seeds.md maps the seed articles to the examples; keep the map true.

Every rule, flow and stage named in its tables (`rule x`, `flow x`, `stage x`)
exists in the examples, every test named (in double quotes, last column)
exists, and every rule and flow of examples/zapateria.leadflow is named, so a
rule added to the shop without its seed sentence, or renamed, fails here.
Rules marked "(added with the list aggregates)" are written by the change
that adds those aggregates; until it lands they may be missing.
"""

from __future__ import annotations

import re
from pathlib import Path

from leadflow.api import load_file

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (ROOT / "docs" / "seeds.md").read_text("utf-8")
EXAMPLES = sorted((ROOT / "examples").glob("*.leadflow"))
PENDING_MARK = "*(added with the list aggregates)*"


def _rows() -> list[list[str]]:
    rows = []
    for line in SEEDS.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and not set(cells[0]) <= {"-"} \
                and cells[0] != "the seed says":
            rows.append(cells)
    return rows


ROWS = _rows()


def _named(kind: str) -> set[str]:
    return {m for row in ROWS for m in re.findall(rf"`{kind} (\w+)", row[2])}


def _pending() -> set[str]:
    return {m for row in ROWS for m in re.findall(r"`rule (\w+)` " + re.escape(PENDING_MARK),
                                                     row[2])}


def _models():
    return [load_file(str(path)).model for path in EXAMPLES]


def test_the_map_has_every_seed_article_and_many_sentences():
    assert len(re.findall(r"^## \d\. ", SEEDS, re.MULTILINE)) == 5
    assert len(ROWS) >= 40
    assert all(row[0].startswith("«") and row[1] and row[2] for row in ROWS)


def test_every_rule_flow_and_stage_named_exists():
    models = _models()
    rules = {r.id for m in models for r in m.rules}
    flows = {f for m in models for f in m.flows}
    stages = {s.name for m in models for s in m.stages}
    assert _named("rule") - _pending() <= rules, _named("rule") - _pending() - rules
    assert _named("flow") <= flows
    assert _named("stage") <= stages


def test_no_rule_is_pending_any_more():
    """The list aggregates, `this` and `lower()` have landed: every rule on the map exists."""
    assert _pending() == set()


def test_every_test_named_exists():
    tests = {t.name for m in _models() for t in m.tests}
    # Test names are in double quotes; code in backticks may quote too.
    named = {name for row in ROWS
             for name in re.findall(r'"([^"]+)"', re.sub(r"`[^`]*`", "", row[3]))}
    assert named and named <= tests, named - tests


def test_every_rule_and_flow_of_the_shop_is_on_the_map():
    shop = load_file(str(ROOT / "examples" / "zapateria.leadflow")).model
    missing = ({r.id for r in shop.rules} - _named("rule")) | (set(shop.flows) - _named("flow"))
    assert missing == set(), f"not on docs/seeds.md: {sorted(missing)}"
