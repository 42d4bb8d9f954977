"""A herd beyond one invocation: 10,000 jobs due at once, handed out by shard to parallel dispatch invocations.

One tick pass over a fresh moto account finds the herd (more than FanOutThreshold due), hands each of the
`DueShards` shards to the dispatch function, and each dispatch invocation claims and dispatches its shard
with CALLS_IN_FLIGHT calls in flight. The dispatch invocations run as concurrent threads (the harness runs
each hand-off's dispatch function in the tick's thread that invoked it), and every AWS call is delayed by
20 ms outside moto's lock (devtools.latency), as bench.herd does. Printed side by side: the time from the
pass's start to the last executor Invoke, and the throughput model's prediction (decision "The tick fans out by shard"):

    time = 3 round trips (the tick's query, the hand-off, the dispatch's query)
           + (jobs / shards) x calls per job x round trip / calls in flight

moto's CPU caps this machine far below that (one lock, one core of Python for every call: a few hundred
calls a second), so the time from the first dispatch to the last is also set beside the model given this
machine's measured cost per call (a pass settling a small herd at 0 ms, from its first dispatch to its
last), which no parallelism hides: the larger of the model with (round trip + cost) per call and (every
call x cost). moto's queries copy every item they match, so the time before the first dispatch is mostly
moto's, not the round trips'. The herd is seeded straight into the table as
the API writes a job (one created through the API, copied), 25 to a batch: creating 10,000 through the API
would take minutes under moto. BENCH_FANOUT_JOBS changes the herd's size.
Run: `python -m bench.fanout` (and `make bench`).
"""

from __future__ import annotations

import math
import os
import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import moto

from bench.figures import Figure, show
from devtools.clock import ManualClock
from devtools.dynamo import dynamodb_clients
from devtools.environment import use_template_environment
from devtools.latency import NetworkLatency
from devtools.resources import create_resources
from devtools.stack import START, Stack
from serverless_jobs.domain import lifecycle
from serverless_jobs.domain.job import Job
from serverless_jobs.domain.timefmt import iso_z
from serverless_jobs.usecases.tick import CALLS_IN_FLIGHT

JOBS = int(os.environ.get("BENCH_FANOUT_JOBS", "10000"))
LATENCY_SECONDS = 0.02
CALLS_PER_JOB = 2  # the claim (a conditional UpdateItem) and the executor's Invoke
SETUP_ROUND_TRIPS = 3  # the tick's shard query, the hand-off Invoke, the dispatch invocation's query
CALIBRATION_JOBS = 300  # a herd one pass serves itself, at 0 ms: moto's and botocore's cost per call
MODEL_SHARDS = (4, 16, 64)


def jobs_per_second(shards: int, round_trip: float = LATENCY_SECONDS) -> float:
    """The model's rate: each shard's invocation keeps CALLS_IN_FLIGHT calls going, CALLS_PER_JOB a job."""
    return shards * CALLS_IN_FLIGHT / (CALLS_PER_JOB * round_trip)


def predicted_seconds(jobs: int, shards: int, round_trip: float = LATENCY_SECONDS) -> float:
    """The model's time from the tick's pass to the last dispatch, the herd spread evenly over `shards`."""
    return SETUP_ROUND_TRIPS * round_trip + jobs / jobs_per_second(shards, round_trip)


@dataclass(frozen=True)
class Herd:
    first: float  # seconds from the tick's pass to the first executor Invoke (queries and hand-offs)
    last: float  # ... and to the last one
    calls: int  # AWS calls the functions made
    most_in_flight: int
    handed: int  # dispatch invocations


def seed(stack: Stack, size: int) -> None:
    """`size` jobs due at one instant, stored as the API stores one (copied from one it created), the clock
    moved past it."""
    first = stack.create(name="herd-0", runAt=iso_z(stack.clock.now() + timedelta(seconds=30)))
    template = stack.jobs.get(first["id"])
    assert template is not None

    def copy(number: int) -> Job:
        job = replace(template, id=uuid.uuid4().hex, name=f"herd-{number}")
        lifecycle.set_due(job, template.next_run_at, stack.settings.due_shards)
        return job

    stack.jobs.insert_many(copy(number) for number in range(1, size))
    stack.clock.advance(31)


def dispatch_herd(size: int, latency: float, **settings: Any) -> Herd:
    """One tick pass over `size` due jobs in a fresh moto account, each function call delayed by `latency`."""
    with moto.mock_aws():
        create_resources()
        stack = Stack(ManualClock(START), **settings)
        try:
            seed(stack, size)
            dispatches: list[float] = []
            stack.invocations.on_invoke = lambda _: dispatches.append(time.perf_counter())
            network = NetworkLatency(latency)
            network.attach([*dynamodb_clients(), stack.clients.lambda_invoke, stack.clients.events])
            began = time.perf_counter()
            try:
                report = stack.tick()
            finally:
                network.detach()
        finally:
            stack.close()
    assert len(dispatches) == size, (len(dispatches), report)
    return Herd(
        min(dispatches) - began, max(dispatches) - began, network.calls, network.most_in_flight, report["handed"]
    )


def measure() -> list[Figure]:
    use_template_environment()
    # the functions' JSON logs and EMF metric lines would drown the figures
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")
    # This machine's cost of a call in the claim-and-Invoke stream (moto's queries, which copy every item
    # they match, are left out): a pass that serves a small herd itself, at 0 ms.
    calibration = dispatch_herd(CALIBRATION_JOBS, 0.0, fan_out_threshold=CALIBRATION_JOBS)
    cost = (calibration.last - calibration.first) / (CALLS_PER_JOB * (CALIBRATION_JOBS - 1))
    herd = dispatch_herd(JOBS, LATENCY_SECONDS)
    shards = herd.handed
    # The stream's time with that cost: the larger of the parallel model with (round trip + cost) per call,
    # and every call's cost in turn (moto's one lock and Python's one core of it take no parallelism).
    stream = max(
        predicted_seconds(JOBS, shards, LATENCY_SECONDS + cost) - SETUP_ROUND_TRIPS * (LATENCY_SECONDS + cost),
        JOBS * CALLS_PER_JOB * cost,
    )
    ms = f"{LATENCY_SECONDS * 1000:.0f} ms"
    return [
        Figure(f"fan-out, {JOBS} due jobs, {ms} a call: time to the last dispatch", herd.last, "s"),
        Figure(
            f"  model at AWS: {shards} shards x {CALLS_IN_FLIGHT} calls in flight, {ms} a call",
            predicted_seconds(JOBS, shards),
            "s",
        ),
        Figure("  to the first dispatch (queries, hand-offs; moto's queries are slow)", herd.first, "s"),
        Figure("  first to last dispatch", herd.last - herd.first, "s"),
        Figure("  model of that with this machine's cost per call", stream, "s"),
        Figure("  cost per call under moto (claims and Invokes, 0 ms)", cost * 1000, "ms"),
        Figure("  dispatch invocations (shards handed out)", shards, "calls"),
        Figure("  AWS calls per job", herd.calls / JOBS, "calls"),
        Figure("  calls in flight at most", herd.most_in_flight, "calls"),
    ]


def main() -> None:
    print(f"fan-out: {JOBS} jobs due at once, one tick pass handing its shards to dispatch invocations")
    show(measure())
    print(f"  the model at {LATENCY_SECONDS * 1000:.0f} ms a call, {CALLS_IN_FLIGHT} calls in flight per invocation:")
    for shards in MODEL_SHARDS:
        rate = jobs_per_second(shards)
        print(
            f"    DueShards {shards:>2}: {rate:>7,.0f} jobs/s, 10,000 jobs in {predicted_seconds(10_000, shards):.2f} s"
            f", 100,000 in {math.ceil(predicted_seconds(100_000, shards) * 10) / 10:.1f} s"
        )


if __name__ == "__main__":
    main()
