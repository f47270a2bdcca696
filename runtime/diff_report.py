"""`leadflow diff` output: the summary as text, Markdown (for a pull request) or JSON,
and the per-lead detail file (CSV or JSON Lines)."""

from __future__ import annotations

import csv
import json
from typing import IO, Any

from leadflow.runtime.compare import DiffSummary, LeadChange, quantiles
from leadflow.runtime.outputs import args_json, format_score, plain_json
from leadflow.semantics.timemath import format_instant


def _signed(value: float) -> str:
    text = format_score(value)
    return text if text.startswith("-") or text == "0" else "+" + text


def _stage(name: str | None) -> str:
    return "(none)" if name is None else name


def headline(s: DiffSummary) -> list[str]:
    as_of = format_instant(s.as_of) if s.as_of is not None else "none"
    lines = [f"{s.old_label} -> {s.new_label}: {s.leads} leads replayed (as-of {as_of})"]
    if not s.changed:
        return lines + ["No lead changes: same scores, stages, tags and actions."]
    parts = [f"{s.counts['stage']} change stage", f"{s.counts['score']} change score",
             f"{s.counts['tags']} change tags", f"{s.counts['actions']} get different actions"]
    if s.attrs_changed:
        parts.append(f"{s.attrs_changed} change attributes")
    return lines + [f"{s.changed} leads change: " + ", ".join(parts)]


def sections(s: DiffSummary) -> list[tuple[str, list[list[str]], set[int]]]:
    """(title, rows with a header row, right-aligned columns) of every non-empty table."""
    found = []
    if s.old_stages or s.new_stages:
        olds = list(s.old_stages) or [None]
        news = list(s.new_stages) or [None]
        rows = [["old \\ new"] + [_stage(n) for n in news]]
        rows += [[_stage(o)] + [str(s.stage_matrix.get((o, n), 0)) for n in news] for o in olds]
        found.append(("Stage at as-of (rows: old version, columns: new version; leads)", rows,
                      set(range(1, len(news) + 1))))
    rows = [["score", "changed", "up", "down", "mean", "min", "p25", "median", "p75", "max"]]
    for name in s.scores:
        if name in s.score_only_in:
            rows.append([name, f"only in the {s.score_only_in[name]} version"] + [""] * 8)
            continue
        deltas = s.score_deltas.get(name, [])
        if not deltas:
            rows.append([name, "0", "0", "0"] + ["-"] * 6)
            continue
        rows.append([name, str(len(deltas)), str(sum(1 for d in deltas if d > 0)),
                     str(sum(1 for d in deltas if d < 0)), _signed(round(sum(deltas) / len(deltas), 1))]
                    + [_signed(q) for q in quantiles(deltas)])
    found.append(("Score change of the leads whose score changes (new - old)", rows,
                  set(range(1, 10))))
    tags = sorted(set(s.tags_gained) | set(s.tags_lost))
    if tags:
        rows = [["tag", "leads gaining it", "leads losing it"]]
        rows += [[t, str(s.tags_gained[t]), str(s.tags_lost[t])] for t in tags]
        found.append(("Tags", rows, {1, 2}))
    kinds = sorted(set(s.actions_added) | set(s.actions_removed))
    if kinds:
        rows = [["kind", "target", "added", "removed", "leads"]]
        rows += [[k, t, str(s.actions_added[(k, t)]), str(s.actions_removed[(k, t)]),
                  str(len(s.action_leads[(k, t)]))] for k, t in kinds]
        found.append(("Actions (send, notify, suppressed) added and removed", rows, {2, 3, 4}))
    return found


def render_text(s: DiffSummary) -> str:
    lines = headline(s)
    if s.changed:
        for title, rows, right in sections(s):
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            lines += ["", title]
            lines += ["  " + "  ".join(c.rjust(w) if i in right else c.ljust(w)
                                       for i, (c, w) in enumerate(zip(row, widths))).rstrip()
                      for row in rows]
    return "\n".join(lines)


def render_markdown(s: DiffSummary) -> str:
    """GitHub-flavoured Markdown: a heading, the headline, one table per section."""
    head = headline(s)
    lines = [f"### leadflow diff: `{s.old_label}` → `{s.new_label}`", "", head[0] + "  ",
             f"**{head[1]}**"]
    if s.changed:
        for title, rows, right in sections(s):
            lines += ["", f"**{title}**", ""]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in rows[0]) + " |")
            lines.append("|" + "|".join("---:" if i in right else "---"
                                        for i in range(len(rows[0]))) + "|")
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                      for row in rows[1:]]
    return "\n".join(lines)


def to_json(s: DiffSummary) -> dict[str, Any]:
    scores = {}
    for name in s.scores:
        deltas = s.score_deltas.get(name, [])
        entry: dict[str, Any] = {"changed": len(deltas), "up": sum(1 for d in deltas if d > 0),
                                 "down": sum(1 for d in deltas if d < 0)}
        if name in s.score_only_in:
            entry["only_in"] = s.score_only_in[name]
        if deltas:
            entry["mean"] = sum(deltas) / len(deltas)
            entry.update(zip(("min", "p25", "median", "p75", "max"),
                             (plain_json(q) for q in quantiles(deltas))))
        scores[name] = entry
    return {
        "old": s.old_label, "new": s.new_label,
        "as_of": format_instant(s.as_of) if s.as_of is not None else None,
        "leads": s.leads, "changed": s.changed,
        "changed_by": {k: s.counts[k] for k in ("stage", "score", "tags", "actions")},
        "attrs_changed": s.attrs_changed,
        "stage_matrix": [{"old": o, "new": n, "leads": c}
                         for (o, n), c in sorted(s.stage_matrix.items(), key=lambda kv: str(kv[0]))],
        "scores": scores,
        "tags": {t: {"gained": s.tags_gained[t], "lost": s.tags_lost[t]}
                 for t in sorted(set(s.tags_gained) | set(s.tags_lost))},
        "actions": [{"kind": k, "target": t, "added": s.actions_added[(k, t)],
                     "removed": s.actions_removed[(k, t)], "leads": len(s.action_leads[(k, t)])}
                    for k, t in sorted(set(s.actions_added) | set(s.actions_removed))],
    }


def render_json(s: DiffSummary) -> str:
    return json.dumps(to_json(s), ensure_ascii=False, indent=2)


# ------------------------------------------------------------ the detail file


def _action_text(a) -> str:
    args = f" {args_json(a.args)}" if a.args else ""
    return f"{format_instant(a.at)} {a.kind} {a.target}{args}"


def _action_json(a) -> dict[str, Any]:
    return {"at": format_instant(a.at), "rule": a.rule, "kind": a.kind, "target": a.target,
            "args": plain_json(dict(a.args))}


class DetailWriter:
    """One row per changed lead, written as the replay goes (CSV, or JSON Lines for .jsonl)."""

    def __init__(self, handle: IO[str], scores: tuple[str, ...], jsonl: bool):
        self.handle, self.scores, self.jsonl = handle, scores, jsonl
        if not jsonl:
            self.writer = csv.writer(handle, lineterminator="\n")
            self.writer.writerow(["lead_id", "old_stage", "new_stage"]
                                 + [f"{n}_{v}" for n in scores for v in ("old", "new")]
                                 + ["tags_gained", "tags_lost", "actions_added", "actions_removed"])

    def write(self, c: LeadChange) -> None:
        def score(result, name: str) -> str:
            value = result.scores.get(name)
            return "" if value is None else format_score(value)

        if self.jsonl:
            record = {"lead_id": c.lead_id, "old_stage": c.old.stage, "new_stage": c.new.stage,
                      "scores": {n: {"old": plain_json(c.old.scores.get(n)),
                                     "new": plain_json(c.new.scores.get(n))} for n in self.scores},
                      "tags_gained": list(c.tags_gained), "tags_lost": list(c.tags_lost),
                      "actions_added": [_action_json(a) for a in c.added],
                      "actions_removed": [_action_json(a) for a in c.removed]}
            self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        self.writer.writerow([c.lead_id, c.old.stage or "", c.new.stage or ""]
                             + [score(r, n) for n in self.scores for r in (c.old, c.new)]
                             + [";".join(c.tags_gained), ";".join(c.tags_lost),
                                " | ".join(_action_text(a) for a in c.added),
                                " | ".join(_action_text(a) for a in c.removed)])
