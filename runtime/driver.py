"""`leadflow run`: stream the sorted events lead by lead through an engine and write the outputs.

The pipe: inputs → work database (typed rows with verdicts) → counts and as-of →
sorted Arrow batches → one lead at a time: new_lead, feed each event, advance to
as-of, result → output tables → output files. Only one lead's state and one
batch of rows are alive in Python at any time.

The driver knows engines only through the Engine protocol (runtime/engine.py),
so the reference interpreter and a compiled module plug in the same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count
from operator import ne
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from leadflow.runtime.engine import Engine, LeadResult, RulesetRuntimeError
from leadflow.runtime.output_set import OUTPUT_NAMES, OutputDir
from leadflow.runtime.outputs import OutputTables
from leadflow.runtime.progress import progress_bar
from leadflow.runtime.readers import ColumnNames, InputError, InputFile
from leadflow.runtime.ruleset_facts import facts_of
from leadflow.runtime.staging import DEFAULT_MEMORY_LIMIT, EventCounts, Staging
from leadflow.runtime.summary import RunSummary
from leadflow.semantics.timemath import format_instant

DEFAULT_NAMES = ColumnNames()


class LeadFailed(Exception):
    """The ruleset failed at run time while processing one lead."""

    def __init__(self, lead_id: str, error: RulesetRuntimeError):
        self.lead_id = lead_id
        self.error = error
        super().__init__(f"lead {lead_id!r}: {error}")

    def __reduce__(self) -> tuple:  # raised on a worker of a split run, re-raised here
        return LeadFailed, (self.lead_id, self.error)


@dataclass(frozen=True)
class RunOptions:
    events: Sequence[InputFile]
    leads: InputFile | None = None
    names: ColumnNames = DEFAULT_NAMES
    as_of: str | None = None  # ISO-8601; None: the latest event time in the input
    out_dir: str = "out"
    format: str = "csv"
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    progress: bool = False  # a progress bar on stderr
    top: int = 10  # leads in the overview
    state: str | None = None  # run --state FILE (runtime/incremental.py)
    rebuild: bool = False
    event_id_col: str | None = None
    command: str = ""  # what identifies the command line, to finish an interrupted run
    ruleset_fingerprint: str = ""  # runtime/incremental.py: a state remembers its rules by it
    ruleset_file: str = ""
    points: bool = False  # write the points ledger (points.FORMAT)
    cancelled: bool = False  # write the held sends of stopped flow runs (cancelled.FORMAT)
    tz: str | None = None  # write times with this zone's offset (None: UTC)
    keep_cols: tuple[str, ...] | None = None  # the --leads columns leads.csv carries (None: all)


@dataclass
class RunResult:
    summary: RunSummary
    top: list[tuple[str, list[float], str | None, str]]
    stage_counts: dict[str | None, int]
    note: str | None = None  # e.g. that an interrupted run was finished instead


def stage_inputs(engine: Engine, staging: Staging, options: RunOptions) -> tuple[int | None, bool]:
    """Load the inputs into the work database; the as-of time and whether it was given."""
    staging.load_events(options.events, options.names, dict(engine.events))
    if options.leads is not None:
        staging.load_leads(options.leads, options.names, tuple(engine.lead_fields), options.keep_cols)
    if options.as_of is None:
        return staging.latest_time(), False
    as_of = staging.parse_time(options.as_of)
    if as_of is None:
        raise InputError(f"--as-of: cannot read time {options.as_of!r} "
                         f"(use ISO-8601, e.g. 2024-06-30 or 2024-06-30T18:00:00Z)")
    return as_of, True


def replay(engine: Engine, batches: Iterable[pa.RecordBatch], event_names: Sequence[str],
           by_event: Sequence[Sequence[tuple[str, int]]],
           attrs: Iterator[tuple[str, Any]], as_of: int | None,
           emit: Callable[[LeadResult], None], tick: Callable[[int], None] = lambda n: None,
           trace: bool = False, slots: Sequence[tuple[str, str]] | None = None,
           begin: Callable[[str, Any], Any] | None = None,
           keep: Callable[[Any, Any], None] | None = None, points: bool = False,
           pending: bool = False, emit_lead: Callable[..., None] | None = None) -> Any:
    """Feed each lead's events (sorted by lead, then time) and advance it to as-of.

    `attrs` yields (lead_id, attributes) sorted by lead_id; a lead with attributes
    and no events is still created, advanced and emitted. Returns the last state
    (what `explain` reads the trace of). Each lead's run of rows in a batch goes
    to the engine in one call when it can take columns (see `segment_feeder`).
    With `pending` (a run writing outputs: `emit` is OutputTables.add) a compiled
    engine's module is called directly and `emit` gets the module's own result
    records, which have LeadResult's fields.

    `begin(lead_id, info)` makes a lead's state from what `attrs` gave for it (None
    for a lead it did not name); by default a new lead with those attributes.
    `run --state` passes saved leads this way, and `keep(state, result)` sees each
    lead's state once it is done, with what `emit` got of it. With `points` each new
    lead records the points ledger; with `pending` each result lists the lead's live
    timers (pending.csv).

    `emit_lead` is OutputTables.add_lead, `emit` with the result's fields as
    arguments. Given it, a run of new leads without attributes, saved state or
    ledger whose rows all lie inside one batch goes to the compiled module's
    `run_leads` in one call, each lead's state in locals, its results straight
    to `emit_lead`: no lead object, no result record, no call per lead from here.
    A lead whose rows may go on in the next batch (a batch's last run of rows)
    and a lead with attributes take the way above.
    """
    new_lead, advance, result = engine.new_lead, engine.advance, engine.result
    # An engine wrapped for analysis has no `scheduled`; only a run writes pending.csv.
    scheduled = getattr(engine, "scheduled", None) if pending else None
    # A run writing outputs calls a compiled module directly (CompiledEngine.batch_calls).
    calls = getattr(engine, "batch_calls", None) if pending else None
    engine_error: type[Exception] = RulesetRuntimeError
    if calls is not None:
        new_lead, advance, result, engine_error = (calls.new_lead, calls.advance, calls.result,
                                                   calls.error)
    ledger = {"points": True} if points else {}  # engines wrapped for analysis take no points
    whole = None  # the module's run_leads, when this run may use it
    if (calls is not None and emit_lead is not None and scheduled is not None and begin is None
            and keep is None and not points and not trace and as_of is not None):
        whole = calls.run_leads
    if begin is None:
        def begin(lead_id: str, info: Any) -> Any:
            return new_lead(lead_id, info or {}, trace, **ledger)
    feed_segment = segment_feeder(engine, event_names, by_event, slots,
                                  calls.feed_columns if calls is not None else None)
    # The module's own feed_columns also advances a lead to the as-of in the same call
    # when its rows end inside a batch (its last rows: the next row is another lead's);
    # close() then finds nothing left to fire. One call instead of two, per lead.
    advance_too = (calls is not None and as_of is not None
                   and feed_segment is calls.feed_columns)
    run_ends = RunEnds()
    pending = next(attrs, None)
    lead: str | None = None
    state = None

    def close(current: Any) -> Any:
        if as_of is not None:
            advance(current, as_of)
        done = result(current)
        if scheduled is not None:
            done.pending = scheduled(current)
        check_finite(engine, current, getattr(done, "scores", None), trace)
        emit(done)
        if keep is not None:
            keep(current, done)
        return current

    def attributes_only(before: str | None) -> Any:
        """Create, advance and emit the leads with attributes and no events, up to `before`."""
        nonlocal pending, lead
        last = None
        while pending is not None and (before is None or pending[0] < before):
            lead = pending[0]
            last = close(begin(pending[0], pending[1]))
            pending = next(attrs, None)
        return last

    def done(lead_id: str, scores: tuple, stage: str | None, tags: Any, lead_attrs: Any,
             actions: Any, transitions: Any, cancelled: Any, first_seen: int | None,
             last_activity: int | None, stage_since: int | None, timers: Any) -> None:
        """A lead of run_leads is done: check_finite, then its row and pending timers out."""
        total = sum(scores)
        if total - total != 0:  # check_finite's quick test, without a dict per lead
            try:
                check_finite(engine, None, dict(zip(engine.scores, scores)), False)
            except RulesetRuntimeError as exc:
                raise LeadFailed(lead_id, exc) from None
        emit_lead(lead_id, scores, stage, tags, lead_attrs, actions, transitions, cancelled,
                  first_seen, last_activity, stage_since, scheduled(timers))

    try:
        for batch in batches:
            ids = batch.column(0).to_pylist()
            times = batch.column(1).to_pylist()
            kinds = batch.column(2).to_pylist()
            columns = [batch.column(k).to_pylist() for k in range(3, batch.num_columns)]
            start = 0
            ends = run_ends(batch.column(0), ids)
            last = len(ends) - 1
            k = 0
            while k <= last:
                stop = ends[k]
                lead_id = ids[start]
                if whole is not None and k < last and lead_id != lead:
                    # Runs k..j-1 are whole leads (a run follows them in this batch) before the
                    # next lead with attributes.
                    j = last if pending is None else min(
                        last, bisect_right(ends, bisect_left(ids, pending[0], start), k))
                    if j > k:
                        if state is not None:
                            close(state)
                            state = None
                        whole(ids, times, kinds, columns, ends[k:j], start, as_of, done)
                        start = ends[j - 1]
                        lead = ids[start - 1]
                        k = j
                        continue
                k += 1
                if lead_id != lead:
                    if state is not None:
                        close(state)
                    attributes_only(lead_id)
                    info = None
                    if pending is not None and pending[0] == lead_id:
                        info = pending[1]
                        pending = next(attrs, None)
                    lead = lead_id
                    state = begin(lead_id, info)
                if advance_too and stop < len(ids):
                    feed_segment(state, times, kinds, columns, start, stop, as_of)
                else:
                    feed_segment(state, times, kinds, columns, start, stop)
                start = stop
            tick(len(ids))
        if state is not None:
            close(state)
        return attributes_only(None) or state
    except RulesetRuntimeError as exc:
        raise LeadFailed(lead or "", exc) from None
    except engine_error as exc:  # the compiled module's own, from a direct call
        # run_leads names the lead it failed on; a call for one lead fails on `lead`.
        raise LeadFailed(getattr(exc, "lead_id", None) or lead or "",
                         calls.runtime_error(exc)) from None


def check_finite(engine: Engine, state: Any, scores: Mapping[str, float] | None,
                 trace: bool) -> None:
    """A RulesetRuntimeError when a score is no longer a finite number (docs/semantics.md).

    Scores are floats: `add amount` with two amounts of 1e308 overflows to
    infinity, and infinity minus infinity is NaN; neither can be written, sorted
    or compared meaningfully. Checked once per lead, after its last step; with
    a trace (explain) the message names the step and the event that did it.
    `scores` are the lead's result's, None for a result without them (an engine
    wrapped for analysis, diff's pairs: its parts are results).
    """
    if scores is None:
        return
    total = sum(scores.values())  # NaN or infinite when any score is (or the sum overflows)
    if total - total == 0:  # inf - inf and nan - nan are nan
        return
    found = next(((name, value) for name, value in scores.items() if not math.isfinite(value)),
                 None)
    if found is None:  # every score is finite; only their sum overflowed
        return
    name, value = found
    where = "; `leadflow explain --lead` shows the rule and event"
    if trace:
        event = None
        for entry in engine.trace(state):
            if entry.kind == "event":
                event = entry
            if not math.isfinite(entry.scores.get(name, 0.0)):
                after = f" after event {event.text}" if event is not None and event is not entry else ""
                where = f" at {format_instant(entry.at)}: {entry.kind} {entry.text}{after}"
                break
    raise RulesetRuntimeError(f"score {name} became {value} (too large for a number, or "
                              f"undefined){where}")


class RunEnds:
    """Where each lead's run of rows in a batch ends: `ends(column, ids)`, ids its list.

    Arrow's run_end_encode is the quickest way, but importing pyarrow.compute costs
    more (~65 ms) than a daily `run --state` spends finding the runs of its
    ~10,000 rows in Python (~1 ms). So the first SMALL rows are split in Python
    and pyarrow.compute is imported only once a run has read more than that: the
    same list either way.
    """

    SMALL = 100_000

    def __init__(self) -> None:
        self.rows = 0
        self.encode: Callable[[pa.Array], Any] | None = None

    def __call__(self, column: pa.Array, ids: list) -> list[int]:
        if self.encode is not None:
            return self.encode(column).run_ends.to_pylist()
        self.rows += len(ids)
        if self.rows > self.SMALL:
            import pyarrow.compute as pc
            self.encode = pc.run_end_encode
        ends = list(compress(count(1), map(ne, ids[1:], ids)))
        if ids:
            ends.append(len(ids))
        return ends


FeedSegment = Callable[..., None]  # (state, times, kinds, columns, start, stop[, until])


def slots_read(engine: Engine) -> Collection[int] | None:
    """The input columns a run must carry to this engine: a compiled module's SLOTS_READ
    (it reads no other when not tracing); None, all of them, for any other engine."""
    return getattr(engine, "slots_read", None)


def segment_feeder(engine: Engine, event_names: Sequence[str],
                   by_event: Sequence[Sequence[tuple[str, int]]],
                   slots: Sequence[tuple[str, str]] | None,
                   direct: FeedSegment | None = None) -> FeedSegment:
    """How rows start..stop of one lead in a batch reach the engine.

    An engine with `feed_columns` (a compiled module) takes them in one call, so
    the per-row loop runs inside generated code; it must read the same column
    layout (event codes and field slots) as this reader produced. `direct` is
    the module's own function, called without the engine's wrapper. Any other
    engine gets one `feed` per row with a dict of that event's own fields.
    """
    feed_columns = getattr(engine, "feed_columns", None)
    same_layout = (feed_columns is not None and slots is not None
                   and tuple(getattr(engine, "slots", ())) == tuple(slots)
                   and list(getattr(engine, "event_codes", {})) == list(event_names))
    if same_layout:
        return direct or feed_columns
    feed = engine.feed
    plans = [(event_names[e], tuple(fields)) for e, fields in enumerate(by_event)]

    def feed_rows(state: Any, times: list, kinds: list, columns: list, start: int, stop: int) -> None:
        for i in range(start, stop):
            name, fields = plans[kinds[i]]
            values = {}
            for field_name, j in fields:
                value = columns[j][i]
                if value is not None:
                    values[field_name] = value
            feed(state, times[i], name, values)

    return feed_rows


def timed_batches(open_reader: Callable[[], pa.RecordBatchReader],
                  seconds: dict[str, float]) -> Iterator[pa.RecordBatch]:
    """The reader's batches; the time to the first one is the sort (DuckDB sorts all first)."""
    start = time.perf_counter()
    reader = open_reader()
    first = True
    for batch in reader:
        if first:
            seconds["sort"] = time.perf_counter() - start
            first = False
        yield batch
    if first:
        seconds["sort"] = time.perf_counter() - start


def check_out_dir(path: str, fmt: str = "csv") -> None:
    """A usage error, before any work, when the outputs cannot go to `path`.

    Caught here rather than when writing, so a bad --out costs nothing and never
    surfaces as an OSError from deep inside the write.
    """
    if not path.strip():
        raise InputError("--out: the directory name is empty (give one, e.g. --out out)")
    if os.path.islink(path) and not os.path.exists(path):
        raise InputError(f"--out {path}: a symbolic link to {os.readlink(path)}, which does not "
                         f"exist (create that directory or choose another --out)")
    if os.path.exists(path) and not os.path.isdir(path):
        raise InputError(f"--out {path}: is a file, not a directory")
    for name in OUTPUT_NAMES:
        target = os.path.join(path, f"{name}.{fmt}")
        if os.path.lexists(target) and not os.path.isfile(target):
            what = "a directory" if os.path.isdir(target) else "not a regular file"
            raise InputError(f"--out {path}: {target} is {what}; move it away or choose another --out")
    parent = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise InputError(f"--out {path}: {parent} is a file, so the directory cannot be created")
    if not os.access(parent, os.W_OK):
        raise InputError(f"--out {path}: cannot write there (permission denied)")


def run(engine: Engine, options: RunOptions, label: str | None = None) -> RunResult:
    """Replay the event logs through the engine and write the outputs to options.out_dir.

    The output set is written beside --out and swapped in whole, run.json last
    (runtime/output_set.py); with options.state the run carries on from a state
    file instead (runtime/incremental.py).
    """
    check_out_dir(options.out_dir, options.format)
    options = dataclasses.replace(options, tz=output_zone(options.tz, engine.timezone))
    if options.state is not None:
        from leadflow.runtime.incremental import run_with_state
        return run_with_state(engine, options, label)
    with OutputDir(options.out_dir) as out:
        return _run_full(engine, options, label, out)


def _run_full(engine: Engine, options: RunOptions, label: str | None, out: OutputDir) -> RunResult:
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    with Staging(engine.timezone, options.memory_limit) as staging:
        as_of, given = stage_inputs(engine, staging, options)
        carried = carried_columns(staging, engine, options.leads)
        counts = staging.counts(as_of)
        seconds["read"] = time.perf_counter() - start

        tables = output_tables(staging.con.cursor(), engine, options)
        bar = progress_bar(counts.applied, options.progress)
        run_start = time.perf_counter()
        try:
            batches = timed_batches(lambda: staging.event_reader(as_of, read=slots_read(engine)),
                                    seconds)
            replay(engine, batches, staging.event_names, staging.slots.by_event,
                   staging.lead_attrs(replayed=True, as_of=as_of), as_of, tables.add, bar.update,
                   slots=staging.slots.slots, points=options.points, pending=True,
                   emit_lead=tables.add_lead)
        finally:
            bar.close()
        seconds["run"] = time.perf_counter() - run_start - seconds.get("sort", 0.0)
        tables.carry(carried, given_columns(carried, staging))
        return publish_outputs(engine, options, label, out, tables, staging.rejects_query(),
                               counts, (as_of, given), seconds)


def publish_outputs(engine: Engine, options: RunOptions, label: str | None, out: OutputDir,
                    tables: OutputTables, rejects_sql: str, counts: EventCounts,
                    as_of: tuple[int | None, bool], seconds: dict[str, float]) -> RunResult:
    """Write the output files and run.json from the filled tables and swap them into --out."""
    write_start = time.perf_counter()
    staged = out.staging_dir()
    files = tables.write(staged, options.format, rejects_sql)
    outputs = {name: os.path.join(options.out_dir, os.path.basename(f))
               for name, f in files.items()}
    summary = RunSummary(label or engine.name or "ruleset", counts, *as_of,
                         tables.leads, tables.transitions, tables.kinds, seconds, outputs)
    out.publish(staged, run_file(summary, options, None))
    top = tables.top_leads(options.top) if options.top > 0 else []
    stage_counts = tables.stage_counts()
    seconds["write"] = time.perf_counter() - write_start
    return RunResult(summary, top, stage_counts)


def output_zone(name: str | None, ruleset_zone: str) -> str | None:
    """`--tz ZONE|ruleset` as the zone times are written in; None for UTC (the `Z` form).

    InputError (exit 2) for a zone the time zone database does not know.
    """
    if name is None:
        return None
    zone = ruleset_zone if name == "ruleset" else name
    if zone == "UTC":
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"--tz {name}: not a time zone (use an IANA name such as Europe/Madrid, "
                         f"UTC, or `ruleset` for the ruleset's own)") from None
    return zone


def carried_columns(staging: Staging, engine: Engine, leads: InputFile | None) -> tuple[str, ...]:
    """The --leads columns leads.csv carries after its own: all but those a rule sets (their
    column, holding the current value, is there already). InputError for a column named
    like one leads.csv always has."""
    fixed = {"lead_id", *engine.scores, "stage", "tags", "first_seen", "last_activity",
             "stage_since"}
    clash = [name for name in staging.carried if name in fixed]
    if clash and leads is not None:
        raise InputError(f"--leads {leads.path}: column {clash[0]} has the name of a leads.csv "
                         f"column; choose the columns to carry with --keep-cols")
    set_names = {name for name, _ in facts_of(engine).set_attributes}
    return tuple(name for name in staging.carried if name not in set_names)


def given_columns(columns: Sequence[str], staging: Staging) -> str | None:
    """SELECT lead_id, k0.. of this run's --leads rows, in `columns` order (None: no --leads)."""
    if not staging.has_leads:
        return None
    picks = ", ".join(f"k{staging.carried.index(name)} AS k{j}" for j, name in enumerate(columns))
    return f"SELECT lead_id{', ' if picks else ''}{picks} FROM leads WHERE reason IS NULL"


def output_tables(con: Any, engine: Engine, options: RunOptions) -> OutputTables:
    """The output buffers of a run, for this engine's ruleset and the outputs asked for."""
    facts = facts_of(engine)
    return OutputTables(con, engine.scores, facts.time_args, options.points, options.cancelled,
                        facts.set_attributes, options.tz, facts.describer())


def run_file(summary: RunSummary, options: RunOptions, run: int | None,
             **extra: Any) -> dict[str, Any]:
    """run.json: which run this is, its as-of, inputs and counts (reproducible: no clock)."""
    inputs = [f.path for f in options.events] + ([options.leads.path] if options.leads else [])
    identity = json.dumps([summary.ruleset, inputs, summary.as_of, summary.counts_json()])
    return {
        "run": run if run is not None else hashlib.sha256(identity.encode()).hexdigest()[:16],
        "ruleset": summary.ruleset,
        "as_of": format_instant(summary.as_of) if summary.as_of is not None else None,
        **extra,
        "inputs": inputs,
        "format": options.format,
        **({"tz": options.tz} if options.tz is not None else {}),
        "counts": summary.counts_json(),
        "outputs": [os.path.basename(p) for p in summary.outputs.values()],
    }
