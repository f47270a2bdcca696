"""`leadflow diff`: two versions of a ruleset over the same log, lead by lead.

Both versions see exactly the same rows and as-of. When they declare the same
events (the usual case: a rule changed), the log is staged and sorted once and
every lead's events go to both engines in the same pass (`PairEngine`). When
the declarations differ, the rows a version applies, ignores or rejects differ
too, so each version stages the files itself (the log is read twice), the as-of
is the old version's, and the old version's per-lead results are held until the
new version's replay reaches the same lead.

A lead changes when its final scores, stage, tags or attributes differ, or its
outward actions do. Actions are compared as what the lead receives: kind,
target, time and arguments; the rule that made one does not matter, so a
renamed rule that sends the same email is no change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from leadflow.runtime.driver import RunOptions, replay, stage_inputs
from leadflow.runtime.engine import Engine, LeadResult, OutAction
from leadflow.runtime.outputs import args_json
from leadflow.runtime.staging import Staging

ActionKey = tuple[int, str, str, str]  # at, kind, target, args as JSON


def action_key(action: OutAction) -> ActionKey:
    return action.at, action.kind, action.target, args_json(action.args)


class PairEngine:
    """Two engines driven as one: every call goes to both; a state is an (old, new) pair."""

    def __init__(self, old: Engine, new: Engine):
        self.old, self.new = old, new
        for name in ("name", "timezone", "events", "lead_fields", "scores", "stages"):
            setattr(self, name, getattr(old, name))
        same_layout = all(hasattr(e, "feed_columns") for e in (old, new)) and \
            tuple(old.slots) == tuple(new.slots) and list(old.event_codes) == list(new.event_codes)
        if same_layout:
            self.slots, self.event_codes = old.slots, old.event_codes
            self.feed_columns = self._feed_columns

    def new_lead(self, lead_id: str, attrs: dict[str, Any], trace: bool = False) -> tuple:
        return self.old.new_lead(lead_id, attrs, trace), self.new.new_lead(lead_id, attrs, trace)

    def feed(self, state: tuple, ts: int, event: str, values: dict[str, Any]) -> None:
        self.old.feed(state[0], ts, event, values)
        self.new.feed(state[1], ts, event, values)

    def _feed_columns(self, state: tuple, *rows: Any) -> None:
        self.old.feed_columns(state[0], *rows)
        self.new.feed_columns(state[1], *rows)

    def advance(self, state: tuple, ts: int) -> None:
        self.old.advance(state[0], ts)
        self.new.advance(state[1], ts)

    def result(self, state: tuple) -> tuple[LeadResult, LeadResult]:
        return self.old.result(state[0]), self.new.result(state[1])

    def trace(self, state: tuple) -> list:
        return []


@dataclass
class LeadChange:
    """How one lead's outcome differs between the versions."""

    lead_id: str
    old: LeadResult
    new: LeadResult
    scores: dict[str, tuple[float | None, float | None]]  # changed scores only
    tags_gained: tuple[str, ...]
    tags_lost: tuple[str, ...]
    added: list[OutAction]
    removed: list[OutAction]
    attrs_changed: bool

    @property
    def stage_changed(self) -> bool:
        return self.old.stage != self.new.stage


def compare_lead(old: LeadResult, new: LeadResult) -> LeadChange | None:
    """The change of one lead, or None when both versions agree on everything."""
    names = list(old.scores) + [n for n in new.scores if n not in old.scores]
    scores = {n: (old.scores.get(n), new.scores.get(n)) for n in names
              if old.scores.get(n) != new.scores.get(n)}
    gained = tuple(sorted(set(new.tags) - set(old.tags)))
    lost = tuple(sorted(set(old.tags) - set(new.tags)))
    before = Counter(action_key(a) for a in old.actions)
    after = Counter(action_key(a) for a in new.actions)
    added = _pick(new.actions, after - before)
    removed = _pick(old.actions, before - after)
    attrs_changed = old.attrs != new.attrs
    if not (scores or gained or lost or added or removed or attrs_changed
            or old.stage != new.stage):
        return None
    return LeadChange(old.lead_id, old, new, scores, gained, lost, added, removed, attrs_changed)


def _pick(actions: list[OutAction], wanted: Counter) -> list[OutAction]:
    """The actions whose keys are in `wanted`, as many of each as it counts, in time order."""
    left = Counter(wanted)
    found = []
    for action in actions:
        key = action_key(action)
        if left[key] > 0:
            left[key] -= 1
            found.append(action)
    return found


@dataclass
class DiffSummary:
    """What a reviewer reads: counts over all leads, built one lead at a time."""

    old_label: str
    new_label: str
    scores: tuple[str, ...]  # the old version's, then the new version's own
    old_stages: tuple[str, ...]
    new_stages: tuple[str, ...]
    as_of: int | None = None
    leads: int = 0
    changed: int = 0
    stage_matrix: Counter = field(default_factory=Counter)  # (old stage, new stage) → leads
    score_deltas: dict[str, list[float]] = field(default_factory=dict)
    score_only_in: dict[str, str] = field(default_factory=dict)  # score → "old" or "new"
    tags_gained: Counter = field(default_factory=Counter)
    tags_lost: Counter = field(default_factory=Counter)
    actions_added: Counter = field(default_factory=Counter)  # (kind, target) → actions
    actions_removed: Counter = field(default_factory=Counter)
    action_leads: dict[tuple[str, str], set] = field(default_factory=dict)
    attrs_changed: int = 0
    counts: Counter = field(default_factory=Counter)  # "stage", "score", "tags", "actions" → leads

    def add(self, old: LeadResult, new: LeadResult) -> LeadChange | None:
        self.leads += 1
        self.stage_matrix[(old.stage, new.stage)] += 1
        change = compare_lead(old, new)
        if change is not None:
            self.count_change(change)
        return change

    def count_change(self, change: LeadChange) -> None:
        """Add a changed lead; in lead order, as `add` meets them (score means add up in it)."""
        self.changed += 1
        if change.stage_changed:
            self.counts["stage"] += 1
        if change.scores:
            self.counts["score"] += 1
        for name, (before, after) in change.scores.items():
            if before is not None and after is not None:
                self.score_deltas.setdefault(name, []).append(after - before)
        if change.tags_gained or change.tags_lost:
            self.counts["tags"] += 1
        self.tags_gained.update(change.tags_gained)
        self.tags_lost.update(change.tags_lost)
        if change.added or change.removed:
            self.counts["actions"] += 1
        for actions, counter in ((change.added, self.actions_added),
                                 (change.removed, self.actions_removed)):
            for a in actions:
                counter[(a.kind, a.target)] += 1
                self.action_leads.setdefault((a.kind, a.target), set()).add(change.lead_id)
        self.attrs_changed += change.attrs_changed


def new_summary(old: Engine, new: Engine, old_label: str, new_label: str) -> DiffSummary:
    summary = DiffSummary(old_label, new_label, score_names(old, new), tuple(old.stages),
                          tuple(new.stages))
    summary.score_only_in = {**{n: "old" for n in old.scores if n not in new.scores},
                             **{n: "new" for n in new.scores if n not in old.scores}}
    return summary


def fresh(engine: Engine, lead_id: str, as_of: int | None) -> LeadResult:
    """A lead one version never saw, as that version would write it: its initial state at as-of."""
    state = engine.new_lead(lead_id, {})
    if as_of is not None:
        engine.advance(state, as_of)
    return engine.result(state)


def diff(old: Engine, new: Engine, options: RunOptions, summary: DiffSummary,
         on_change: Callable[[LeadChange], None] = lambda change: None) -> DiffSummary:
    """Replay the log under both versions and add every lead to the summary."""
    def take(pair: tuple[LeadResult, LeadResult]) -> None:
        change = summary.add(*pair)
        if change is not None:
            on_change(change)

    if old.events == new.events:
        with Staging(old.timezone, options.memory_limit) as staging:
            summary.as_of, _ = stage_inputs(old, staging, options)
            replay(PairEngine(old, new), staging.event_reader(summary.as_of), staging.event_names,
                   staging.slots.by_event, staging.lead_attrs(), summary.as_of, take,
                   slots=staging.slots.slots)
        return summary
    held: dict[str, LeadResult] = {}
    with Staging(old.timezone, options.memory_limit) as staging:
        summary.as_of, _ = stage_inputs(old, staging, options)
        _replay_one(old, staging, summary.as_of, lambda r: held.__setitem__(r.lead_id, r))
    with Staging(new.timezone, options.memory_limit) as staging:
        stage_inputs(new, staging, replace(options, as_of=None))

        def pair_new(result: LeadResult) -> None:
            before = held.pop(result.lead_id, None)
            take((before or fresh(old, result.lead_id, summary.as_of), result))

        _replay_one(new, staging, summary.as_of, pair_new)
    for lead_id in sorted(held):
        take((held[lead_id], fresh(new, lead_id, summary.as_of)))
    return summary


def _replay_one(engine: Engine, staging: Staging, as_of: int | None,
                emit: Callable[[LeadResult], None]) -> None:
    replay(engine, staging.event_reader(as_of), staging.event_names, staging.slots.by_event,
           staging.lead_attrs(), as_of, emit, slots=staging.slots.slots)


def score_names(old: Engine, new: Engine) -> tuple[str, ...]:
    return tuple(old.scores) + tuple(n for n in new.scores if n not in old.scores)


def quantiles(values: list[float]) -> Iterator[float]:
    """min, p25, median, p75, max (nearest rank)."""
    ordered = sorted(values)
    for q in (0.0, 0.25, 0.5, 0.75, 1.0):
        yield ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]
