"""The conformance corpus: every `cases/*.case` run against every engine.

Each case is a ruleset, a small event log, an as-of time and the expected
leads, actions and transitions, written by hand from SPEC.md and
docs/semantics.md (see docs/conformance.md). The same cases run against every
engine in ENGINES, so the reference interpreter and the compiled module are
held to one semantics.
"""

from __future__ import annotations

import difflib
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conformance_case import (
    ACTIONS_HEADER,
    TRANSITIONS_HEADER,
    Case,
    CaseFormatError,
    canonical_json,
    canonical_number,
    csv_rows,
    format_time,
    parse_time,
    read_case,
    typed_value,
)

from leadflow.api import load_text
from leadflow.dsl.model import Model
from leadflow.runtime.engine import Engine, LeadResult, RulesetRuntimeError, run_lead

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.case"))


def engine_class(module: str, name: str) -> Callable[[Model], Engine]:
    """A factory `model -> engine`, imported when first used so that the corpus
    itself (and the other engines) still load while an engine is being written."""
    def factory(model: Model) -> Engine:
        return getattr(importlib.import_module(module), name)(model)
    return factory


# Adding an engine is one line here.
ENGINES = [
    pytest.param(engine_class("leadflow.runtime.interpreter", "Interpreter"), id="interpreter"),
    pytest.param(engine_class("leadflow.compiler.engine", "CompiledEngine"), id="compiled"),
]


# ------------------------------------------------------------------- loading


def load_case(path: Path) -> tuple[Case, Model]:
    case = read_case(path)
    loaded = load_text(case.sections["rules"] + "\n", case.rules_path)
    if not loaded.ok:
        pytest.fail(f"{path.name}: the rules do not load:\n{loaded.render()}", pytrace=False)
    return case, loaded.model


def lead_inputs(case: Case, model: Model) -> tuple[dict[str, list], dict[str, dict], int | None]:
    """Events grouped by lead (time order, equal times in input order), attributes, as-of."""
    zone = model.timezone
    _, rows = csv_rows(case.sections.get("events", ""))
    events: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for row in rows:
        decl = model.events.get(row["event"])
        if decl is None:
            raise CaseFormatError(f"event {row['event']!r} is not declared by the rules")
        declared = {f.name: f.type for f in decl.fields}
        for column, cell in row.items():
            if column not in ("lead_id", "event", "ts") and cell != "" and column not in declared:
                raise CaseFormatError(f"{row['event']} has no field {column!r} (row {row})")
        values = {name: typed_value(row[name], kind, zone)
                  for name, kind in declared.items() if row.get(name, "") != ""}
        events.setdefault(row["lead_id"], []).append((parse_time(row["ts"], zone), row["event"], values))

    attrs: dict[str, dict[str, Any]] = {}
    _, attr_rows = csv_rows(case.sections.get("lead_attrs", ""))
    for row in attr_rows:
        lead_id = row.pop("lead_id")
        unknown = set(row) - set(model.lead_fields)
        if unknown:
            raise CaseFormatError(f"lead_attrs: undeclared lead fields {sorted(unknown)}")
        attrs[lead_id] = {name: typed_value(cell, model.lead_fields[name].type, zone)
                          for name, cell in row.items() if cell != ""}

    as_of_text = case.sections.get("as_of", "").strip()
    all_times = [ts for lead_events in events.values() for ts, _, _ in lead_events]
    as_of = parse_time(as_of_text, zone) if as_of_text else max(all_times, default=None)
    for lead_id, lead_events in events.items():
        # Events after as-of are not applied (SPEC 9); sort is stable, so equal
        # timestamps keep input order (SPEC 4).
        applied = [e for e in lead_events if as_of is None or e[0] <= as_of]
        events[lead_id] = sorted(applied, key=lambda e: e[0])
    return events, attrs, as_of


def run_case(case: Case, model: Model, engine: Engine) -> list[LeadResult]:
    events, attrs, as_of = lead_inputs(case, model)
    return [run_lead(engine, lead_id, attrs.get(lead_id, {}), events.get(lead_id, []), as_of)
            for lead_id in sorted(set(events) | set(attrs))]


# ------------------------------------------------------------- normalizing


def row_text(cells: list[Any]) -> str:
    return ",".join(str(c) for c in cells)


def expected_tables(case: Case, scores: list[str]) -> dict[str, list[str]]:
    header, rows = csv_rows(case.sections["leads"])
    want_header = ["lead_id", *scores, "stage", "tags"]
    if header != want_header:
        raise CaseFormatError(f"leads header is {header}, the rules give {want_header}")
    leads = [row_text([r["lead_id"], *(canonical_number(float(r[s])) for s in scores), r["stage"],
                       ";".join(sorted(t for t in r["tags"].split(";") if t))]) for r in rows]
    tables = {"leads": sorted(leads)}

    header, rows = csv_rows(case.sections.get("actions", ""))
    if rows and header != ACTIONS_HEADER:
        raise CaseFormatError(f"actions header is {header}, expected {ACTIONS_HEADER}")
    tables["actions"] = [row_text([r["lead_id"], format_time(parse_time(r["at"], "UTC")), r["rule"],
                                   r["kind"], r["target"], canonical_json(json.loads(r["args"] or "{}"))])
                         for r in rows]

    header, rows = csv_rows(case.sections.get("transitions", ""))
    if rows and header != TRANSITIONS_HEADER:
        raise CaseFormatError(f"transitions header is {header}, expected {TRANSITIONS_HEADER}")
    tables["transitions"] = [row_text([r["lead_id"], format_time(parse_time(r["at"], "UTC")),
                                       r["from"], r["to"]]) for r in rows]
    return tables


def actual_tables(results: list[LeadResult], scores: list[str]) -> dict[str, list[str]]:
    leads = [row_text([r.lead_id, *(canonical_number(r.scores[s]) for s in scores), r.stage or "",
                       ";".join(sorted(r.tags))]) for r in results]
    # Ordered by time, then lead, then the order the engine emitted them in.
    actions = sorted(((a.at, r.lead_id, i, a) for r in results for i, a in enumerate(r.actions)),
                     key=lambda item: item[:3])
    transitions = sorted(((t.at, r.lead_id, i, t) for r in results
                          for i, t in enumerate(r.transitions)), key=lambda item: item[:3])
    return {
        "leads": sorted(leads),
        "actions": [row_text([lead, format_time(at), a.rule, a.kind, a.target, canonical_json(a.args)])
                    for at, lead, _, a in actions],
        "transitions": [row_text([lead, format_time(at), t.from_stage, t.to_stage])
                        for at, lead, _, t in transitions],
    }


def table_diff(name: str, expected: list[str], actual: list[str]) -> str:
    lines = difflib.unified_diff(expected, actual, f"expected {name}", f"actual {name}", lineterm="", n=99)
    return "\n".join(lines)


# -------------------------------------------------------------------- tests


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_is_well_formed(path: Path) -> None:
    """Engine-independent: the rules load, the inputs type-check, the expectations parse."""
    case, model = load_case(path)
    lead_inputs(case, model)
    if "error" not in case.sections:
        tables = expected_tables(case, [s.name for s in model.scores])
        for name in ("actions", "transitions"):
            keys = [(parse_time(row.split(",")[1], "UTC"), row.split(",")[0]) for row in tables[name]]
            assert keys == sorted(keys), f"{name} rows must be ordered by time, then lead_id"


def test_corpus_is_large_enough() -> None:
    assert len(CASE_FILES) >= 60, f"only {len(CASE_FILES)} conformance cases"


@pytest.mark.parametrize("make_engine", ENGINES)
@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_conformance(path: Path, make_engine: Callable[[Model], Engine]) -> None:
    case, model = load_case(path)
    engine = make_engine(model)
    if "error" in case.sections:
        with pytest.raises(RulesetRuntimeError) as raised:
            run_case(case, model, engine)
        for needle in filter(None, (line.strip() for line in case.sections["error"].splitlines())):
            assert needle in str(raised.value), f"error message {str(raised.value)!r} lacks {needle!r}"
        return
    scores = list(engine.scores)
    assert scores == [s.name for s in model.scores], "engine scores differ from the declared ones"
    expected = expected_tables(case, scores)
    actual = actual_tables(run_case(case, model, engine), scores)
    problems = [table_diff(name, expected[name], actual[name])
                for name in ("leads", "actions", "transitions") if expected[name] != actual[name]]
    if problems:
        pytest.fail(f"{path}:\n" + "\n\n".join(problems), pytrace=False)
