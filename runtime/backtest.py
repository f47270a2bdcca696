"""`leadflow backtest`: how well the rules' scores and stages predicted conversions.

At each cutoff, every lead seen before it (an applied event strictly before
the cutoff) and not yet converted is one sample: its scores and stage from the
events before the cutoff, and whether it converted in [cutoff, cutoff +
horizon). One replay serves every cutoff (runtime/cutoffs.py). Leads that
converted before a cutoff are left out of it: a score predicts the next
conversion of a lead that has not converted yet.

Cutoffs run every `every` up to the last one whose horizon ends by the end of
the observation: --until, else the later of the events' as-of and the last
conversion in the outcomes file. A later cutoff would count leads that were
about to convert as non-converters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.runtime.cutoffs import CutoffEngine, CutoffLead, OnCutoff, schedule
from leadflow.runtime.driver import RunOptions, replay, stage_inputs
from leadflow.runtime.engine import Engine
from leadflow.runtime.metrics import Group, average_precision, deciles, median, roc_auc
from leadflow.runtime.outcomes import Outcomes, read_outcomes
from leadflow.runtime.readers import InputError, InputFile
from leadflow.runtime.staging import APPLICABLE, Staging
from leadflow.semantics import timemath

Duration = tuple[int, str]


@dataclass(frozen=True)
class BacktestOptions:
    outcomes: InputFile
    horizon: Duration = (90, "day")
    every: Duration = (1, "month")
    cutoffs: tuple[str, ...] = ()  # explicit cutoff times (ISO-8601) instead of `every`
    until: str | None = None  # outcomes are known up to here


@dataclass
class Setup:
    """What a backtest or a fit replays against: as-of, outcomes, cutoffs, end of observation."""

    as_of: int | None
    outcomes: Outcomes
    cutoffs: list[int]
    end: int
    horizon: Duration
    unknown_leads: int = 0  # leads in the outcomes with no row in the events

    def label(self, lead_id: str, k: int, tz: str) -> bool | None:
        """Converted within the horizon of cutoff k; None when it had converted before it."""
        found = self.converted(lead_id, k, tz)
        return None if found is None else bool(found)

    def converted(self, lead_id: str, k: int, tz: str) -> list[tuple[int, float | None]] | None:
        """The conversions within the horizon of cutoff k; None when it had converted before it."""
        cutoff = self.cutoffs[k]
        first = self.outcomes.first(lead_id)
        if first is not None and first < cutoff:
            return None
        stop = timemath.add_duration(cutoff, self.horizon[0], self.horizon[1], tz)
        return self.outcomes.within(lead_id, cutoff, stop)


def prepare(engine: Engine, staging: Staging, run: RunOptions, options: BacktestOptions) -> Setup:
    """Stage the inputs, read the outcomes and choose the cutoffs; InputError when none fit."""
    tz = engine.timezone
    as_of, as_of_given = stage_inputs(engine, staging, run)
    outcomes = read_outcomes(staging.con, options.outcomes, run.names.lead)
    end_given = options.until is not None
    if end_given:
        end = _time(staging, options.until, "--until")
    else:
        end = max(t for t in (as_of, outcomes.latest) if t is not None) if as_of is not None else 0
    if options.cutoffs:
        cutoffs = sorted({_time(staging, text, "--cutoff") for text in options.cutoffs})
    else:
        first = staging.con.sql(f"SELECT min(ts_us) FROM events WHERE {APPLICABLE}").fetchall()[0][0]
        if first is None:
            raise InputError("no event of the input applies to this ruleset: nothing to backtest")
        last = timemath.add_duration(end, -options.horizon[0], options.horizon[1], tz)
        if as_of_given:
            last = min(last, as_of + 1)  # events after --as-of are not applied: none to see
        cutoffs = schedule(first, last, options.every, tz)
        if not cutoffs:
            raise InputError("no cutoff has a whole horizon of outcomes after it: use a shorter "
                             "--horizon, a shorter --every, or --cutoff TIME")
    seen = {lead for (lead,) in staging.con.sql(
        "SELECT DISTINCT lead_id FROM events WHERE lead_id IS NOT NULL").fetchall()}
    unknown = sum(1 for lead in outcomes.conversions if lead not in seen)
    return Setup(as_of, outcomes, cutoffs, end, options.horizon, unknown)


def _time(staging: Staging, text: str, option: str) -> int:
    value = staging.parse_time(text)
    if value is None:
        raise InputError(f"{option}: cannot read time {text!r} (use ISO-8601, e.g. 2024-06-30)")
    return value


def sweep(engine: Engine, staging: Staging, setup: Setup, on_cutoff: OnCutoff,
          emit: Callable[[CutoffLead], None] = lambda lead: None) -> None:
    """Replay every lead once, calling on_cutoff at each cutoff and emit at the end."""
    wrapped = CutoffEngine(engine, setup.cutoffs, on_cutoff)
    # Leads are advanced to the last cutoff when it comes after the last event.
    until = max(t for t in (setup.as_of, setup.cutoffs[-1] - 1) if t is not None)
    replay(wrapped, staging.event_reader(setup.as_of), staging.event_names,
           staging.slots.by_event, staging.lead_attrs(), until, emit,
           slots=staging.slots.slots)


# ------------------------------------------------------------------ the report


@dataclass(frozen=True)
class Sample:
    lead_id: str
    cutoff: int  # index into the cutoffs
    scores: tuple[float, ...]
    stage: str | None
    converted: bool
    value: float = 0.0  # of the conversions within the horizon


@dataclass
class ScoreMetrics:
    name: str
    auc: float | None
    average_precision: float | None
    deciles: list[Group] = field(default_factory=list)


@dataclass
class Slice:
    """Metrics over a set of samples: one cutoff, or all of them."""

    samples: int
    converted: int
    scores: list[ScoreMetrics]
    stages: list[Group]  # per stage, in declaration order

    @property
    def rate(self) -> float:
        return self.converted / self.samples if self.samples else 0.0

    def at_or_above(self) -> list[tuple[str, float | None, float | None]]:
        """(stage, precision, recall) of "the lead is in this stage or a later one"."""
        found = []
        for i, group in enumerate(self.stages):
            leads = sum(g.leads for g in self.stages[i:])
            hits = sum(g.converted for g in self.stages[i:])
            found.append((group.name, hits / leads if leads else None,
                          hits / self.converted if self.converted else None))
        return found


@dataclass
class StageTiming:
    stage: str
    leads: int  # converted leads that entered the stage before converting
    median_us: float | None


@dataclass
class Report:
    ruleset: str
    scores: tuple[str, ...]
    stages: tuple[str, ...]
    setup: Setup
    options: BacktestOptions
    overall: Slice
    per_cutoff: list[Slice]
    timing: list[StageTiming]
    samples: list[Sample] = field(default_factory=list, repr=False)


def measure(samples: Sequence[Sample], scores: Sequence[str], stages: Sequence[str],
            with_deciles: bool) -> Slice:
    labels = [s.converted for s in samples]
    metrics = []
    for i, name in enumerate(scores):
        values = [s.scores[i] for s in samples]
        metrics.append(ScoreMetrics(name, roc_auc(values, labels), average_precision(values, labels),
                                    deciles(values, labels) if with_deciles and samples else []))
    groups = [Group(stage, sum(1 for s in samples if s.stage == stage),
                    sum(1 for s in samples if s.stage == stage and s.converted),
                    value=sum(s.value for s in samples if s.stage == stage)) for stage in stages]
    return Slice(len(samples), sum(labels), metrics, groups)


def stage_timing(entries: dict[str, list[tuple[int, str]]], outcomes: Outcomes,
                 stages: Sequence[str]) -> list[StageTiming]:
    """Per stage: the median time from a lead's first entry into it to its next conversion."""
    waits: dict[str, list[int]] = {stage: [] for stage in stages}
    for lead_id, entered in entries.items():
        firsts: dict[str, int] = {}
        for at, stage in entered:
            firsts.setdefault(stage, at)
        conversions = [t for t, _ in outcomes.conversions.get(lead_id, ())]
        for stage, at in firsts.items():
            later = [t for t in conversions if t >= at]
            if later and stage in waits:
                waits[stage].append(later[0] - at)
    return [StageTiming(stage, len(waits[stage]), median(waits[stage])) for stage in stages]


def backtest(engine: Engine, run: RunOptions, options: BacktestOptions,
             label: str | None = None) -> Report:
    """Replay the events once with snapshots at every cutoff and measure the predictions."""
    scores, stages, tz = tuple(engine.scores), tuple(engine.stages), engine.timezone
    with Staging(tz, run.memory_limit) as staging:
        setup = prepare(engine, staging, run, options)
        samples: list[Sample] = []

        def on_cutoff(lead_id: str, k: int, state: Any) -> None:
            converted = setup.converted(lead_id, k, tz)
            if converted is not None:
                result = engine.result(state)
                samples.append(Sample(lead_id, k, tuple(result.scores[s] for s in scores),
                                      result.stage, bool(converted),
                                      sum(v or 0.0 for _, v in converted)))

        entries: dict[str, list[tuple[int, str]]] = {}

        def emit(lead: CutoffLead) -> None:
            if stages and lead.first_event is not None and lead.lead_id in setup.outcomes.conversions:
                entries[lead.lead_id] = [(lead.first_event, stages[0])] + [
                    (t.at, t.to_stage) for t in lead.final.transitions]

        sweep(engine, staging, setup, on_cutoff, emit)
    per_cutoff = [measure([s for s in samples if s.cutoff == k], scores, stages, False)
                  for k in range(len(setup.cutoffs))]
    return Report(label or engine.name or "ruleset", scores, stages, setup, options,
                  measure(samples, scores, stages, True), per_cutoff,
                  stage_timing(entries, setup.outcomes, stages) if stages else [], samples)
