"""`leadflow diff --workers N` / `--scheduler ADDRESS`: the two versions' replay, split by lead.

When both versions declare the same events (the usual case, runtime/compare.py's
`PairEngine`), each lead's outcome under both depends only on that lead's rows,
so the replay splits as `run`'s does (runtime/partitioned.py): step 1 stages
each partition's rows on its worker with the old version, exactly as one
process stages them; step 2, with the as-of over all partitions, replays the
partition under both versions and sends back how many leads it saw per
(old stage, new stage) and every changed lead. The command adds the changed
leads to the summary in lead order, as one process meets them (the score means
are sums of floats, whose order counts), and writes --detail in that order: the
printed summary and the detail file are the same byte for byte.

Versions that declare different events read the log twice in one process
(compare.py); with --workers they still do.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from leadflow.runtime.compare import DiffSummary, LeadChange, PairEngine, compare_lead
from leadflow.runtime.driver import RunOptions, replay
from leadflow.runtime.engine import Engine, LeadResult
from leadflow.runtime.partitioned import (
    Cluster,
    EngineRecipe,
    PartTask,
    raise_first_failure,
    stage_parts,
    take_staged,
)


@dataclass
class DiffPart:
    """What step 2 of a diff partition found."""

    leads: int
    stages: Counter  # (old stage, new stage) → leads
    changes: list[LeadChange]  # in lead order


def diff_part(run_id: str, part: int, as_of: int | None, new: EngineRecipe) -> DiffPart:
    """Step 2 on the worker that staged the partition: replay its leads under both versions."""
    _, old, staging = take_staged(run_id, part)
    found = DiffPart(0, Counter(), [])

    def take(pair: tuple[LeadResult, LeadResult]) -> None:
        before, after = pair
        found.leads += 1
        found.stages[(before.stage, after.stage)] += 1
        change = compare_lead(before, after)
        if change is not None:
            found.changes.append(change)

    try:
        replay(PairEngine(old, new.make()), staging.event_reader(as_of), staging.event_names,
               staging.slots.by_event, staging.lead_attrs(), as_of, take,
               slots=staging.slots.slots)
    finally:
        staging.close()
    return found


def diff_split(old: Engine, new: Engine, options: RunOptions, summary: DiffSummary,
               cluster: Cluster,
               on_change: Callable[[LeadChange], None] = lambda change: None) -> DiffSummary:
    """compare.diff for versions with the same events, over the cluster's workers."""
    workers = list(cluster.workers)
    run_id = uuid.uuid4().hex
    recipe = EngineRecipe.of(old)
    # Staging writes no part files: nothing goes beside an --out.
    tasks = [PartTask(run_id, k, len(workers), recipe, options, "",
                      cluster.duckdb_threads, cluster.same_duckdb) for k in range(len(workers))]
    _, summary.as_of = stage_parts(cluster, tasks)
    futures = [cluster.submit(diff_part, run_id, k, summary.as_of, EngineRecipe.of(new),
                              worker=workers[k]) for k in range(len(workers))]
    for future in futures:
        future.exception()
    raise_first_failure(futures)
    parts: list[DiffPart] = [future.result() for future in futures]
    for part in parts:
        summary.leads += part.leads
        summary.stage_matrix.update(part.stages)
    for change in sorted((c for p in parts for c in p.changes), key=lambda c: c.lead_id):
        summary.count_change(change)
        on_change(change)
    return summary
