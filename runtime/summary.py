"""What a run did, in numbers: the accounting on stderr and the overview on stdout.

The accounting must add up: rows read = applied + rejected + ignored, and it
says so on one line, so a reader (and a test) can check it at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.runtime.outputs import format_score
from leadflow.runtime.staging import EventCounts
from leadflow.semantics.timemath import format_instant

PHASES = ("read", "sort", "run", "write")
MOST = 50.0  # above this percentage of rejected rows, the summary warns loudly


@dataclass
class RunSummary:
    ruleset: str
    counts: EventCounts
    as_of: int | None
    as_of_given: bool
    leads: int = 0
    transitions: int = 0
    actions: dict[str, int] = field(default_factory=dict)  # kind → count
    seconds: dict[str, float] = field(default_factory=dict)  # phase → seconds
    outputs: dict[str, str] = field(default_factory=dict)  # name → path

    def counts_json(self) -> dict:
        """The accounting as run.json records it (no timings: run.json is reproducible)."""
        c = self.counts
        return {
            "rows": c.rows, "applied": c.applied, "rejected": c.rejected, "ignored": c.ignored,
            "ignored_by_reason": {**{f"event type {k}": n for k, n in c.ignored_types.items()},
                                  **({"after as-of": c.after_as_of} if c.after_as_of else {}),
                                  **({"duplicate": c.duplicates} if c.duplicates else {})},
            "files": [{"path": f.path, "rows": f.rows, "rejected": f.rejected} for f in c.files],
            "lead_rows": c.lead_rows, "lead_rows_rejected": c.lead_rejected,
            "leads": self.leads, "actions": dict(sorted(self.actions.items())),
            "transitions": self.transitions,
        }

    @property
    def adds_up(self) -> bool:
        c = self.counts
        return c.rows == c.applied + c.rejected + c.ignored

    @property
    def reject_percent(self) -> float:
        """Rejected event rows, in percent of the rows read (0 when none were read)."""
        c = self.counts
        return 100.0 * c.rejected / c.rows if c.rows else 0.0

    def warnings(self) -> list[str]:
        """What the user must not miss: printed even with --quiet."""
        found = [f"warning: {text}" for text in self.counts.missing_fields]
        if self.counts.future is not None and not self.as_of_given:
            count, path, row = self.counts.future
            found.append(f"warning: {count:,} row(s) are stamped in the future, the latest "
                         f"{format_instant(self.as_of)} at {path} row {row:,} (a mistyped year?); "
                         f"the default as-of is that time, so timers fire up to it; pass --as-of")
        if self.reject_percent > MOST:
            rejects = self.outputs.get("rejects", "rejects")
            found.append(f"warning: {self.reject_percent:.1f}% of the event rows were rejected "
                         f"(see {rejects}); check the columns and the --*-col options")
        return found

    def render(self) -> str:
        c = self.counts
        files = len(c.files)
        head = (f"leadflow run {self.ruleset}: {files} event file{'s' * (files != 1)}, "
                f"{c.rows:,} rows read = {c.applied:,} applied + {c.rejected:,} rejected "
                f"+ {c.ignored:,} ignored")
        lines = [head]
        rejects = self.outputs.get("rejects")
        where = f"  (see {rejects})" if rejects and (c.rejected or c.lead_rejected) else ""
        lines.append(f"  {'rejected':<12}{c.rejected:>10,}{where}")
        ignored = [f"{name} {n:,}" for name, n in c.ignored_types.items()]
        if c.after_as_of:
            ignored.append(f"after --as-of {c.after_as_of:,}")
        if c.duplicates:
            ignored.append(f"duplicate {c.duplicates:,}")
        lines.append(f"  {'ignored':<12}{c.ignored:>10,}" + (f"  ({', '.join(ignored)})" if ignored else ""))
        if c.lead_files:
            lines.append(f"  {'lead rows':<12}{c.lead_rows:>10,}  ({c.lead_rows - c.lead_rejected:,} "
                         f"applied, {c.lead_rejected:,} rejected, from {c.lead_files[0]})")
        lines.append(f"  {'leads':<12}{self.leads:>10,}")
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(self.actions.items()))
        total = sum(self.actions.values())
        lines.append(f"  {'actions':<12}{total:>10,}" + (f"  ({kinds})" if kinds else ""))
        lines.append(f"  {'transitions':<12}{self.transitions:>10,}")
        if self.as_of is not None:
            how = "given" if self.as_of_given else "latest event in the input"
            lines.append(f"  {'as-of':<12}{format_instant(self.as_of)}  ({how})")
        phases = ", ".join(f"{p} {self.seconds[p]:.2f}s" for p in PHASES if p in self.seconds)
        lines.append(f"  {'time':<12}{phases} (total {sum(self.seconds.values()):.2f}s)")
        return "\n".join(lines + self.warnings())


def render_overview(scores: tuple[str, ...], stages: tuple[str, ...],
                    top: list[tuple[str, list[float], str | None, str]],
                    stage_counts: dict[str | None, int], outputs: dict[str, str]) -> str:
    """Top leads, how many leads are in each stage, and where the files are."""
    lines = []
    if top:
        lines.append(f"Top {len(top)} leads by {scores[0]}:")
        width = max(len("lead_id"), *(len(lead) for lead, *_ in top))
        header = f"  {'lead_id':<{width}}" + "".join(f"  {s:>11}" for s in scores)
        if stages:
            header += f"  {'stage':<10}"
        lines.append(header + "  tags")
        for lead, values, stage, tags in top:
            row = f"  {lead:<{width}}" + "".join(f"  {format_score(v):>11}" for v in values)
            if stages:
                row += f"  {stage or '':<10}"
            lines.append((row + f"  {tags or ''}").rstrip())
    if stages:
        lines.append("Leads per stage:")
        for stage in stages:
            lines.append(f"  {stage:<12}{stage_counts.get(stage, 0):>8,}")
    if outputs:
        lines.append("Outputs:")
        for name, path in outputs.items():
            lines.append(f"  {name:<12}{path}")
    return "\n".join(lines)
