"""Dollars per million runs by schedule kind, this stack beside EventBridge Scheduler invoking the same
executor (the "Costs by schedule kind" table README.md and docs/costs.md show, printed here as markdown);
then the designs for sub-minute runs and the write-unit cuts weighed in decision "Sub-minute runs without
paying for waiting".

Measured: each kind's write units a run (bench.run_writes: 1 KB jobs, every unit on tables and indexes, at
botocore), a herd's per job, and what the SQS timer does for a `30s` job's run (bench.timer_requests: its
sends, the dispatch invocations and their Queries; the mapping's receive and delete counted a message).
Modelled, with the prices of bench.idle_cost (us-east-1 list prices, arm64, free tiers left out): the
executor's invocation and EXECUTOR_BILLED_SECONDS at its template memory, the timer's sub-second wait; for the
options, the constants below, each a documented behaviour or a stated assumption.
Run: `python -m bench.run_cost`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache

from bench import run_writes, timer_requests
from bench.figures import Figure, show
from bench.idle_cost import (
    DYNAMODB_READ_UNIT,
    DYNAMODB_WRITE_UNIT,
    EXECUTOR_BILLED_SECONDS,
    EXPRESS_GB_SECOND,
    EXPRESS_REQUEST,
    LAMBDA_GB_SECOND,
    LAMBDA_REQUEST,
    SCHEDULER_INVOCATION,
    SECONDS_A_MONTH,
    SQS_IDLE_POLLERS,
    SQS_REQUEST,
    IdleMinute,
    idle_range,
    mapping_month,
    memory_gb,
)
from bench.run_writes import CREATE, RUN, Operations
from bench.write_capture import captured_writes
from bench.write_units import Index, Table, Write, tables, tally
from devtools.environment import use_template_environment
from serverless_jobs.usecases.tick import SWEEP_MINUTE

MILLION = 1_000_000
HERD = 60  # jobs due at one instant, above the FanOutThreshold below: the tick hands their shards to DispatchFunction
HERD_FAN_OUT = 20  # (200 by default: lowered so the benchmark stays quick; a job's writes do not depend on it)
DISPATCH_SECONDS_A_JOB = 0.020  # a herd job's share of a dispatch invocation: its claim and its Invoke, 10 ms each
SUB_MINUTE_EVERY_SECONDS = 30

# (a) SQS message timer (DelaySeconds <= 900), consumed by DispatchFunction through an event source mapping.
SQS_REMAINDER_SECONDS = timer_requests.REMAINDER_SECONDS  # DelaySeconds is whole seconds: the rest is waited
# (c) timers with minute precision or a billed wait
SCHEDULER_WAIT_SECONDS = 30.0  # Scheduler invokes within the minute it is due: a sub-minute run waits half of it
EXPRESS_GB = 0.064  # an Express workflow's smallest memory step, waiting out a run's second within the minute


def executor_cost() -> float:
    """One run's executor: its invocation, EXECUTOR_BILLED_SECONDS at its memory, and its consistent read of
    the job (a unit: decision "The claim is the start")."""
    compute = EXECUTOR_BILLED_SECONDS * memory_gb("ExecutorFunction") * LAMBDA_GB_SECOND
    return LAMBDA_REQUEST + compute + DYNAMODB_READ_UNIT


def waiting(seconds: float, function: str) -> float:
    """What `function` costs waiting `seconds`, billed at its template memory."""
    return seconds * memory_gb(function) * LAMBDA_GB_SECOND


def per_million(dollars: float) -> float:
    return dollars * MILLION


@cache
def timer_counts() -> timer_requests.TimerCounts:
    """What the SQS timer does for a `30s` job's runs, counted at botocore (bench.timer_requests): the one
    place the cost model meets the timer."""
    return timer_requests.count()


def sqs_timer() -> float:
    """What the SQS timer adds to a sub-minute run, as counted: its SQS requests (the sends, and the mapping's
    receive and delete of each message), the dispatch invocations the mapping makes and their Queries, and
    the wait for the sub-second rest at the dispatch function's template memory."""
    timer = timer_counts()
    return (
        timer.sqs_requests_a_run * SQS_REQUEST
        + timer.per_run(timer.invocations) * LAMBDA_REQUEST
        + timer.per_run(timer.reads) * 0.5 * DYNAMODB_READ_UNIT
        + waiting(SQS_REMAINDER_SECONDS, "DispatchFunction")
    )


def herd_units() -> float:
    """Write units per job of a herd: HERD jobs due at one instant, claimed by dispatch, run and finished."""
    with run_writes.fresh_stack(fan_out_threshold=HERD_FAN_OUT) as stack:
        for number in range(HERD):
            stack.api.post("/jobs", {"name": f"herd-{number}", "handler": "echo", "schedule": "1h"})
        stack.clock.advance(3601)
        with captured_writes() as requests:
            report = stack.tick()
            stack.deliver()
    assert report["handed"] > 0, report
    counted = tally((write for request in requests for write in request.writes), tables())
    return counted.total / HERD


def _units(operations: Operations, name: str, shapes: dict[str, Table] | None = None) -> int:
    return operations.tallies(shapes or tables())[name].total


def recosted(writes: Iterable[Write], jobs_indexes: tuple[Index, ...], transactions: bool = True) -> int:
    """Units of `writes` were the Jobs table's indexes `jobs_indexes` (and, without `transactions`, every
    transactional write a plain one): the projection cuts, on the very writes a run makes today."""
    shapes = tables()
    shapes[run_writes.JOBS_TABLE] = replace(shapes[run_writes.JOBS_TABLE], indexes=jobs_indexes)
    return tally((replace(write, transactional=write.transactional and transactions) for write in writes), shapes).total


def _cuts(minute: Operations) -> list[Figure]:
    """A minute-or-slower run's units with the indexes' projections cut, protocol unchanged."""
    writes = [write for request in minute.requests[RUN] for write in request.writes]
    due, by_status = tables()[run_writes.JOBS_TABLE].indexes
    keys_only = {index.name: replace(index, projection="KEYS_ONLY") for index in (due, by_status)}
    cases = {
        "today (due ALL, byStatus ALL)": ((due, by_status), True),
        "byStatus KEYS_ONLY": ((due, keys_only["byStatus"]), True),
        "due KEYS_ONLY": ((keys_only["due"], by_status), True),
        "both KEYS_ONLY": ((keys_only["due"], keys_only["byStatus"]), True),
        "both KEYS_ONLY, finish not in a transaction": ((keys_only["due"], keys_only["byStatus"]), False),
    }
    figures = []
    for label, (indexes, transactions) in cases.items():
        units = recosted(writes, indexes, transactions)
        dollars = per_million(units * DYNAMODB_WRITE_UNIT + executor_cost())
        figures += [
            Figure(f"cut, a minute-or-slower run, {label}: WRU", units, "WRU"),
            Figure(f"cut, a minute-or-slower run, {label}", dollars, "$/million runs", "<= $4.00"),
        ]
    return figures


def proposed_run(operations: Operations, ends: bool = False) -> list[Write]:
    """A run's writes under the recommended design, on the images a run writes today (decision "Sub-minute
    runs without paying for waiting"): the claim, which is the start and keeps the `due` key (as it does since
    decision "The claim is the start"), the history entry put once, closed, and the finish moving the `due`
    key, or for a run that `ends` the job, taking it out; `byStatus` keyed on `listStatus`, the same for
    pending and running."""
    claim, _, close, finish = (request.writes for request in operations.requests[RUN])
    pending, running, entry, finished = claim[0].before, claim[0].after, close[0].after, finish[0].after
    assert pending is not None
    assert running is not None
    assert entry is not None
    assert finished is not None
    active = {"listStatus": {"S": "active"}}
    held = {**running, **active}
    moved = {**finished, **active}
    if ends:
        moved = {name: value for name, value in moved.items() if name not in ("dueShard", "nextRunAt")}
        moved["listStatus"] = finished["status"]
    return [
        Write(run_writes.JOBS_TABLE, {**pending, **active}, held),
        Write(close[0].table, None, entry),
        Write(run_writes.JOBS_TABLE, held, moved),
    ]


def proposed_shapes() -> dict[str, Table]:
    """The recommended tables: `due` KEYS_ONLY, `byStatus` KEYS_ONLY on (listStatus, createdAt)."""
    shapes = tables()
    due, by_status = shapes[run_writes.JOBS_TABLE].indexes
    indexes = (replace(due, projection="KEYS_ONLY"), Index(by_status.name, ("listStatus", "createdAt"), "KEYS_ONLY"))
    shapes[run_writes.JOBS_TABLE] = replace(shapes[run_writes.JOBS_TABLE], indexes=indexes)
    return shapes


def _proposed(minute: Operations, one_time: Operations) -> list[Figure]:
    shapes = proposed_shapes()
    minute_units = tally(proposed_run(minute), shapes).total
    one_time_units = tally(proposed_run(one_time, ends=True), shapes).total
    base = minute_units * DYNAMODB_WRITE_UNIT + executor_cost()
    timer = sqs_timer()
    return [
        Figure("recommended, a minute-or-slower run: WRU", minute_units, "WRU", "<= 11 (a third off 17)"),
        Figure("recommended, a minute-or-slower run", per_million(base), "$/million runs", "<= $4.00"),
        Figure("recommended, a one-time run (its create aside): WRU", one_time_units, "WRU"),
        Figure(
            "recommended, a one-time run (its create aside)",
            per_million(one_time_units * DYNAMODB_WRITE_UNIT + executor_cost()),
            "$/million runs",
            "<= $4.00",
        ),
        *(
            Figure(
                f"recommended, a sub-minute run by the SQS timer, {runs} run(s) due in its second",
                per_million(base + timer / runs),
                "$/million runs",
                "<= $4.00",
            )
            for runs in (1, 10)  # one message, one dispatch and one wait for every run due in one second
        ),
        *(
            Figure(f"recommended, idle: hourly sweep + SQS mapping, {pollers} pollers", dollars, "$/month", "<= $0.35")
            for pollers, dollars in zip(SQS_IDLE_POLLERS, proposed_idle(), strict=True)
        ),
    ]


def proposed_idle() -> tuple[float, float]:
    """The idle month of the recommended design, at the fewest and the most pollers: the idle tick measured
    (bench.idle_cost) with its sweep of stranded shards hourly, plus the SQS mapping's empty polls."""
    return idle_range(IdleMinute.measured(SWEEP_MINUTE), IdleMinute.measured(SWEEP_MINUTE + 1))


def _sub_minute_options(minute_units: int) -> list[Figure]:
    """Sub-minute runs by each timer weighed: a run's writes as a minute-or-slower run's, plus the timer."""
    base = minute_units * DYNAMODB_WRITE_UNIT + executor_cost()
    sqs = base + sqs_timer()
    sleeper = waiting(SECONDS_A_MONTH, "TickFunction")  # one tick asleep all month, shared by every sub-minute job
    runs_a_job = SECONDS_A_MONTH / SUB_MINUTE_EVERY_SECONDS
    scheduler = base + SCHEDULER_INVOCATION + LAMBDA_REQUEST + waiting(SCHEDULER_WAIT_SECONDS, "DispatchFunction")
    express = base + EXPRESS_REQUEST + SCHEDULER_WAIT_SECONDS * EXPRESS_GB * EXPRESS_GB_SECOND + LAMBDA_REQUEST
    figures = [
        Figure("sub-minute by (a) SQS timer + dispatch waiting the remainder", per_million(sqs), "$/million runs"),
        *(
            Figure(
                f"(a) SQS timer: idle, the mapping's empty long polls, {pollers} pollers",
                mapping_month(pollers),
                "$/month",
            )
            for pollers in SQS_IDLE_POLLERS
        ),
        Figure("(b) one shared sleeping tick, all month", sleeper, "$/month"),
    ]
    for jobs in (1, 10, 100):
        runs = jobs * runs_a_job
        figures.append(
            Figure(
                f"sub-minute by (b) one shared sleeping tick, {jobs} `30s` job(s)",
                per_million(base + sleeper / runs),
                "$/million runs",
            )
        )
    return [
        *figures,
        Figure(
            "sub-minute by (c) Scheduler one-time schedule, dispatch waits", per_million(scheduler), "$/million runs"
        ),
        Figure("sub-minute by (c) Step Functions Express Wait state", per_million(express), "$/million runs"),
    ]


@dataclass(frozen=True)
class KindCost:
    """A row of the "Costs by schedule kind" table: $ per million runs of one kind."""

    kind: str  # the kind, with what its cost is made of
    stack: float  # this stack
    scheduler: float | None  # EventBridge Scheduler invoking the same executor; None: Scheduler cannot


SCHEDULER_CANNOT = "none: 60 s precision, a minute at the shortest"


def _units_text(units: float) -> str:
    return f"{units:.0f}" if float(units).is_integer() else f"{units:.1f}"


def by_kind(
    minute: Operations, sub_minute: Operations, one_time: Operations, herd: float, immediate: Operations
) -> list[KindCost]:
    """Each kind's $ per million runs from its measured write units (and, sub-minute, the timer's cost)."""
    executor = executor_cost()
    scheduler = per_million(SCHEDULER_INVOCATION + executor)
    minute_units = _units(minute, RUN)
    one_time_units = _units(one_time, CREATE) + _units(one_time, RUN)  # each run is a job created for it
    immediate_units = _units(immediate, CREATE) + _units(immediate, RUN)
    sub_minute_units = _units(sub_minute, RUN)
    sub_minute_base = sub_minute_units * DYNAMODB_WRITE_UNIT + executor
    return [
        KindCost(
            f"one-time (its create and its run, {one_time_units} write units)",
            per_million(one_time_units * DYNAMODB_WRITE_UNIT + executor),
            scheduler,
        ),
        KindCost(
            f"immediate (one-time, no `runAt`: its create, which starts it, and its run, {immediate_units} "
            "write units)",
            per_million(immediate_units * DYNAMODB_WRITE_UNIT + executor),
            scheduler,
        ),
        KindCost(
            f"a minute or slower ({minute_units} write units)",
            per_million(minute_units * DYNAMODB_WRITE_UNIT + executor),
            scheduler,
        ),
        KindCost(
            f"sub-minute (`30s`) by the SQS timer: {sub_minute_units} write units, "
            f"{timer_counts().sqs_requests_a_run:.1f} SQS requests, "
            f"{timer_counts().per_run(timer_counts().invocations):.1f} dispatch invocations (counted) "
            f"and {SQS_REMAINDER_SECONDS:g} s waited",
            per_million(sub_minute_base + sqs_timer()),
            None,
        ),
        KindCost(
            f"a herd ({HERD} due at once, claimed by `DispatchFunction`: {_units_text(herd)} write units a job)",
            per_million(herd * DYNAMODB_WRITE_UNIT + executor + waiting(DISPATCH_SECONDS_A_JOB, "DispatchFunction")),
            scheduler,
        ),
    ]


def _scheduler_cell(row: KindCost) -> str:
    return SCHEDULER_CANNOT if row.scheduler is None else f"${row.scheduler:,.2f}"


def kinds_table(rows: list[KindCost]) -> str:
    """The "Costs by schedule kind" table in markdown, as README.md shows it."""
    lines = [
        "| schedule kind | this stack | EventBridge Scheduler + the same executor |",
        "| --- | --- | --- |",
        *(f"| {row.kind} | ${row.stack:,.2f} | {_scheduler_cell(row)} |" for row in rows),
    ]
    return "".join(f"{line}\n" for line in lines)


def _setup() -> None:
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")


Measured = tuple[Operations, Operations, Operations, float, Operations]


def _measured() -> Measured:
    """The write units each kind measures: a minute-or-slower, a sub-minute and a one-time job's operations
    (bench.run_writes, 1 KB jobs), a herd's units a job, and an immediate job's operations."""
    minute, sub_minute, one_time = (run_writes.one_kb(kind) for kind in run_writes.KINDS)
    return minute, sub_minute, one_time, herd_units(), run_writes.one_kb_immediate()


def costs_by_kind() -> list[KindCost]:
    """The table's rows, measured now."""
    _setup()
    return by_kind(*_measured())


def measure(measured: Measured | None = None) -> list[Figure]:
    """Every figure; from `measured` (`_measured()`'s) when given, else measured now."""
    _setup()
    minute, sub_minute, one_time, herd, immediate = measured or _measured()
    figures = []
    for row in by_kind(minute, sub_minute, one_time, herd, immediate):
        figures.append(Figure(f"a million runs, {row.kind}: this stack", row.stack, "$/million runs", "<= $4.00"))
        if row.scheduler is not None:  # Scheduler's shortest rate is a minute, at 60 s precision
            figures.append(
                Figure(f"a million runs, {row.kind}: EventBridge Scheduler", row.scheduler, "$/million runs")
            )
    return figures + _sub_minute_options(_units(minute, RUN)) + _cuts(minute) + _proposed(minute, one_time)


def main() -> None:
    _setup()
    measured = _measured()
    print("Costs by schedule kind, $ per million runs (1 KB jobs, default settings, free tiers left out):\n")
    print(kinds_table(by_kind(*measured)))
    show(measure(measured))


if __name__ == "__main__":
    main()
