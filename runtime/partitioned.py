"""`leadflow run --workers N` / `--scheduler ADDRESS`: one run split by lead into partitions.

Every input row belongs to exactly one partition: the one its lead id hashes to
(`partition_of`: a hash of the id modulo the number of partitions; a row without
a lead id goes to one partition too, where it is rejected once, as in a single
run). Each partition is one task that reads its own slice of every input with
DuckDB and replays its leads through the same compiled module, shipped to the
worker as source text. A lead's rows never leave its partition, so no event
moves between workers.

A task runs in two steps on the same worker, because the default as-of is the
latest event time over *all* partitions:

1. `stage_part`: load and check the partition's rows into a work database kept
   in the worker process; return its latest time and row numbers.
2. `replay_part`: with the run's as-of, replay the partition's leads and write
   its outputs (leads, actions, transitions, rejected rows) as Parquet files into
   a directory beside --out, which the coordinator reads.

The coordinator (`run_partitioned`) adds the counts up, loads the parts into its
own DuckDB database and writes the output files with the same queries as a
single run, so they are identical byte for byte, run.json included.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from leadflow.runtime.driver import (
    RunOptions,
    RunResult,
    carried_columns,
    given_columns,
    output_tables,
    publish_outputs,
    replay,
    slots_read,
    stage_inputs,
)
from leadflow.runtime.engine import Engine
from leadflow.runtime.output_set import OutputDir
from leadflow.runtime.outputs import OutputTables
from leadflow.runtime.progress import progress_bar
from leadflow.runtime.readers import InputError
from leadflow.runtime.rows import literal
from leadflow.runtime.staging import (
    APPLICABLE,
    BATCH_ROWS,
    REPLAY_ORDER,
    EventCounts,
    FileCounts,
    Staging,
    rejects_sql,
    replayed_rows,
)

# A partition hands over its work tables (OutputTables.names) and its rejected rows.
REJECTS = "rejected_rows"


def partition_of(lead_sql: str, parts: int, same_duckdb: bool = False) -> str:
    """SQL: the partition (0..parts-1) of a row whose lead id is `lead_sql`.

    MD5 and hexadecimal do not change with DuckDB's version or the platform, unlike
    DuckDB's own hash(); `stable_partition` computes the same in Python. When every
    worker runs this very DuckDB library (`same_duckdb`: local worker processes
    forked or spawned from the command), its hash() agrees between them and costs
    a ninth of MD5, which each worker computes for every row of every input. There
    a row without a lead id goes where hash(NULL) or hash('') sends it: one
    partition, as any row, where it is rejected once. Spelling out `0` for it
    instead (a CASE) made DuckDB evaluate the id's trim twice more per row: 0.47 s
    of CPU per 2M rows against 0.28 s, in every worker.
    """
    if same_duckdb:
        return f"(hash({lead_sql}) % {parts})"
    return (f"coalesce(CAST(('0x' || substr(md5({lead_sql}), 1, 8)) AS UBIGINT) % {parts}, 0)")


def stable_partition(lead_id: str | None, parts: int) -> int:
    """The partition of a lead id, as partition_of computes it in SQL."""
    if lead_id is None:
        return 0
    return int(hashlib.md5(lead_id.encode("utf-8")).hexdigest()[:8], 16) % parts


# ------------------------------------------------------------------ shipping


@dataclass(frozen=True)
class EngineRecipe:
    """How a worker makes the run's engine: the checked model, and a compiled module's source.

    The model also gives the outputs their attribute columns and pending.csv its words.
    """

    model: Any  # the checked Model
    source: str | None = None  # the compiled module's source text; None: the interpreter

    @classmethod
    def of(cls, engine: Engine) -> EngineRecipe:
        from leadflow.compiler.engine import CompiledEngine
        if isinstance(engine, CompiledEngine):
            return cls(engine.model, engine.module.__leadflow_source__)
        return cls(engine.model)

    def make(self) -> Engine:
        if self.source is not None:
            from leadflow.compiler.engine import CompiledEngine
            from leadflow.compiler.load import load_source
            return CompiledEngine(self.model, module=load_source(self.source))
        from leadflow.runtime.interpreter import Interpreter
        return Interpreter(self.model)


@dataclass(frozen=True)
class PartTask:
    run_id: str
    part: int
    parts: int
    engine: EngineRecipe
    options: RunOptions
    part_dir: str  # where the part's Parquet files go (beside --out)
    threads: int | None = None  # DuckDB threads of the task (None: DuckDB's default, the cores)
    same_duckdb: bool = False  # every worker runs the command's DuckDB library: partition_of


@dataclass
class Staged:
    """What step 1 of a partition found."""

    latest: int | None  # its as-of: the given one, else its latest time
    given: bool
    applicable: int  # rows to apply up to that as-of (the progress bar's share)
    usage: list[tuple[int, int]]  # Staging.field_usage
    future: tuple[int, str, int, int, int] | None  # Staging.future_latest


@dataclass
class PartDone:
    """What step 2 of a partition produced; its rows are in files under part_dir."""

    part: int
    counts: Any  # EventCounts (runs), or the number of events replayed (runs with --state)
    files: dict[str, str]  # table → Parquet file
    seconds: float
    carried: tuple[str, ...] = ()  # the --leads columns its leads rows carry


# Work databases between the two steps, in the worker process: (run id, part) →
# (task, engine, staging).
_STAGED: dict[tuple[str, int], tuple[PartTask, Engine, Staging]] = {}


def stage_part(task: PartTask) -> Staged:
    """Step 1 on a worker: read the partition's rows of every input and keep them."""
    engine = task.engine.make()
    staging = Staging(engine.timezone, task.options.memory_limit)
    try:
        staging.keep_lead = (
            lambda lead: f"{partition_of(lead, task.parts, task.same_duckdb)} = {task.part}")
        if task.threads is not None:
            staging.con.execute(f"SET threads = {int(task.threads)}")
        as_of, given = stage_inputs(engine, staging, task.options)
        later = f" AND ts_us <= {as_of}" if given and as_of is not None else ""
        applicable = staging.con.sql(
            f"SELECT count(*) FROM events WHERE {APPLICABLE}{later}").fetchall()[0][0]
        staged = Staged(as_of, given, applicable, staging.field_usage(), staging.future_latest())
    except BaseException:
        staging.close()
        raise
    _STAGED[(task.run_id, task.part)] = (task, engine, staging)
    return staged


def replay_part(run_id: str, part: int, as_of: int | None,
                usage: Sequence[tuple[int, int]]) -> PartDone:
    """Step 2 on the same worker: replay the partition's leads up to as-of, write its part."""
    task, engine, staging = take_staged(run_id, part)
    start = time.perf_counter()
    try:
        counts = staging.counts(as_of)
        counts.missing_fields = staging.missing_fields(usage)
        tables = output_tables(staging.con.cursor(), engine, task.options)
        replay(engine, staging.event_reader(as_of, read=slots_read(engine)), staging.event_names,
               staging.slots.by_event, staging.lead_attrs(replayed=True, as_of=as_of), as_of,
               tables.add, slots=staging.slots.slots, points=task.options.points, pending=True,
               emit_lead=tables.add_lead)
        carried = carried_columns(staging, engine, task.options.leads)
        tables.carry(carried, given_columns(carried, staging))
        files = {}
        for table in (*tables.names, REJECTS):
            files[table] = os.path.join(task.part_dir, f"{table}-{part}.parquet")
        queries = {table: f"SELECT * FROM {table}" for table in tables.names}
        queries[REJECTS] = staging.reject_rows_query()
        for table, sql in queries.items():
            staging.con.execute(f"COPY ({sql}) TO {literal(files[table])} (FORMAT parquet)")
    finally:
        staging.close()
    return PartDone(part, counts, files, time.perf_counter() - start, carried)


def take_staged(run_id: str, part: int) -> tuple[PartTask, Engine, Staging]:
    """What step 1 of a partition kept on this worker, for its step 2."""
    found = _STAGED.pop((run_id, part), None)
    if found is None:
        raise InputError(f"partition {part}: its worker lost the rows it read (did the worker "
                         f"restart?); run again")
    return found


def drop_part(run_id: str, part: int) -> None:
    """Close a partition's work database when the run stops before step 2."""
    found = _STAGED.pop((run_id, part), None)
    if found is not None:
        found[2].close()


# ------------------------------------------------------------------ merging


def merge_counts(parts: Sequence[EventCounts], staged: Sequence[Staged]) -> EventCounts:
    """The counts of the whole run from its partitions' (every row is in exactly one)."""
    first = parts[0]
    files = [FileCounts(f.path, sum(p.files[i].rows for p in parts),
                        sum(p.files[i].rejected for p in parts)) for i, f in enumerate(first.files)]
    ignored: dict[str, int] = {}
    for p in parts:
        for name, n in p.ignored_types.items():
            ignored[name] = ignored.get(name, 0) + n
    # As Staging.counts orders them: most frequent first, then by name (UTF-8 byte order).
    ignored = dict(sorted(ignored.items(), key=lambda item: (-item[1], item[0].encode())))
    counts = EventCounts(files, sum(f.rejected for f in files), ignored,
                         sum(p.after_as_of for p in parts), sum(p.applied for p in parts),
                         sum(p.duplicates for p in parts))
    counts.lead_rows = sum(p.lead_rows for p in parts)
    counts.lead_rejected = sum(p.lead_rejected for p in parts)
    counts.lead_files = list(first.lead_files)
    counts.missing_fields = list(first.missing_fields)  # every part had the summed usage
    future = [s.future for s in staged if s.future is not None]
    if future:
        latest = min(future, key=lambda f: (-f[3], f[4], f[2]))
        counts.future = (sum(f[0] for f in future), latest[1], latest[2])
    return counts


def summed_usage(staged: Sequence[Staged]) -> list[tuple[int, int]]:
    return [(sum(u[0] for u in column), sum(u[1] for u in column))
            for column in zip(*(s.usage for s in staged))]


def read_parts(parts: Sequence[PartDone], table: str) -> str:
    """SQL: the rows of one table over all the partitions' Parquet parts."""
    return f"read_parquet([{', '.join(literal(p.files[table]) for p in parts)}])"


def absorb(tables: OutputTables, parts: Sequence[PartDone], renumber: bool = True) -> None:
    """Fill a run's output tables from its partitions' Parquet parts, as one process would.

    With `renumber`, rows go in lead order, and `seq` (the order a lead emitted its
    actions and transitions) is numbered again over all partitions: a single run
    numbers them lead after lead, and the state's outbox must hold the same numbers.

    Without it (a run without --state), the rows go in as they come: every output
    query sorts by a key that ties only on identical rows (leads by lead_id, actions
    and transitions by time, lead and `seq`, ...), and the partition's `seq` orders
    a lead's rows as one process's does, since all of them are in one partition.
    Renumbering sorted every action and transition once more in the command, serial
    work after the workers: loading took 0.71 s of CPU per 2M events of the shop's
    ruleset with it, 0.31 s without. (The
    tables are still loaded, not left as views over the parts: DuckDB writes a
    column it knows has no NULL as `required` in Parquet, and knows it of a table.)
    """
    tables.flush()
    for buffer in tables.buffers:  # the tables OutputTables made, in its own layout
        rows = read_parts(parts, buffer.table)
        if not renumber:
            tables.con.execute(f"INSERT INTO {buffer.table} SELECT * FROM {rows}")
        elif buffer.numbered:
            tables.con.execute(
                f"INSERT INTO {buffer.table} SELECT * EXCLUDE (seq), row_number() OVER "
                f"(ORDER BY lead_id, seq) - 1 AS seq FROM {rows} ORDER BY lead_id, seq")
        else:
            tables.con.execute(f"INSERT INTO {buffer.table} SELECT * FROM {rows} ORDER BY lead_id")
        buffer.flushed = tables.con.sql(f"SELECT count(*) FROM {buffer.table}").fetchall()[0][0]


# ------------------------------------------------------------- coordinating


class Cluster(Protocol):
    """Who runs the tasks: runtime/local_workers.py's processes, or Dask (runtime/cluster.py).

    `submit` returns a future with `result()` and `exception()` (concurrent.futures
    or Dask's); the tasks of one worker run in the order submitted.
    """

    workers: Sequence[str]
    duckdb_threads: int | None  # for each task's DuckDB; None: DuckDB's default (all cores)
    same_duckdb: bool  # every worker runs the command's own DuckDB library (local processes)

    def submit(self, function: Callable[..., Any], *args: Any, worker: str) -> Any: ...

    def as_completed(self, futures: Sequence[Any]) -> Any: ...


def run_partitioned(engine: Engine, options: RunOptions, label: str | None,
                    cluster: Cluster, out: OutputDir) -> RunResult:
    """The run of driver.run, split by lead over the cluster's workers; the same outputs."""
    workers = list(cluster.workers)
    parts = len(workers)
    run_id = uuid.uuid4().hex
    part_dir = out.staging_dir("parts")
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    recipe = EngineRecipe.of(engine)
    tasks = [PartTask(run_id, k, parts, recipe, options, part_dir, cluster.duckdb_threads,
                      cluster.same_duckdb) for k in range(parts)]
    try:
        staged, as_of = stage_parts(cluster, tasks)
    except BaseException:
        shutil.rmtree(part_dir, ignore_errors=True)
        raise
    given = staged[0].given
    seconds["read"] = time.perf_counter() - start
    usage = summed_usage(staged)

    bar = progress_bar(sum(s.applicable for s in staged), options.progress)
    run_start = time.perf_counter()
    try:
        futures = [cluster.submit(replay_part, run_id, k, as_of, usage, worker=workers[k])
                   for k in range(parts)]
        done = []
        for future in cluster.as_completed(futures):
            if future.exception() is None:
                done.append(future.result())
                bar.update(staged[done[-1].part].applicable)
        done.sort(key=lambda d: d.part)
        raise_first_failure(futures)
    except BaseException:
        shutil.rmtree(part_dir, ignore_errors=True)
        raise
    finally:
        bar.close()
    seconds["run"] = time.perf_counter() - run_start

    try:
        counts = merge_counts([d.counts for d in done], staged)
        with Staging(engine.timezone, options.memory_limit) as merge:
            tables = output_tables(merge.con, engine, options)
            absorb(tables, done, renumber=False)
            tables.carry(done[0].carried, None)  # the parts' rows carry them already
            paths = [f.path for f in counts.files] + counts.lead_files
            merge.con.execute("CREATE TABLE part_files (file_no INTEGER, path VARCHAR)")
            merge.con.executemany("INSERT INTO part_files VALUES (?, ?)", list(enumerate(paths)))
            # In a table, and filtered as Staging's are: a Parquet file's columns may hold
            # NULL for all DuckDB knows, and it writes the rejects file's schema from that.
            merge.con.execute(f"CREATE TABLE part_rejects AS SELECT * FROM "
                              f"{read_parts(done, REJECTS)} WHERE reason IS NOT NULL "
                              f"AND row_no IS NOT NULL")
            rejects = rejects_sql("SELECT * FROM part_rejects WHERE reason IS NOT NULL "
                                  "AND row_no IS NOT NULL", "part_files")
            return publish_outputs(engine, options, label, out, tables, rejects, counts,
                                   (as_of, given), seconds)
    finally:
        shutil.rmtree(part_dir, ignore_errors=True)


def stage_parts(cluster: Cluster, tasks: Sequence[PartTask]) -> tuple[list[Staged], int | None]:
    """Step 1 of every partition, one per worker; what each found and the run's as-of.

    The as-of is the one given, else the latest time over all partitions.
    """
    workers = list(cluster.workers)
    futures = [cluster.submit(stage_part, t, worker=workers[t.part]) for t in tasks]
    try:
        staged = gather_first_error(futures)
    except BaseException:
        # Close what the other partitions kept (a Dask worker lives on after the run).
        for future in [cluster.submit(drop_part, t.run_id, t.part, worker=workers[t.part])
                       for t in tasks]:
            future.exception()
        raise
    if staged[0].given:
        return staged, staged[0].latest
    latest = [s.latest for s in staged if s.latest is not None]
    return staged, (max(latest) if latest else None)


def gather_first_error(futures: Sequence[Any]) -> list[Any]:
    """Every future's result in order; the first task's error (by partition) when one failed."""
    for future in futures:
        future.exception()  # waits for every task, so none is still writing when we go on
    raise_first_failure(futures)
    return [future.result() for future in futures]


def raise_first_failure(futures: Sequence[Any]) -> None:
    """Raise what a single run would have: the failing lead that comes first by id.

    A partition stops at its first failing lead, which is its smallest failing id;
    the smallest of those is the one a single run (leads in id order) meets first.
    Errors that are not about a lead (an unreadable file) are the same in every part.
    """
    from leadflow.runtime.driver import LeadFailed
    errors = [f.exception() for f in futures if f.exception() is not None]
    if not errors:
        return
    leads = [e for e in errors if isinstance(e, LeadFailed)]
    if leads and len(leads) == len(errors):
        raise min(leads, key=lambda e: e.lead_id)
    raise next(e for e in errors if not isinstance(e, LeadFailed))


# --------------------------------------------------------- runs with --state


@dataclass(frozen=True)
class StatePartTask:
    """One partition of a `run --state` replay: its events and leads, as files the task reads."""

    part: int
    engine: EngineRecipe
    memory_limit: str
    events: str  # Parquet: lead_id, ts_us, ev_no, v0.. sorted by lead and time
    stored: str  # Parquet: lead_id, attrs, snapshot of the leads to replay, in lead order
    given: list[tuple[str, dict[str, Any]]]  # --leads attributes, in lead order
    layout: tuple[tuple[str, ...], Any, Any]  # event names, by_event, slots
    as_of: int | None
    part_dir: str
    options: RunOptions  # which outputs the run writes, and how


def replay_state_split(run: Any, tables: OutputTables, as_of: int | None, rebuild: bool,
                       applied: int) -> None:
    """runtime/incremental.py's replay over the cluster: fills `tables` and `saved_leads`.

    The state file stays the coordinator's: it reads, dedups and counts the input,
    picks the affected leads and commits as in one process. Only the replay (the
    Python part) is split: each partition's events and saved leads go to a worker
    as Parquet files beside --out, and its outputs and new lead states come back.
    """
    cluster, con, staging = run.cluster, run.con, run.staging
    workers = list(cluster.workers)
    parts = len(workers)
    part_dir = run.out.staging_dir("parts")
    try:
        run.find_affected(as_of, rebuild)
        start = time.perf_counter()
        given: list[list[tuple[str, dict[str, Any]]]] = [[] for _ in range(parts)]
        for lead_id, attrs in staging.lead_attrs():
            given[stable_partition(lead_id, parts)].append((lead_id, attrs))
        values = "".join(f", v{j}" for j in range(len(staging.slots.slots)))
        recipe = EngineRecipe.of(run.engine)
        layout = (staging.event_names, staging.slots.by_event, staging.slots.slots)
        tasks = []
        for k in range(parts):
            mine = f"{partition_of('lead_id', parts)} = {k}"
            events = os.path.join(part_dir, f"events-{k}.parquet")
            stored = os.path.join(part_dir, f"stored-{k}.parquet")
            con.execute(f"COPY (SELECT lead_id, ts_us, ev_no{values} FROM events WHERE "
                        f"{replayed_rows(as_of)} AND {mine} ORDER BY {REPLAY_ORDER}) "
                        f"TO {literal(events)} (FORMAT parquet)")
            stored_sql = run.stored_leads_sql(rebuild, partition_of("a.lead_id", parts) + f" = {k}")
            con.execute(f"COPY ({stored_sql}) TO {literal(stored)} (FORMAT parquet)")
            tasks.append(StatePartTask(k, recipe, run.options.memory_limit, events, stored,
                                       given[k], layout, as_of, part_dir, run.options))
        run.seconds["sort"] = time.perf_counter() - start
        bar = progress_bar(applied, run.options.progress)
        run_start = time.perf_counter()
        try:
            futures = [cluster.submit(replay_state_part, t, worker=workers[t.part]) for t in tasks]
            done = []
            for future in cluster.as_completed(futures):
                if future.exception() is None:
                    done.append(future.result())
                    bar.update(done[-1].counts)
            raise_first_failure(futures)
        finally:
            bar.close()
        run.seconds["run"] = time.perf_counter() - run_start
        done.sort(key=lambda d: d.part)
        absorb(tables, done)
        con.execute(f"CREATE TABLE saved_leads AS SELECT * FROM {read_parts(done, 'saved_leads')} "
                    f"ORDER BY lead_id")
    finally:
        shutil.rmtree(part_dir, ignore_errors=True)


def replay_state_part(task: StatePartTask) -> PartDone:
    """On a worker: replay one partition's leads from their saved states; write its part."""
    import pyarrow.parquet as pq

    from leadflow.runtime.incremental import _merge_by_lead, _rows, _SavedLeads
    engine = task.engine.make()
    start = time.perf_counter()
    event_names, by_event, slots = task.layout
    with Staging(engine.timezone, task.memory_limit) as work:
        tables = output_tables(work.con.cursor(), engine, task.options)
        saved = _SavedLeads(engine, task.options.points)
        events = pq.ParquetFile(task.events)
        leads = _merge_by_lead(_rows(pq.ParquetFile(task.stored).iter_batches(BATCH_ROWS)),
                               iter(task.given))
        replay(engine, events.iter_batches(BATCH_ROWS), event_names, by_event, leads,
               task.as_of, tables.add, begin=saved.begin, keep=saved.keep, slots=slots,
               pending=True)
        tables.flush()
        saved.save_to(work.con)
        files = {}
        for table in (*tables.names, "saved_leads"):
            files[table] = os.path.join(task.part_dir, f"{table}-{task.part}.parquet")
            work.con.execute(f"COPY {table} TO {literal(files[table])} (FORMAT parquet)")
        applied = events.metadata.num_rows
    return PartDone(task.part, applied, files, time.perf_counter() - start)
