"""Dollars per million runs by schedule kind, this stack beside EventBridge Scheduler invoking the same
executor; then the designs for sub-minute runs and the write-unit cuts weighed in decision "Sub-minute
runs without paying for waiting".

Measured: each kind's write units a run (bench.run_writes: 1 KB jobs, every unit on tables and indexes), a
herd's per job, and a `30s` job's timer requests, invocations and reads a run (bench.timer_requests; its
sub-second wait modelled there). Modelled, with the prices of
bench.idle_cost (us-east-1 list prices, arm64, free tiers left out): the executor's invocation and
EXECUTOR_BILLED_SECONDS at its template memory; for the options, the constants below, each a documented
behaviour or a stated assumption. Run: `python -m bench.run_cost`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace

from bench import run_writes, timer_requests
from bench.figures import Figure, show
from bench.idle_cost import (
    CALL_LATENCY_SECONDS,
    DYNAMODB_READ_UNIT,
    DYNAMODB_WRITE_UNIT,
    EXECUTOR_BILLED_SECONDS,
    EXPRESS_GB_SECOND,
    EXPRESS_REQUEST,
    LAMBDA_GB_SECOND,
    LAMBDA_REQUEST,
    SCHEDULER_INVOCATION,
    SQS_REQUEST,
    TICKS_A_MONTH,
    idle_tick,
    memory_gb,
)
from bench.run_writes import CREATE, RUN, Operations
from bench.write_capture import captured_writes
from bench.write_units import Index, Table, Write, tables, tally
from devtools.environment import use_template_environment
from serverless_jobs.domain.lifecycle import MAX_DUE_SHARDS

MILLION = 1_000_000
SECONDS_A_MONTH = TICKS_A_MONTH * 60
HERD = 60  # jobs due at one instant, above the FanOutThreshold below: the tick hands their shards to DispatchFunction
HERD_FAN_OUT = 20  # (200 by default: lowered so the benchmark stays quick; a job's writes do not depend on it)
DISPATCH_SECONDS_A_JOB = 0.020  # a herd job's share of a dispatch invocation: its claim and its Invoke, 10 ms each
SUB_MINUTE_EVERY_SECONDS = 30

# (a) SQS message timer (DelaySeconds <= 900), consumed by DispatchFunction through an event source mapping.
SQS_REQUESTS_A_RUN = 3  # SendMessage, the mapping's ReceiveMessage and DeleteMessage (batched at volume: fewer)
SQS_IDLE_POLLERS = (2, 5)  # a mapping at low traffic polls with five, "can optimize to as few as 2" (Lambda docs)
SQS_LONG_POLL_SECONDS = 20  # each an empty ReceiveMessage of the longest wait
SQS_REMAINDER_SECONDS = 0.5  # DelaySeconds is whole seconds: the consumer waits the sub-second rest, on average
# (c) timers with minute precision or a billed wait
SCHEDULER_WAIT_SECONDS = 30.0  # Scheduler invokes within the minute it is due: a sub-minute run waits half of it
EXPRESS_GB = 0.064  # an Express workflow's smallest memory step, waiting out a run's second within the minute


def executor_cost() -> float:
    """One run's executor: its invocation and EXECUTOR_BILLED_SECONDS at its memory."""
    return LAMBDA_REQUEST + EXECUTOR_BILLED_SECONDS * memory_gb("ExecutorFunction") * LAMBDA_GB_SECOND


def waiting(seconds: float, function: str) -> float:
    """What `function` costs waiting `seconds`, billed at its template memory."""
    return seconds * memory_gb(function) * LAMBDA_GB_SECOND


def per_million(dollars: float) -> float:
    return dollars * MILLION


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
    runs without paying for waiting"): the claim and the start one write that keeps the `due` key (the lease is
    an attribute), the history entry put once, closed, and the finish moving the `due` key, or for a run that
    `ends` the job, taking it out; `byStatus` keyed on `listStatus`, the same for pending and running."""
    claim, start, _, finish = (request.writes for request in operations.requests[RUN])
    pending, running, entry, finished = claim[0].before, start[0].after, finish[0].after, finish[1].after
    assert pending is not None
    assert running is not None
    assert entry is not None
    assert finished is not None
    active = {"listStatus": {"S": "active"}}
    held = {**running, **active, "dueShard": pending["dueShard"], "nextRunAt": pending["nextRunAt"]}
    moved = {**finished, **active}
    if ends:
        moved = {name: value for name, value in moved.items() if name not in ("dueShard", "nextRunAt")}
        moved["listStatus"] = finished["status"]
    return [
        Write(run_writes.JOBS_TABLE, {**pending, **active}, held),
        Write(finish[0].table, None, entry),
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
    timer = SQS_REQUESTS_A_RUN * SQS_REQUEST + LAMBDA_REQUEST + waiting(SQS_REMAINDER_SECONDS, "DispatchFunction")
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
    """The idle month of the recommended design: today's idle tick measured (bench.idle_cost) with its sweep of
    stranded shards once an hour instead of every pass, plus the SQS mapping's empty polls; at 2 and 5 pollers."""
    calls, seconds = idle_tick()
    queries = sum(count for name, count in calls.items() if name.startswith("dynamodb:"))
    sweep = MAX_DUE_SHARDS - int(os.environ["DUE_SHARDS"])  # one Query a shard above the live count, in turn
    queries_now = queries - sweep + sweep / 60
    seconds_now = seconds - sweep * CALL_LATENCY_SECONDS * 59 / 60
    tick = TICKS_A_MONTH * (
        LAMBDA_REQUEST + waiting(seconds_now, "TickFunction") + queries_now * 0.5 * DYNAMODB_READ_UNIT
    )
    low, high = (pollers * SECONDS_A_MONTH / SQS_LONG_POLL_SECONDS * SQS_REQUEST for pollers in SQS_IDLE_POLLERS)
    return tick + low, tick + high


def _sub_minute_options(minute_units: int) -> list[Figure]:
    """Sub-minute runs by each timer weighed: a run's writes as a minute-or-slower run's, plus the timer."""
    base = minute_units * DYNAMODB_WRITE_UNIT + executor_cost()
    sqs = base + SQS_REQUESTS_A_RUN * SQS_REQUEST + LAMBDA_REQUEST + waiting(SQS_REMAINDER_SECONDS, "DispatchFunction")
    sleeper = waiting(SECONDS_A_MONTH, "TickFunction")  # one tick asleep all month, shared by every sub-minute job
    runs_a_job = SECONDS_A_MONTH / SUB_MINUTE_EVERY_SECONDS
    scheduler = base + SCHEDULER_INVOCATION + LAMBDA_REQUEST + waiting(SCHEDULER_WAIT_SECONDS, "DispatchFunction")
    express = base + EXPRESS_REQUEST + SCHEDULER_WAIT_SECONDS * EXPRESS_GB * EXPRESS_GB_SECOND + LAMBDA_REQUEST
    figures = [
        Figure("sub-minute by (a) SQS timer + dispatch waiting the remainder", per_million(sqs), "$/million runs"),
        *(
            Figure(
                f"(a) SQS timer: idle, the mapping's empty long polls, {pollers} pollers",
                pollers * SECONDS_A_MONTH / SQS_LONG_POLL_SECONDS * SQS_REQUEST,
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


def measure() -> list[Figure]:
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    minute, sub_minute, one_time = (run_writes.one_kb(kind) for kind in run_writes.KINDS)
    executor = executor_cost()
    scheduler = per_million(SCHEDULER_INVOCATION + executor)
    minute_units = _units(minute, RUN)
    one_time_units = _units(one_time, CREATE) + _units(one_time, RUN)  # each run is a job created for it
    sub_minute_units = _units(sub_minute, RUN)
    timer = timer_requests.count()
    timer_cost = (
        timer.sqs_requests_a_run * SQS_REQUEST
        + timer.per_run(timer.invocations) * LAMBDA_REQUEST
        + timer.per_run(timer.reads) * 0.5 * DYNAMODB_READ_UNIT
        + waiting(timer_requests.REMAINDER_SECONDS, "DispatchFunction")
    )
    herd = herd_units()
    kinds = {
        f"one-time (create + run, {one_time_units} WRU)": one_time_units * DYNAMODB_WRITE_UNIT + executor,
        f"minute or slower ({minute_units} WRU)": minute_units * DYNAMODB_WRITE_UNIT + executor,
        (
            f"sub-minute, `30s` ({sub_minute_units} WRU; SQS timer: {timer.sqs_requests_a_run:.1f} SQS requests, "
            f"{timer.per_run(timer.invocations):.1f} invocations, {timer_requests.REMAINDER_SECONDS} s waited)"
        ): sub_minute_units * DYNAMODB_WRITE_UNIT + executor + timer_cost,
        f"herd of {HERD} ({herd:.1f} WRU a job)": (
            herd * DYNAMODB_WRITE_UNIT + executor + waiting(DISPATCH_SECONDS_A_JOB, "DispatchFunction")
        ),
    }
    figures = []
    for kind, dollars in kinds.items():
        figures.append(
            Figure(f"a million runs, {kind}: this stack", per_million(dollars), "$/million runs", "<= $4.00")
        )
        if not kind.startswith("sub-minute"):  # Scheduler's shortest rate is a minute, at 60 s precision
            figures.append(Figure(f"a million runs, {kind}: EventBridge Scheduler", scheduler, "$/million runs"))
    lateness = Figure(
        f"sub-minute p99 lateness on AWS by the model (SQS and the mapping deliver within "
        f"{timer_requests.DELIVERY_SECONDS_P99} s of the delay's end: an assumption, to be measured)",
        timer_requests.DELIVERY_SECONDS_P99 * 1000,
        "ms",
        "<= 1000 ms",
    )
    options = _sub_minute_options(minute_units)
    return [*figures, lateness, *options, *_cuts(minute), *_proposed(minute, one_time)]


def main() -> None:
    show(measure())


if __name__ == "__main__":
    main()
