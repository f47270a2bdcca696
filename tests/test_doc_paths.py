"""Every repository path the docs name exists: README.md and docs/*.md.

A backticked span is taken for a path into this repository when it starts
with one of the repository's own top-level folders (`runtime/driver.py`,
`leadflow/testing/`) and holds nothing but path characters; relative link
targets (`[semantics](docs/semantics.md)`) are checked too. Paths the user
chooses (`out/leads.csv`) start elsewhere and are left alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")
       and p.name not in ("build", "__pycache__") and not p.name.endswith(".egg-info")} | {".ci"}
PATH = re.compile(r"[A-Za-z0-9_.\-/]+")
SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
# Written by a run, not kept in the repository (`make demo`, bench/gen_events.py).
GENERATED = ("examples/out", "examples/report.html", "bench/data")


def quoted_paths(doc: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    found = []
    for span in SPAN.findall(text):
        first = span.split("/")[0]
        if "/" in span and PATH.fullmatch(span) and first in TOP and not span.startswith(GENERATED):
            found.append(span.rstrip("/"))
    for target in LINK.findall(text):
        if "://" not in target and not target.startswith("mailto:"):
            found.append(str((doc.parent / target).resolve().relative_to(ROOT)))
    return sorted(set(found))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_path_a_doc_names_exists(doc):
    missing = [p for p in quoted_paths(doc) if not (ROOT / p).exists()]
    assert missing == [], f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_the_docs_name_paths_at_all():
    """The pattern still finds paths (a broken pattern would pass every doc)."""
    assert "runtime/driver.py" in quoted_paths(ROOT / "docs" / "architecture.md")
